using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Email;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Rules;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Loopdesk.Incidents;

/// <summary>How a subscription request went, in words for the visitor.</summary>
public enum SubscribeOutcome { CheckInbox, Invalid, Limited }

/// <summary>
/// Email subscriptions to the status page with double opt-in: an address gets a confirmation link (its token stored
/// only as a hash, valid for Loopdesk:Status:ConfirmHours) and hears of incidents only once it has confirmed. Every
/// mail carries an unsubscribe link. The answer to a request never says whether the address was known.
/// </summary>
public sealed class StatusSubscriptions : IDisposable
{
    public const string MailKind = "status.mail";

    private readonly TimeProvider _clock;
    private readonly IOptions<LoopdeskOptions> _options;
    private readonly IDataProtector _confirm;
    private readonly IDataProtector _unsubscribe;
    private readonly PartitionedRateLimiter<string> _perAddress;

    public StatusSubscriptions(TimeProvider clock, IOptions<LoopdeskOptions> options, IDataProtectionProvider protection)
    {
        _clock = clock;
        _options = options;
        _confirm = protection.CreateProtector("Loopdesk.Status.Confirm");
        _unsubscribe = protection.CreateProtector("Loopdesk.Status.Unsubscribe");
        var permits = Math.Max(1, options.Value.Status.SubscriptionsPerHour);
        _perAddress = PartitionedRateLimiter.Create<string, string>(ip => RateLimitPartition.GetFixedWindowLimiter(ip, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromHours(1),
            QueueLimit = 0,
        }));
    }

    /// <summary>Asks <paramref name="input"/> to confirm, unless the requester at <paramref name="ip"/> asked too often; the problem says what is wrong with the address.</summary>
    public async Task<(SubscribeOutcome Outcome, string? Problem)> SubscribeAsync(LoopdeskDb db, string? input, string ip, CancellationToken ct)
    {
        var email = EmailAddress.Normalize(input, out var problem);
        if (email is null) return (SubscribeOutcome.Invalid, $"The address {problem}.");
        using var lease = _perAddress.AttemptAcquire(ip);
        if (!lease.IsAcquired) return (SubscribeOutcome.Limited, null);

        var now = _clock.GetUtcNow();
        var subscriber = await db.StatusSubscribers.FirstOrDefaultAsync(s => s.Email == email, ct);
        // a confirmed address hears nothing new: the answer is the same either way
        if (subscriber?.ConfirmedAt is not null) return (SubscribeOutcome.CheckInbox, null);
        if (subscriber is null)
        {
            subscriber = new StatusSubscriber(email, now);
            db.StatusSubscribers.Add(subscriber);
        }
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        subscriber.AwaitConfirmation(Hash(token), now.AddHours(Math.Max(1, _options.Value.Status.ConfirmHours)));
        db.Enqueue(MailKind, new StatusMail(subscriber.Id, null, null, _confirm.Protect(token)), now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // the same address asked twice at once: the other request's mail is on its way
        }
        return (SubscribeOutcome.CheckInbox, null);
    }

    /// <summary>Confirms the subscription the token was sent for; false when it is unknown or has run out.</summary>
    public async Task<bool> ConfirmAsync(LoopdeskDb db, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100) return false;
        var hash = Hash(token);
        var now = _clock.GetUtcNow();
        var subscriber = await db.StatusSubscribers.FirstOrDefaultAsync(s => s.ConfirmTokenHash == hash, ct);
        if (subscriber is null || subscriber.ConfirmBy < now) return false;
        subscriber.Confirm(now);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Removes the subscription the link was made for; false when the link is not one of ours or it is gone already.</summary>
    public async Task<bool> UnsubscribeAsync(LoopdeskDb db, string? token, CancellationToken ct)
    {
        if (UnsubscribeId(token) is not { } id) return false;
        var removed = await db.StatusSubscribers.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
        return removed > 0;
    }

    public Guid? UnsubscribeId(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 500) return null;
        try
        {
            return Guid.TryParse(_unsubscribe.Unprotect(token), out var id) ? id : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public string UnsubscribeToken(Guid subscriberId) => _unsubscribe.Protect(subscriberId.ToString());

    public string? ConfirmToken(string protectedToken)
    {
        try
        {
            return _confirm.Unprotect(protectedToken);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))).ToLowerInvariant();

    public void Dispose() => _perAddress.Dispose();
}

/// <summary>One mail to a subscriber: the confirmation link (Token set), or an incident update.</summary>
public sealed record StatusMail(Guid SubscriberId, Guid? IncidentId, Guid? UpdateId, string? Token);

