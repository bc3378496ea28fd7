using System.Diagnostics;
using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Email;
using Loopdesk.Tests.Infrastructure;
using MimeKit;

namespace Loopdesk.Tests.Email;

/// <summary>
/// A mailbox that signs in to IMAP with an OAuth2 access token (SASL XOAUTH2, as for Microsoft 365 and Google), against a
/// real Dovecot that checks every token with a token-info endpoint: the connection test, fetching and flagging, and a
/// token that stops working until a fresh one is sent with PATCH.
/// </summary>
public abstract class ImapOAuthTests(LoopdeskApp app, MailServers mail)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static string Unique(string name) => $"{name}{Guid.NewGuid():N}"[..(name.Length + 10)];

    /// <summary>A Dovecot user with a password of its own, which the mailbox is never given.</summary>
    private async Task<(string User, string Address)> UserAsync()
    {
        var user = Unique("oauth");
        await mail.AddUserAsync(user, $"pw-{Guid.NewGuid():N}");
        return (user, $"{user}@shop.example");
    }

    private object Imap(string user, string token) =>
        new { host = mail.ImapHost, port = mail.ImapPort, security = "none", login = "oauth2", username = user, secret = token };

    private async Task<MailboxDto> MailboxAsync(string user, string address, string token)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var response = await admin.PostJsonAsync("/api/v1/mailboxes", new { name = user, address, imap = Imap(user, token) }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
        var mailbox = await response.ReadAsync<MailboxDto>(Ct);
        Assert.Equal("oauth2", mailbox.Imap!.Login);
        Assert.True(mailbox.Imap.HasSecret);
        return mailbox;
    }

    private async Task<MailboxTestDto> TestConnectionAsync(Guid mailboxId)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        return await (await admin.PostAsync($"/api/v1/mailboxes/{mailboxId}/test", null, Ct)).ReadAsync<MailboxTestDto>(Ct);
    }

    private static MimeMessage Customer(string to, string subject)
    {
        var message = new MimeMessage { Subject = subject, MessageId = $"{Guid.NewGuid():N}@mail.example.org" };
        message.From.Add(new MailboxAddress("Ines Vidal", $"{Unique("ines")}@example.org"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Body = new TextPart("plain") { Text = "Where is my parcel?" };
        return message;
    }

    /// <summary>Waits until the poller has stored <paramref name="count"/> messages of a mailbox.</summary>
    private async Task<List<InboundDto>> StoredAsync(Guid mailboxId, int count)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var until = Stopwatch.StartNew();
        while (true)
        {
            var all = await StoredNowAsync(admin, mailboxId);
            if (all.Count >= count) return all;
            Assert.True(until.Elapsed < Patience, $"only {all.Count} of {count} messages were fetched; dovecot log:\n{mail.DovecotLog()}");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<List<InboundDto>> StoredNowAsync(HttpClient admin, Guid mailboxId) =>
        (await admin.GetJsonAsync<List<InboundDto>>("/api/v1/inbound?limit=200", Ct)).Where(i => i.MailboxId == mailboxId).ToList();

    /// <summary>Processes what was stored and reads it back: the customer's message, read from IMAP, opened a ticket.</summary>
    private async Task<InboundDto> ProcessedAsync(InboundDto stored)
    {
        Assert.Equal("imap", stored.Source);
        await app.RunJobsAsync();
        using var admin = app.CreateClient(AgentRole.Admin);
        var inbound = await admin.GetJsonAsync<InboundDto>($"/api/v1/inbound/{stored.Id}", Ct);
        Assert.Equal("processed", inbound.State);
        Assert.NotNull(inbound.Reference);
        return inbound;
    }

    /// <summary>Waits until the message is flagged seen and <c>$Loopdesk</c> on the server (the poller flags after the commit).</summary>
    private async Task<StoredMail> FlaggedAsync(string user, string? messageId)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            var message = Assert.Single(await mail.MessagesAsync(user, ct: Ct), m => m.MessageId == messageId);
            if (message.HasKeyword(MailboxPoller.DoneKeyword)) return message;
            Assert.True(until.Elapsed < Patience, $"{user}: the message was stored but not flagged {MailboxPoller.DoneKeyword}");
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task A_mailbox_signed_in_with_an_access_token_passes_the_test_and_its_mail_is_fetched_and_flagged()
    {
        var (user, address) = await UserAsync();
        var token = mail.IssueToken(user);
        var mailbox = await MailboxAsync(user, address, token);

        var test = await TestConnectionAsync(mailbox.Id);
        Assert.True(test.Imap!.Ok, test.Imap.Detail);
        Assert.Contains("Signed in", test.Imap.Detail, StringComparison.Ordinal);
        Assert.Null(test.Smtp);

        var sent = Customer(address, "Parcel 7731 is late");
        await mail.DeliverAsync(user, sent, ct: Ct);

        var stored = await ProcessedAsync(Assert.Single(await StoredAsync(mailbox.Id, 1)));
        Assert.Equal("Parcel 7731 is late", stored.Subject);
        var flagged = await FlaggedAsync(user, sent.MessageId);
        Assert.True(flagged.Seen);
        // the poller and the test signed in with the token, over XOAUTH2: the password was never theirs
        Assert.Contains($"Login: user=<{user}>, method=XOAUTH2", mail.DovecotLog(), StringComparison.Ordinal);
        using var admin = app.CreateClient(AgentRole.Admin);
        var read = await admin.GetJsonAsync<MailboxDto>($"/api/v1/mailboxes/{mailbox.Id}", Ct);
        Assert.Null(read.LastError);
        Assert.Equal("oauth2", read.Imap!.Login);
    }

    [Fact]
    public async Task A_revoked_token_fails_the_test_and_shows_as_the_last_error_and_a_fresh_one_sent_with_PATCH_fetches_what_came_meanwhile()
    {
        var (user, address) = await UserAsync();
        var revoked = mail.IssueToken(user);
        mail.RevokeToken(revoked);
        var checksBefore = mail.TokenChecks;
        var mailbox = await MailboxAsync(user, address, revoked);
        var sent = Customer(address, "Anyone reading this?");
        await mail.DeliverAsync(user, sent, ct: Ct);

        var test = await TestConnectionAsync(mailbox.Id);
        Assert.False(test.Imap!.Ok, test.Imap.Detail);
        Assert.False(string.IsNullOrWhiteSpace(test.Imap.Detail));

        // the poller tried, failed, and says so on the mailbox
        using var admin = app.CreateClient(AgentRole.Admin);
        var until = Stopwatch.StartNew();
        MailboxDto read;
        while ((read = await admin.GetJsonAsync<MailboxDto>($"/api/v1/mailboxes/{mailbox.Id}", Ct)).LastError is null)
        {
            Assert.True(until.Elapsed < Patience, $"the poller recorded no error; dovecot log:\n{mail.DovecotLog()}");
            await Task.Delay(100, Ct);
        }
        Assert.Contains("auth", read.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.True(mail.TokenChecks >= checksBefore + 2, "Dovecot did not ask the token-info endpoint for the test and the poller");
        Assert.Empty(await StoredNowAsync(admin, mailbox.Id));
        Assert.False(Assert.Single(await mail.MessagesAsync(user, ct: Ct)).HasKeyword(MailboxPoller.DoneKeyword));
        Assert.DoesNotContain($"Login: user=<{user}>, method=XOAUTH2", mail.DovecotLog(), StringComparison.Ordinal);

        // a fresh token: the poller starts again at once and catches up
        var fresh = mail.IssueToken(user);
        (await admin.PatchJsonAsync($"/api/v1/mailboxes/{mailbox.Id}", new { imap = Imap(user, fresh) }, Ct)).EnsureSuccessStatusCode();

        var stored = await ProcessedAsync(Assert.Single(await StoredAsync(mailbox.Id, 1)));
        Assert.Equal("Anyone reading this?", stored.Subject);
        Assert.True((await FlaggedAsync(user, sent.MessageId)).Seen);
        Assert.Contains($"Login: user=<{user}>, method=XOAUTH2", mail.DovecotLog(), StringComparison.Ordinal);
        Assert.Null((await admin.GetJsonAsync<MailboxDto>($"/api/v1/mailboxes/{mailbox.Id}", Ct)).LastError);
        var again = await TestConnectionAsync(mailbox.Id);
        Assert.True(again.Imap!.Ok, again.Imap.Detail);
    }
}

public sealed class ImapOAuthOnSqlite(MailServerSqliteApp app, MailServers mail) : ImapOAuthTests(app, mail), IClassFixture<MailServerSqliteApp>, IClassFixture<MailServers>;

public sealed class ImapOAuthOnPostgres(MailServerPostgresApp app, MailServers mail) : ImapOAuthTests(app, mail), IClassFixture<MailServerPostgresApp>, IClassFixture<MailServers>;
