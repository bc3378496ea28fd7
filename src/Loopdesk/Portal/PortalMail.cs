using Loopdesk.Core.Common;
using Loopdesk.Data;
using Loopdesk.Email;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Rules;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Loopdesk.Portal;

/// <summary>A mail the portal sends that belongs to no ticket's conversation: a sign-in or verification link.</summary>
public sealed record PortalMailMessage(string To, string Subject, string Text);

/// <summary>
/// Queues and sends the portal's link mails through the outbox (retried like every delivery). The payload holds a live
/// link, so it is encrypted with the host's data-protection keys: the jobs table never holds a usable token.
/// </summary>
public sealed class PortalMail(IDataProtectionProvider protection, MailboxCache mailboxes, SmtpPool smtp, IOptions<LoopdeskOptions> options, ILogger<PortalMail> log) : IJobHandler
{
    public const string JobKind = "portal.mail";

    private readonly IDataProtector _protector = protection.CreateProtector("Loopdesk.Portal.Mail");

    public string Kind => JobKind;

    public void Queue(LoopdeskDb db, PortalMailMessage mail, DateTimeOffset now)
        => db.Enqueue(JobKind, new Sealed(_protector.Protect(Wire.Json(mail))), now);

    /// <summary>Reads a queued mail back (the tests read links from here instead of a mailbox).</summary>
    public PortalMailMessage Open(string payload) => Wire.Read<PortalMailMessage>(_protector.Unprotect(Wire.Read<Sealed>(payload).Data));

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var mail = Open(context.Job.Payload);
        var all = mailboxes.All;
        var mailbox = all.FirstOrDefault(m => m.IsDefault && m.Active && m.Sends) ?? all.FirstOrDefault(m => m.Active && m.Sends);
        if (mailbox is null)
        {
            // nothing to send with: the customer asks again once a mailbox is set up
            log.LogWarning("A portal link mail was not sent: no active mailbox sends mail");
            return;
        }
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(mailbox.FromName ?? options.Value.Company.Name, mailbox.Address));
        message.To.Add(MailboxAddress.Parse(mail.To));
        message.Subject = mail.Subject;
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Body = new TextPart("plain") { Text = mail.Text };
        await smtp.SendAsync(mailbox, message, ct);
    }

    private sealed record Sealed(string Data);
}

/// <summary>
/// Delivers what is written on a portal ticket (the acknowledgement, agents' replies, the survey) to the customer's
/// email address, the way email tickets are answered; the customer also reads it under "My tickets".
/// </summary>
public sealed class PortalChannel(EmailChannel email) : IChannelBatchAdapter
{
    public Channel Channel => Channel.Portal;

    public bool Ready => email.Ready;

    public Task<DeliveryResult> DeliverAsync(DeliveryRequest r, CancellationToken ct) => email.DeliverAsync(r, ct);

    public Task<IReadOnlyList<(DeliveryResult? Result, Exception? Error)>> DeliverAllAsync(IReadOnlyList<DeliveryRequest> requests, CancellationToken ct)
        => email.DeliverAllAsync(requests, ct);
}
