using Loopdesk.Email;
using Microsoft.AspNetCore.DataProtection;
using MimeKit;

namespace Loopdesk.Tests.Email;

/// <summary>
/// The SMTP connections the email channel keeps: a burst of mail to one server goes over the few connections the pool
/// keeps open, each reused, never one connection per mail. Counted by a proxy in front of the real SMTP server.
/// </summary>
public sealed class SmtpPoolTests(MailServers mail) : IClassFixture<MailServers>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Forty_mails_sent_at_once_go_over_at_most_four_connections_and_all_arrive()
    {
        await using var proxy = new DroppingProxy(mail.SmtpPort, mail.SmtpHost);
        await using var pool = new SmtpPool(new MailSecrets(DataProtectionProvider.Create("loopdesk-tests")));
        var mailbox = new Mailbox("burst", "burst@shop.example", DateTimeOffset.UnixEpoch)
        {
            SmtpHost = proxy.Host,
            SmtpPort = proxy.Port,
            SmtpSecurity = MailSecurity.None,
        };
        var marker = Guid.NewGuid().ToString("N");
        var before = (await mail.ReceivedAsync(Ct)).Count;

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => pool.SendAsync(mailbox, Message($"{marker} {i}"), Ct)));

        Assert.InRange(proxy.ConnectionsAccepted, 1, 4);
        var received = await mail.WaitForReceivedAsync(before + 40, TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(40, received.Count(r => r.Message.Subject?.StartsWith(marker, StringComparison.Ordinal) == true));
    }

    private static MimeMessage Message(string subject)
    {
        var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = "Your ticket is open.\n" } };
        message.From.Add(MailboxAddress.Parse("burst@shop.example"));
        message.To.Add(MailboxAddress.Parse("customer@example.test"));
        return message;
    }
}
