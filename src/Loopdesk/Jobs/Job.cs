using Loopdesk.Core.Common;

namespace Loopdesk.Jobs;

/// <summary>Pending: waits for its due time (or a retry). Parked: failed too often, kept for an admin to look at and retry.</summary>
public enum JobState { Pending, Parked }

/// <summary>
/// One unit of work that must happen outside the request that decided it: an outbound message to deliver, a webhook to
/// call, a timer to fire (an SLA breach, a follow-up, an auto-close). It is written in the same transaction as the change
/// that made it, so it exists exactly when the change does, and it is deleted in the transaction that completes it.
/// The outbox and the durable timers are this one table: an outbox entry is a job due now.
/// </summary>
public sealed class Job
{
    public const int KindMaxLength = 64;
    public const int KeyMaxLength = 200;

    private Job() { }

    public Job(string kind, string payload, DateTimeOffset dueAt, DateTimeOffset now, Guid? ticketId = null, string? key = null)
    {
        Id = Ids.New(now);
        Kind = kind;
        Payload = payload;
        DueAt = dueAt;
        TicketId = ticketId;
        Key = key;
        State = JobState.Pending;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    /// <summary>Which handler runs it, e.g. <c>message.deliver</c>, <c>webhook.call</c>, <c>rule.timer</c>.</summary>
    public string Kind { get; private set; } = "";
    /// <summary>A timer's identity (<c>sla:first-reply:{ticket}</c>): scheduling the same key again moves the timer instead of adding one.</summary>
    public string? Key { get; private set; }
    public Guid? TicketId { get; private set; }
    /// <summary>JSON the handler reads.</summary>
    public string Payload { get; private set; } = "{}";
    public DateTimeOffset DueAt { get; private set; }
    public JobState State { get; private set; }
    public int Attempts { get; private set; }
    public string? LastError { get; private set; }
    /// <summary>The process working on it and until when; another process may take it once the lease has run out.</summary>
    public string? LockedBy { get; private set; }
    public DateTimeOffset? LockedUntil { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Moves a timer: a new due time and payload, a clean slate of attempts.</summary>
    public void Reschedule(DateTimeOffset dueAt, string payload)
    {
        DueAt = dueAt;
        Payload = payload;
        State = JobState.Pending;
        Attempts = 0;
        LastError = null;
        LockedBy = null;
        LockedUntil = null;
    }

    /// <summary>Records a failed attempt: tried again after <paramref name="retryAt"/>, or parked once the attempts are spent.</summary>
    public void Failed(string error, DateTimeOffset retryAt, int maxAttempts)
    {
        Attempts++;
        LastError = error.Length > 2000 ? error[..2000] : error;
        LockedBy = null;
        LockedUntil = null;
        if (Attempts >= maxAttempts) State = JobState.Parked;
        else DueAt = retryAt;
    }
}
