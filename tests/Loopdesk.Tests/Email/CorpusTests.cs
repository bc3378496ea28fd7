using System.Text.Json;
using System.Text.RegularExpressions;
using Loopdesk.Email;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Email;

/// <summary>
/// Every message of the corpus (Email/Corpus: Outlook, Gmail, Apple Mail, phones, forwards, charsets, TNEF, invites,
/// bounces, auto-replies, hostile and broken mail) read by the parser, against what expected.json says it holds.
/// </summary>
public sealed partial class CorpusTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Email", "Corpus");

    private static readonly Lazy<Dictionary<string, JsonElement>> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json"))).RootElement.EnumerateArray()
            .ToDictionary(e => e.GetProperty("file").GetString()!, e => e.Clone()));

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var name in Expected.Value.Keys.Order(StringComparer.Ordinal)) data.Add(name);
        return data;
    }

    [Fact]
    public void The_corpus_has_at_least_forty_messages_and_every_file_has_expectations()
    {
        var files = Directory.GetFiles(Folder, "*.eml").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(files.Count >= 40, $"{files.Count} messages");
        Assert.Equal(files, Expected.Value.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_message_is_read_as_expected(string file)
    {
        var e = Expected.Value[file];
        var mail = MailParser.Parse(File.ReadAllBytes(Path.Combine(Folder, file)), 20 * 1024 * 1024);

        if (e.TryGetProperty("from", out var from)) Assert.Equal(from.GetString(), mail.From);
        if (e.TryGetProperty("fromName", out var fromName)) Assert.Equal(fromName.GetString(), mail.FromName);
        if (e.TryGetProperty("firstName", out var firstName)) Assert.Equal(firstName.GetString(), mail.FirstName);
        if (e.TryGetProperty("subject", out var subject)) Assert.Equal(subject.GetString(), mail.Subject);
        if (e.TryGetProperty("messageId", out var messageId)) Assert.Equal(messageId.GetString(), mail.MessageId);
        if (e.TryGetProperty("threadIds", out var threadIds)) Assert.Equal(Strings(threadIds).Order(StringComparer.Ordinal), mail.ThreadIds.Order(StringComparer.Ordinal));
        if (e.TryGetProperty("to", out var to)) Assert.Equal(Strings(to).Order(StringComparer.Ordinal), mail.To.Order(StringComparer.Ordinal));
        if (e.TryGetProperty("cc", out var cc)) Assert.Equal(Strings(cc).Order(StringComparer.Ordinal), mail.Cc.Order(StringComparer.Ordinal));
        var text = Collapse(mail.Text);
        var full = Collapse(mail.FullText);
        if (e.TryGetProperty("textContains", out var contains))
            foreach (var s in Strings(contains)) Assert.True(text.Contains(Collapse(s), StringComparison.Ordinal), $"the new text lacks \"{s}\": {text}");
        if (e.TryGetProperty("textNotContains", out var notContains))
            foreach (var s in Strings(notContains)) Assert.False(text.Contains(Collapse(s), StringComparison.Ordinal), $"the new text still holds \"{s}\": {text}");
        if (e.TryGetProperty("fullTextContains", out var fullContains))
            foreach (var s in Strings(fullContains)) Assert.True(full.Contains(Collapse(s), StringComparison.Ordinal), $"the full text lacks \"{s}\": {full}");
        if (e.TryGetProperty("html", out var html)) Assert.Equal(html.GetBoolean(), mail.Html is not null);
        if (e.TryGetProperty("htmlNotContains", out var htmlNot))
        {
            var clean = new HtmlCleaner().Clean(mail.Html) ?? "";
            foreach (var s in Strings(htmlNot)) Assert.DoesNotContain(s, clean, StringComparison.OrdinalIgnoreCase);
        }
        if (e.TryGetProperty("attachments", out var attachments))
        {
            var expected = attachments.EnumerateArray().Select(a => (a.GetProperty("name").GetString(), a.TryGetProperty("contentType", out var t) ? t.GetString() : null,
                a.TryGetProperty("inline", out var i) && i.GetBoolean())).ToList();
            var actual = mail.Attachments.Select(a => (a.Name, (string?)a.ContentType, a.Inline)).ToList();
            Assert.Equal(expected.Select(x => x.Item1), actual.Select(x => x.Name));
            Assert.Equal(expected.Select(x => x.Item3), actual.Select(x => x.Inline));
            for (var i = 0; i < expected.Count; i++)
            {
                if (expected[i].Item2 is { } type) Assert.Equal(type, actual[i].Item2);
            }
        }
        if (e.TryGetProperty("automatic", out var automatic)) Assert.Equal(automatic.GetString(), mail.Automatic);
        if (e.TryGetProperty("bounce", out var bounce))
        {
            if (bounce.ValueKind == JsonValueKind.Null) Assert.Null(mail.Bounce);
            else
            {
                Assert.NotNull(mail.Bounce);
                Assert.Equal(bounce.GetProperty("originalMessageId").GetString(), mail.Bounce.OriginalMessageId);
                if (bounce.TryGetProperty("status", out var status)) Assert.Equal(status.GetString(), mail.Bounce.Status);
                if (bounce.TryGetProperty("action", out var action)) Assert.Equal(action.GetString(), mail.Bounce.Action);
            }
        }
        if (e.TryGetProperty("forwardedFrom", out var forwarded))
        {
            Assert.NotNull(mail.ForwardedFrom);
            Assert.Equal(forwarded.GetProperty("email").GetString(), mail.ForwardedFrom.Email);
            if (forwarded.TryGetProperty("name", out var name)) Assert.Equal(name.GetString(), mail.ForwardedFrom.Name);
        }
    }

    private static IEnumerable<string> Strings(JsonElement array) => array.EnumerateArray().Select(x => x.GetString()!);

    private static string Collapse(string s) => Spaces().Replace(s, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