/// <summary>
/// Runs <see cref="IncidentCommands.NotifyKind"/>: posts the update as a message on every open linked ticket, through
/// the channel the customer used (Outbound delivers it: email customers get a mail), and queues a mail for every
/// confirmed subscriber. All in the job's one transaction.
/// </summary>
public sealed class IncidentNoticeHandler(Outbound outbound, IOptions<LoopdeskOptions> options) : IJobHandler
{
    public string Kind => IncidentCommands.NotifyKind;

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var notice = Wire.Read<IncidentNotice>(context.Job.Payload);
        var db = context.Db;
        var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == notice.IncidentId, ct);
        var update = await db.IncidentUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.Id == notice.UpdateId, ct);
        if (incident is null || update is null || !incident.Published) return;
        var text = CustomerText(incident, update, options.Value);
        var ticketIds = db.IncidentTickets.Where(l => l.IncidentId == incident.Id).Select(l => l.TicketId);
        var tickets = await db.Tickets.Where(t => ticketIds.Contains(t.Id) && t.Status != TicketStatus.Closed).ToListAsync(ct);
        foreach (var ticket in tickets) outbound.SendToCustomer(db, ticket, text, ticket.Channel, Actor.System, context.Now);
        var subscribers = await db.StatusSubscribers.AsNoTracking().Where(s => s.ConfirmedAt != null).Select(s => s.Id).ToListAsync(ct);
        foreach (var id in subscribers) db.Enqueue(StatusSubscriptions.MailKind, new StatusMail(id, incident.Id, update.Id, null), context.Now);
    }

    /// <summary>The words a customer reads about an update, on their ticket or in a mail.</summary>
    public static string CustomerText(Incident incident, IncidentUpdate update, LoopdeskOptions options)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"An update on \"{incident.Title}\" ({StatusQueries.StatusWords(update.Status).ToLowerInvariant()}):\n\n{update.Text}\n");
        if (update.Status != IncidentStatus.Resolved && incident.Eta is { } eta)
            text.Append(CultureInfo.InvariantCulture, $"\nWe expect it to be fixed by {eta.UtcDateTime:dddd d MMMM, HH:mm} UTC.\n");
        if (update.Status == IncidentStatus.Resolved && incident.Prevention is { } prevention) text.Append(CultureInfo.InvariantCulture, $"\nSo it won't happen again: {prevention}\n");
        if (incident.Apology is { } apology) text.Append(CultureInfo.InvariantCulture, $"\n{apology}\n");
        text.Append(CultureInfo.InvariantCulture, $"\nFollow it on our status page: {options.PublicUrl.TrimEnd('/')}/status/incidents/{incident.Id}\n\n{options.Company.Name}");
        return text.ToString();
    }
}

/// <summary>Sends <see cref="StatusSubscriptions.MailKind"/> mails through the default sending mailbox; without one the job waits and is tried again.</summary>
public sealed class StatusMailHandler(MailboxCache mailboxes, SmtpPool smtp, StatusSubscriptions subscriptions, IOptions<LoopdeskOptions> options, ILogger<StatusMailHandler> log) : IJobHandler
{
    public string Kind => StatusSubscriptions.MailKind;

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var mail = Wire.Read<StatusMail>(context.Job.Payload);
        var db = context.Db;
        var subscriber = await db.StatusSubscribers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == mail.SubscriberId, ct);
        if (subscriber is null) return; // unsubscribed meanwhile
        var o = options.Value;
        var site = o.PublicUrl.TrimEnd('/');
        var unsubscribe = $"{site}/status/unsubscribe?token={Uri.EscapeDataString(subscriptions.UnsubscribeToken(subscriber.Id))}";
        string subject, body;
        if (mail.Token is { } sealedToken)
        {
            if (subscriber.ConfirmedAt is not null || subscriptions.ConfirmToken(sealedToken) is not { } token) return;
            subject = $"Confirm your status updates from {o.Company.Name}";
            body = $"Someone (we hope you) asked for email updates about outages from {o.Company.Name}.\n\nTo confirm, open this link and press the button:\n{site}/status/confirm?token={Uri.EscapeDataString(token)}\n\n"
                + $"The link works for {o.Status.ConfirmHours} hours. If it wasn't you, ignore this mail: you won't hear from us.";
        }
        else
        {
            if (subscriber.ConfirmedAt is null) return;
            var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == mail.IncidentId, ct);
            var update = await db.IncidentUpdates.AsNoTracking().FirstOrDefaultAsync(u => u.Id == mail.UpdateId, ct);
            if (incident is null || update is null || !incident.Published) return;
            subject = $"[{StatusQueries.StatusWords(update.Status)}] {incident.Title}";
            body = $"{IncidentNoticeHandler.CustomerText(incident, update, o)}\n\nStop these mails: {unsubscribe}";
        }
        var mailbox = mailboxes.All.FirstOrDefault(m => m.IsDefault && m.Active && m.Sends) ?? mailboxes.All.FirstOrDefault(m => m.Active && m.Sends)
            ?? throw new InvalidOperationException("No active mailbox sends mail; status mails wait until one does.");
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(mailbox.FromName ?? o.Company.Name, mailbox.Address));
        message.To.Add(MailboxAddress.Parse(subscriber.Email));
        message.Subject = subject;
        message.MessageId = MailIngest.MessageIdFor(context.Job.Id, mailbox.Domain);
        message.Date = context.Now;
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("List-Unsubscribe", $"<{unsubscribe}>");
        message.Body = new TextPart("plain") { Text = body };
        await smtp.SendAsync(mailbox, message, ct);
        log.LogInformation("Sent status mail {JobId} to subscriber {SubscriberId}", context.Job.Id, subscriber.Id);
    }
}
