using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Loopdesk.Core.Agents;
using Loopdesk.Email;
using Loopdesk.Tests.Infrastructure;

namespace Loopdesk.Tests.Email;

/// <summary>Raw messages shaped like real mail, and posting them to the inbound endpoint.</summary>
public static class EmailKit
{
    public const string Support = "support@shop.example";
    public const string Billing = "billing@shop.example";
    public const string Secret = "inbound-secret-0123456789";

    /// <summary>A plain-text message. Headers given in <paramref name="extra"/> are added as they are.</summary>
    public static string Mail(string from, string subject, string body, string? messageId = "auto", string to = Support,
        string? inReplyTo = null, string? references = null, string? cc = null, string? extra = null, DateTimeOffset? date = null)
    {
        var id = messageId == "auto" ? $"{Guid.NewGuid():N}@mail.example.org" : messageId;
        var sb = new StringBuilder();
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"From: {from}\r\nTo: {to}\r\n");
        if (cc is not null) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"Cc: {cc}\r\n");
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"Subject: {subject}\r\nDate: {(date ?? new DateTimeOffset(2026, 3, 2, 8, 55, 0, TimeSpan.Zero)):R}\r\n");
        if (id is not null) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"Message-ID: <{id}>\r\n");
        if (inReplyTo is not null) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"In-Reply-To: <{inReplyTo}>\r\n");
        if (references is not null) sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"References: {references}\r\n");
        if (extra is not null) sb.Append(extra.TrimEnd() + "\r\n");
        sb.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        sb.Append(body.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal));
        sb.Append("\r\n");
        return sb.ToString();
    }

    public static string IdOf(string raw)
    {
        var m = System.Text.RegularExpressions.Regex.Match(raw, "Message-ID: <([^>]+)>");
        return m.Groups[1].Value;
    }

    public static async Task<HttpResponseMessage> PostMimeAsync(this HttpClient client, string raw, CancellationToken ct, string? mailbox = null, string? secret = Secret)
        => await client.PostMimeAsync(Encoding.UTF8.GetBytes(raw), ct, mailbox, secret);

    public static async Task<HttpResponseMessage> PostMimeAsync(this HttpClient client, byte[] raw, CancellationToken ct, string? mailbox = null, string? secret = Secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/inbound/mime" + (mailbox is null ? "" : $"?mailbox={Uri.EscapeDataString(mailbox)}"))
        {
            Content = new ByteArrayContent(raw) { Headers = { ContentType = new MediaTypeHeaderValue("message/rfc822") } },
        };
        if (secret is not null) request.Headers.Add("X-Loopdesk-Mailbox-Secret", secret);
        return await client.SendAsync(request, ct);
    }

    /// <summary>Posts a message (as the mailbox's secret holder) and returns the answer, which must be 202.</summary>
    public static async Task<InboundAcceptedDto> DeliverAsync(this LoopdeskApp app, string raw, CancellationToken ct, string? mailbox = null)
    {
        using var client = app.ClientWithToken(null);
        var response = await client.PostMimeAsync(raw, ct, mailbox);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        return System.Text.Json.JsonSerializer.Deserialize<InboundAcceptedDto>(text, LoopdeskApp.JsonOptions)!;
    }

    /// <summary>Makes the support and billing mailboxes (no IMAP, no SMTP unless given) with the test secret.</summary>
    public static async Task<List<MailboxDto>> MailboxesAsync(this LoopdeskApp app, CancellationToken ct, object? smtp = null)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var existing = await admin.GetJsonAsync<List<MailboxDto>>("/api/v1/mailboxes", ct);
        if (existing.Count > 0) return existing;
        var made = new List<MailboxDto>();
        foreach (var (name, address) in new[] { ("Support", Support), ("Billing", Billing) })
        {
            var response = await admin.PostJsonAsync("/api/v1/mailboxes", new { name, address, fromName = $"Shop {name}", inboundSecret = Secret, smtp, isDefault = name == "Support" }, ct);
            made.Add(await response.ReadAsync<MailboxDto>(ct));
        }
        return made;
    }
}
