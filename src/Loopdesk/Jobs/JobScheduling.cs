using Loopdesk.Core.Common;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Jobs;

/// <summary>Does one kind of job. Changes it makes through <see cref="JobContext.Db"/> are saved with the job's completion, in one transaction.</summary>
public interface IJobHandler
{
    string Kind { get; }

    Task HandleAsync(JobContext context, CancellationToken ct);
}

/// <summary>What a handler gets: the job, a database context of its own, and the time it runs at.</summary>
public sealed record JobContext(Job Job, LoopdeskDb Db, IServiceProvider Services, DateTimeOffset Now);

/// <summary>
/// A handler that can do several due jobs of its kind at once: what they need is read together, and the changes of
/// those done are saved with their removal in one transaction. It says for each job, in order, whether it was done, failed
/// (its changes left out of the context; tried again later) or is better run alone (then it runs through
/// <see cref="IJobHandler.HandleAsync"/>). It throws only before doing any job's work.
/// </summary>
public interface IJobBatchHandler : IJobHandler
{
    Task<IReadOnlyList<JobOutcome>> HandleBatchAsync(IReadOnlyList<Job> jobs, LoopdeskDb db, IServiceProvider services, DateTimeOffset now, CancellationToken ct);
}

/// <summary>How one job of a batch went.</summary>
public readonly record struct JobOutcome(JobOutcome.Kinds Kind, Exception? Error = null)
{
    public enum Kinds { Done, Failed, Alone }

    public static JobOutcome Done => new(Kinds.Done);

    public static JobOutcome Alone => new(Kinds.Alone);

    public static JobOutcome Failed(Exception error) => new(Kinds.Failed, error);
}

/// <summary>Adding jobs to the transaction being built: work for now (the outbox) and timers (keyed, movable, cancellable).</summary>
public static class JobScheduling
{
    /// <summary>Adds work to do as soon as the change is committed.</summary>
    public static Job Enqueue(this LoopdeskDb db, string kind, object payload, DateTimeOffset now, Guid? ticketId = null)
    {
        var job = new Job(kind, Wire.Json(payload), now, now, ticketId);
        db.Jobs.Add(job);
        return job;
    }

    /// <summary>Sets the timer named <paramref name="key"/> to fire at <paramref name="dueAt"/>, moving it if it is set already.</summary>
    public static async Task<Job> ScheduleAsync(this LoopdeskDb db, string key, string kind, object payload, DateTimeOffset dueAt,
        DateTimeOffset now, Guid? ticketId, CancellationToken ct, bool unsaved = false)
    {
        var json = Wire.Json(payload);
        // unsaved: the timer's ticket is being created in this transaction, so no stored row can hold the key
        var job = db.Jobs.Local.FirstOrDefault(j => j.Key == key) ?? (unsaved ? null : await JobByKey.For(db)(db, key, ct));
        if (job is null)
        {
            job = new Job(kind, json, dueAt, now, ticketId, key);
            db.Jobs.Add(job);
        }
        else
        {
            // removed earlier in this transaction (cancelled, or the very timer now firing): its row is still there and
            // holds the key, so it is kept and moved rather than replaced by a second row with the same key
            if (db.Entry(job).State == EntityState.Deleted) db.Entry(job).State = EntityState.Modified;
            job.Reschedule(dueAt, json);
        }
        return job;
    }

    /// <summary>Removes the timer named <paramref name="key"/>, if it is set.</summary>
    public static async Task CancelAsync(this LoopdeskDb db, string key, CancellationToken ct, bool unsaved = false)
    {
        var job = db.Jobs.Local.FirstOrDefault(j => j.Key == key) ?? (unsaved ? null : await JobByKey.For(db)(db, key, ct));
        if (job is not null) db.Jobs.Remove(job);
    }

    private static readonly CompiledQuery<Func<LoopdeskDb, string, CancellationToken, Task<Job?>>> JobByKey = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, string key, CancellationToken ct) => db.Jobs.FirstOrDefault(j => j.Key == key)));

    /// <summary>Removes every timer of a ticket whose key starts with <paramref name="keyPrefix"/>.</summary>
    public static async Task CancelAllAsync(this LoopdeskDb db, Guid ticketId, string keyPrefix, CancellationToken ct)
    {
        var jobs = await db.Jobs.Where(j => j.TicketId == ticketId && j.Key != null && j.Key.StartsWith(keyPrefix)).ToListAsync(ct);
        db.Jobs.RemoveRange(jobs);
    }
}
