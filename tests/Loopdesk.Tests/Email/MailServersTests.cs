using System.Net.Sockets;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace Loopdesk.Tests.Email;

/// <summary>The mail servers the email channel is tested against: they hold and hand out mail as real servers do.</summary>
public sealed class MailServersTests(MailServers mail) : IClassFixture<MailServers>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_delivered_message_is_read_flagged_and_moved_over_IMAP()
    {
        var sent = Message("customer@example.test", "support@loopdesk.test", "Printer on fire");
        await mail.DeliverAsync("support", Raw(sent), ct: Ct);

        using (var client = new ImapClient())
        {
            await client.ConnectAsync(mail.ImapHost, mail.ImapPort, SecureSocketOptions.None, Ct);
            await client.AuthenticateAsync("support", MailServers.Password, Ct);
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite, Ct);
            var uid = Assert.Single(await client.Inbox.SearchAsync(SearchQuery.HeaderContains("Message-Id", sent.MessageId!), Ct));
            var read = await client.Inbox.GetMessageAsync(uid, Ct);
            Assert.Equal("Printer on fire", read.Subject);
            Assert.Equal("It is on fire.", read.TextBody?.Trim());

            await client.Inbox.StoreAsync(uid, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Keywords = { "loopdesk" } }, Ct);
            var stored = await mail.MessageAsync("support", uid.Id, ct: Ct);
            Assert.True(stored.Seen);
            Assert.True(stored.HasKeyword("loopdesk"));

            await mail.CreateFolderAsync("support", "Loopdesk/Done", Ct);
            await client.Inbox.MoveToAsync(uid, await client.GetFolderAsync("Loopdesk/Done", Ct), Ct);
            await client.DisconnectAsync(true, Ct);
        }

        var where = Assert.Single(await mail.AllMessagesAsync("support", Ct), m => m.MessageId == sent.MessageId);
        Assert.Equal("Loopdesk/Done", where.Folder);
        Assert.True(where.Seen);
        Assert.Contains("Loopdesk/Done", await mail.FoldersAsync("support", Ct));
    }

    [Fact]
    public async Task A_client_idling_on_the_inbox_hears_of_a_delivery()
    {
        using var client = await mail.ConnectImapAsync("support", Ct);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var before = client.Inbox.Count;
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Inbox.CountChanged += (_, _) => arrived.TrySetResult();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var idle = client.IdleAsync(done.Token, Ct);

        await mail.DeliverAsync("support", Message("customer@example.test", "support@loopdesk.test", "Still on fire"), ct: Ct);

        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        await done.CancelAsync();
        await idle;
        Assert.Equal(before + 1, client.Inbox.Count);
        await client.DisconnectAsync(true, Ct);
    }

    [Fact]
    public async Task Each_user_has_mailboxes_of_their_own_and_mail_lands_in_the_folder_named()
    {
        var bill = Message("customer@example.test", "billing@loopdesk.test", "Invoice 42");
        await mail.DeliverAsync("billing", bill, "Archive", Ct);
        await mail.AddUserAsync("sales", "other-secret");
        var lead = Message("customer@example.test", "sales@loopdesk.test", "A quote please");
        await mail.DeliverAsync("sales", lead, ct: Ct);

        var archived = Assert.Single(await mail.MessagesAsync("billing", "Archive", Ct), m => m.MessageId == bill.MessageId);
        Assert.False(archived.Seen);
        Assert.DoesNotContain(await mail.AllMessagesAsync("support", Ct), m => m.MessageId == bill.MessageId);
        Assert.Single(await mail.UidsAsync("sales", ct: Ct));
        using var sales = await mail.ConnectImapAsync("sales", Ct);
        Assert.True(sales.IsAuthenticated);
        await Assert.ThrowsAsync<AuthenticationException>(async () =>
        {
            using var wrong = new ImapClient();
            await wrong.ConnectAsync(mail.ImapHost, mail.ImapPort, SecureSocketOptions.None, Ct);
            wrong.AuthenticationMechanisms.Clear(); // one attempt (IMAP LOGIN) rather than one per SASL mechanism: each failure takes 0.5 s
            await wrong.AuthenticateAsync("sales", MailServers.Password, Ct);
        });
    }

    [Fact]
    public async Task An_access_token_signs_its_user_in_over_XOAUTH2_and_OAUTHBEARER_until_it_is_revoked()
    {
        await mail.AddUserAsync("tokens", "tokens-password");
        var token = mail.IssueToken("tokens");

        foreach (var sasl in new SaslMechanism[] { new SaslMechanismOAuth2("tokens", token), new SaslMechanismOAuthBearer("tokens", token) })
        {
            using var client = new ImapClient();
            await client.ConnectAsync(mail.ImapHost, mail.ImapPort, SecureSocketOptions.None, Ct);
            Assert.Contains(sasl.MechanismName, client.AuthenticationMechanisms);
            await client.AuthenticateAsync(sasl, Ct);
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
            await client.DisconnectAsync(true, Ct);
        }
        Assert.Contains("Login: user=<tokens>, method=XOAUTH2", mail.DovecotLog(), StringComparison.Ordinal);
        Assert.Contains("Login: user=<tokens>, method=OAUTHBEARER", mail.DovecotLog(), StringComparison.Ordinal);

        // a token is its user's only, the password is no token, and a token no password
        await RefusedAsync(new SaslMechanismOAuth2("support", token));
        await RefusedAsync(new SaslMechanismOAuth2("tokens", "tokens-password"));
        await RefusedAsync(null, "tokens", token);
        using (var plain = await mail.ConnectImapAsync("tokens", Ct)) Assert.True(plain.IsAuthenticated);

        mail.RevokeToken(token);
        await RefusedAsync(new SaslMechanismOAuth2("tokens", token));
        var fresh = mail.IssueToken("tokens");
        using var again = new ImapClient();
        await again.ConnectAsync(mail.ImapHost, mail.ImapPort, SecureSocketOptions.None, Ct);
        await again.AuthenticateAsync(new SaslMechanismOAuth2("tokens", fresh), Ct);
        await again.DisconnectAsync(true, Ct);
    }

    /// <summary>Signs in with a SASL mechanism, or else with IMAP LOGIN and a password, and expects to be refused (each refusal takes up to 0.5 s).</summary>
    private async Task RefusedAsync(SaslMechanism? sasl, string? user = null, string? password = null)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(mail.ImapHost, mail.ImapPort, SecureSocketOptions.None, Ct);
        if (sasl is not null)
        {
            await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(sasl, Ct));
        }
        else
        {
            client.AuthenticationMechanisms.Clear();
            await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(user!, password!, Ct));
        }
        Assert.False(client.IsAuthenticated);
    }

    [Fact]
    public async Task The_SMTP_sink_keeps_what_it_is_sent_with_the_envelope()
    {
        mail.ClearReceived();
        var sent = Message("support@loopdesk.test", "customer@example.test", "Re: Printer on fire");

        await SendAsync(sent, "bounces@loopdesk.test", "customer@example.test", "audit@loopdesk.test");

        var received = Assert.Single(await mail.WaitForReceivedAsync(1, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(sent.MessageId, received.Message.MessageId);
        Assert.Equal("Re: Printer on fire", received.Message.Subject);
        Assert.Equal("bounces@loopdesk.test", received.MailFrom);
        Assert.Equal(["customer@example.test", "audit@loopdesk.test"], received.RcptTo);
        Assert.False(string.IsNullOrEmpty(received.FileName));
        mail.ClearReceived();
        Assert.Empty(await mail.ReceivedAsync(Ct));
    }

    [Fact]
    public async Task The_SMTP_sink_can_be_down_for_a_while_and_come_back_on_the_same_port()
    {
        mail.ClearReceived();
        var port = mail.SmtpPort;

        await mail.StopSmtpAsync();
        Assert.False(mail.SmtpRunning);
        await Assert.ThrowsAsync<SocketException>(() => SendAsync(Message("support@loopdesk.test", "customer@example.test", "Lost"),
            "support@loopdesk.test", "customer@example.test"));

        await mail.StartSmtpAsync();
        Assert.Equal(port, mail.SmtpPort);
        var sent = Message("support@loopdesk.test", "customer@example.test", "Delivered after all");
        await SendAsync(sent, "support@loopdesk.test", "customer@example.test");

        var received = Assert.Single(await mail.WaitForReceivedAsync(1, TimeSpan.FromSeconds(5), Ct));
        Assert.Equal(sent.MessageId, received.Message.MessageId);
    }

    [Fact]
    public async Task A_connection_cut_mid_fetch_fails_and_the_next_one_fetches_the_message()
    {
        var attachment = new byte[1_500_000];
        new Random(7).NextBytes(attachment);
        var body = new BodyBuilder { TextBody = "The log is attached." };
        body.Attachments.Add("printer.log", attachment, new ContentType("application", "octet-stream"));
        var large = Message("customer@example.test", "support@loopdesk.test", "A large log");
        large.Body = body.ToMessageBody();
        var raw = Raw(large);
        Assert.InRange(raw.Length, 1_900_000, 2_300_000);
        await mail.DeliverAsync("support", raw, ct: Ct);
        await using var proxy = new DroppingProxy(mail.ImapPort);
        proxy.DropAfterServerBytes(200_000);

        using (var first = new ImapClient())
        {
            await first.ConnectAsync(proxy.Host, proxy.Port, SecureSocketOptions.None, Ct);
            await first.AuthenticateAsync("support", MailServers.Password, Ct);
            await first.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
            var uid = Assert.Single(await first.Inbox.SearchAsync(SearchQuery.HeaderContains("Message-Id", large.MessageId!), Ct));
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => first.Inbox.GetMessageAsync(uid, Ct));
            Assert.True(failure is ImapProtocolException or IOException, $"unexpected {failure.GetType().Name}: {failure.Message}");
            Assert.False(first.IsConnected);
        }
        Assert.Equal(1, proxy.ConnectionsCut);

        using var second = new ImapClient();
        await second.ConnectAsync(proxy.Host, proxy.Port, SecureSocketOptions.None, Ct);
        await second.AuthenticateAsync("support", MailServers.Password, Ct);
        await second.Inbox.OpenAsync(FolderAccess.ReadOnly, Ct);
        var again = Assert.Single(await second.Inbox.SearchAsync(SearchQuery.HeaderContains("Message-Id", large.MessageId!), Ct));
        var fetched = await second.Inbox.GetMessageAsync(again, Ct);
        var part = Assert.IsType<MimePart>(Assert.Single(fetched.Attachments));
        using var content = new MemoryStream();
        await part.Content!.DecodeToAsync(content, Ct);
        Assert.True(attachment.AsSpan().SequenceEqual(content.ToArray()), "the attachment came back changed");
        await second.DisconnectAsync(true, Ct);
        Assert.Equal(2, proxy.ConnectionsAccepted);
        Assert.Equal(1, proxy.ConnectionsCut);
    }

    private async Task SendAsync(MimeMessage message, string mailFrom, params string[] rcptTo)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync(mail.SmtpHost, mail.SmtpPort, SecureSocketOptions.None, Ct);
        await client.SendAsync(message, MailboxAddress.Parse(mailFrom), rcptTo.Select(MailboxAddress.Parse), Ct);
        await client.DisconnectAsync(true, Ct);
    }

    private static MimeMessage Message(string from, string to, string subject)
    {
        var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = "It is on fire.\n" } };
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("loopdesk.test");
        return message;
    }

    private static byte[] Raw(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return buffer.ToArray();
    }
}
