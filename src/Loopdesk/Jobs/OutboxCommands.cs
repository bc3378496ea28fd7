using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Rules;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Jobs;

/// <summary>What an admin does with the outbox, from the API and from the settings page alike: look, try a parked entry again, discard it.</summary>
public static class OutboxCommands
{
    /// <summary>Entries soonest due first, at most 200.</summary>
    public static Task<List<OutboxEntryDto>> ListAsync(LoopdeskDb db, JobState? state, string? kind, CancellationToken ct)
    {
        var query = db.Jobs.AsNoTracking();
        if (state is { } s) query = query.Where(j => j.State == s);
        if (kind is not null) query = query.Where(j => j.Kind == kind);
        return query.OrderBy(j => j.DueAt).Take(200)
            .Select(j => new OutboxEntryDto(j.Id, j.Kind, j.Key, j.TicketId, j.State, j.Attempts, j.LastError, j.DueAt, j.CreatedAt)).ToListAsync(ct);
    }

    /// <summary>Makes an entry due now and wakes the runner; refused while a runner holds it.</summary>
    public static async Task<ProblemHttpResult?> RetryAsync(LoopdeskDb db, Guid id, DateTimeOffset now, JobRunner runner, CancellationToken ct)
    {
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == id, ct);
        if (job is null) return Problems.NotFound("outbox entry");
        if (job.LockedUntil > now) return Running();
        job.Reschedule(now, job.Payload);
        await db.SaveChangesAsync(ct);
        runner.Wake();
        return null;
    }

    /// <summary>
    /// Deletes a parked entry: what it was to do will not happen. A discarded delivery marks its message failed, so the
    /// ticket says the reply never went out.
    /// </summary>
    public static async Task<ProblemHttpResult?> DiscardAsync(LoopdeskDb db, Guid id, DateTimeOffset now, CancellationToken ct)
    {
        var job = await db.Jobs.FirstOrDefaultAsync(j => j.Id == id, ct);
        if (job is null) return Problems.NotFound("outbox entry");
        if (job.LockedUntil > now) return Running();
        if (job.State != JobState.Parked)
            return Problems.Conflict("outbox.not_parked", "Only a parked entry (one that failed every attempt) can be discarded; this one is still to be tried.");
        if (job.Kind == Outbound.DeliverKind)
        {
            var delivery = Wire.Read<Delivery>(job.Payload);
            var message = await db.Messages.FirstOrDefaultAsync(m => m.Id == delivery.MessageId, ct);
            message?.RecordDelivery(DeliveryState.Failed, "Discarded from the outbox by an admin after every attempt failed; it was not sent.", now);
        }
        db.Jobs.Remove(job);
        await db.SaveChangesAsync(ct);
        return null;
    }

    private static ProblemHttpResult Running() => Problems.Conflict("outbox.running", "The entry is running right now; look again in a moment.");
}
