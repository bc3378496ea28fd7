using System.Diagnostics;
using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Service;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Rules;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Service;

/// <summary>
/// Keeps every ticket's SLA clocks in step with its events, inside the save that records them: a new ticket starts the
/// first-reply and resolution clocks of the policy that covers it; our reply stops first and next reply; the customer's
/// next message starts next reply; a waiting status pauses the clocks and leaving it resumes them with the time already
/// used; solving stops resolution, reopening resumes it. Timers record <c>sla.warning</c> ("will breach in N minutes")
/// and <c>sla.breached</c> on the ticket, where rules can act on them.
/// </summary>
public sealed class SlaTracker : IServiceExpectations, IJobHandler
{
    public const string JobKind = "sla.timer";
    public const string Warning = "sla.warning";
    public const string Breached = "sla.breached";
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private volatile Snapshot? _snapshot;

    private sealed record Policy(SlaPolicyRow Row, SlaPolicy Rules);

    private sealed record Snapshot(IReadOnlyList<Policy> Policies, IReadOnlyDictionary<Guid, Policy> ById, long LoadedAt);

    private sealed record SlaTimer(Guid TicketId, SlaMetric Metric, string Kind);

    public string Kind => JobKind;

    public void Invalidate() => _snapshot = null;

    private async Task<Snapshot> GetAsync(LoopdeskDb db, CancellationToken ct)
    {
        var current = _snapshot;
        if (current is not null && Stopwatch.GetElapsedTime(current.LoadedAt) < MaxAge) return current;
        var calendars = (await db.Calendars.AsNoTracking().ToListAsync(ct)).ToDictionary(c => c.Id, c => c.ToCalendar());
        var policies = new List<Policy>();
        foreach (var row in await db.SlaPolicies.AsNoTracking().Where(p => p.Enabled).OrderBy(p => p.Position).ThenBy(p => p.CreatedAt).ToListAsync(ct))
        {
            var calendar = row.CalendarId is { } id ? calendars.GetValueOrDefault(id) : BusinessCalendar.AlwaysOpen;
            if (calendar is null) continue;
            var paused = row.PausedIn.Select(s => WireValues.TryParse<TicketStatus>(s, out var st) ? st : (TicketStatus?)null).OfType<TicketStatus>().ToList();
            if (SlaPolicy.TryCreate(calendar, row.Targets(), paused, out var rules).IsOk) policies.Add(new Policy(row, rules!));
        }
        var snapshot = new Snapshot(policies, policies.ToDictionary(p => p.Row.Id), Stopwatch.GetTimestamp());
        _snapshot = snapshot;
        return snapshot;
    }

    private static async Task<Policy?> ChooseAsync(LoopdeskDb db, Snapshot snapshot, Ticket t, CancellationToken ct)
    {
        bool? vip = null;
        foreach (var p in snapshot.Policies)
        {
            var row = p.Row;
            if (row.Priorities.Count > 0 && !row.Priorities.Contains(Wire.Name(t.Priority))) continue;
            if (row.Types.Count > 0 && !row.Types.Contains(Wire.Name(t.Type))) continue;
            if (row.OrganizationId is { } org && t.OrganizationId != org) continue;
            if (row.Vip is { } wanted)
            {
                vip ??= (await db.Customers.FindAsync([t.CustomerId], ct))?.Vip ?? false;
                if (vip != wanted) continue;
            }
            return p;
        }
        return null;
    }

    private static async Task<TicketSla?> FindAsync(LoopdeskDb db, Guid ticketId, CancellationToken ct)
        => db.TicketSlas.Local.FirstOrDefault(s => s.TicketId == ticketId) ?? await db.TicketSlas.FirstOrDefaultAsync(s => s.TicketId == ticketId, ct);

    /// <summary>Moves the ticket's clocks for one event. Called by the rule engine before the rules, so they see the new due times.</summary>
    public async Task OnEventAsync(LoopdeskDb db, Ticket t, TicketEvent ev, DateTimeOffset now, CancellationToken ct)
    {
        if (ev.Type is not (TicketEventTypes.Created or TicketEventTypes.MessageAdded or TicketEventTypes.StatusChanged
            or TicketEventTypes.PriorityChanged or TicketEventTypes.TypeChanged or TicketEventTypes.CustomerChanged)) return;
        var snapshot = await GetAsync(db, ct);
        // no policy in force: nothing to measure (and no look-up on the busiest path)
        if (snapshot.Policies.Count == 0) return;
        var sla = ev.Type == TicketEventTypes.Created ? null : await FindAsync(db, t.Id, ct);
        if (sla is null && ev.Type != TicketEventTypes.Created && ev.Type is not (TicketEventTypes.PriorityChanged or TicketEventTypes.TypeChanged or TicketEventTypes.CustomerChanged)) return;
        using var data = JsonDocument.Parse(ev.Data);
        var d = data.RootElement;
        var at = ev.OccurredAt;

        if (sla is null)
        {
            // a new ticket, or one a changed priority or type brings under a policy for the first time
            if (await ChooseAsync(db, snapshot, t, ct) is not { } chosen) return;
            sla = new TicketSla(t.Id, chosen.Row.Id);
            db.TicketSlas.Add(sla);
            var start = ev.Type == TicketEventTypes.Created ? at : t.CreatedAt;
            if (chosen.Rules.Start(SlaMetric.FirstReply, start) is { } first && t.FirstRepliedAt is null) sla.Put(first);
            if (chosen.Rules.Start(SlaMetric.Resolution, start) is { } resolution) sla.Put(resolution);
            if (chosen.Rules.Pauses(t.Status)) PauseAll(sla, chosen, at);
            await ScheduleAsync(db, t, sla, chosen, now, ct);
            return;
        }
        if (!snapshot.ById.TryGetValue(sla.PolicyId, out var policy)) return;
        switch (ev.Type)
        {
            case TicketEventTypes.MessageAdded:
                if (d.GetProperty("internal").GetBoolean()) return;
                if (d.GetProperty("direction").GetString() == "outbound" && ev.ActorKind == ActorKind.Agent)
                {
                    foreach (var metric in new[] { SlaMetric.FirstReply, SlaMetric.NextReply })
                    {
                        if (sla.Clock(metric) is { IsStopped: false } clock) sla.Put(clock.Stop(policy.Rules.Calendar, at));
                    }
                }
                else if (d.GetProperty("direction").GetString() == "inbound" && sla.Clock(SlaMetric.FirstReply) is null or { IsStopped: true }
                    && sla.Clock(SlaMetric.NextReply) is null or { IsStopped: true } && TicketLifecycle.IsUnresolved(t.Status)
                    && policy.Rules.Start(SlaMetric.NextReply, at) is { } next)
                {
                    sla.Put(policy.Rules.Pauses(t.Status) ? next.Pause(policy.Rules.Calendar, at) : next);
                }
                break;
            case TicketEventTypes.StatusChanged:
                if (t.Status is TicketStatus.Solved or TicketStatus.Closed)
                {
                    foreach (var clock in sla.Clocks.Where(c => !c.IsStopped).ToList()) sla.Put(clock.Stop(policy.Rules.Calendar, at));
                }
                else if (d.GetProperty("from").GetString() == Wire.Name(TicketStatus.Solved) && sla.Clock(SlaMetric.Resolution) is { } done
                    && policy.Rules.Start(SlaMetric.Resolution, at) is { } again)
                {
                    // reopened: resolution goes on with the time it had used
                    sla.Put(again with { Used = done.Used, BreachedAt = done.BreachedAt });
                }
                if (policy.Rules.Pauses(t.Status)) PauseAll(sla, policy, at);
                else foreach (var clock in sla.Clocks.Where(c => c.IsPaused).ToList()) sla.Put(clock.Resume(at));
                break;
            default:
                // priority, type or customer changed: the covering policy may change; time used so far is kept
                if (await ChooseAsync(db, snapshot, t, ct) is { } chosen && chosen.Row.Id != policy.Row.Id)
                {
                    foreach (var clock in sla.Clocks.ToList())
                    {
                        if (chosen.Rules.Targets.TryGetValue(clock.Metric, out var target)) sla.Put(clock with { Target = target });
                    }
                    sla.PolicyId = chosen.Row.Id;
                    policy = chosen;
                }
                break;
        }
        await ScheduleAsync(db, t, sla, policy, now, ct);
    }

    private static void PauseAll(TicketSla sla, Policy policy, DateTimeOffset at)
    {
        foreach (var clock in sla.Clocks.Where(c => c.IsRunning).ToList()) sla.Put(clock.Pause(policy.Rules.Calendar, at));
    }

    /// <summary>Due columns and warning/breach timers follow the clocks: a running clock has both, any other none.</summary>
    private static async Task ScheduleAsync(LoopdeskDb db, Ticket t, TicketSla sla, Policy policy, DateTimeOffset now, CancellationToken ct)
    {
        var calendar = policy.Rules.Calendar;
        sla.FirstReplyDueAt = sla.Clock(SlaMetric.FirstReply)?.DueAt(calendar);
        sla.NextReplyDueAt = sla.Clock(SlaMetric.NextReply)?.DueAt(calendar);
        sla.ResolutionDueAt = sla.Clock(SlaMetric.Resolution)?.DueAt(calendar);
        sla.UpdatedAt = now;
        foreach (var metric in Enum.GetValues<SlaMetric>())
        {
            var clock = sla.Clock(metric);
            var due = clock?.DueAt(calendar);
            var breachKey = $"sla:{t.Id}:{Wire.Name(metric)}:breach";
            var warnKey = $"sla:{t.Id}:{Wire.Name(metric)}:warn";
            if (clock is null || due is null || due == DateTimeOffset.MaxValue || clock.BreachedAt is not null)
            {
                await db.CancelAsync(breachKey, ct);
                await db.CancelAsync(warnKey, ct);
                continue;
            }
            await db.ScheduleAsync(breachKey, JobKind, new SlaTimer(t.Id, metric, "breach"), due.Value, now, t.Id, ct);
            var warnAt = clock.WarnAt(calendar, TimeSpan.FromSeconds(policy.Row.WarnBeforeSeconds));
            if (warnAt is { } w && w > now && w < due) await db.ScheduleAsync(warnKey, JobKind, new SlaTimer(t.Id, metric, "warn"), w, now, t.Id, ct);
            else await db.CancelAsync(warnKey, ct);
        }
    }

    /// <summary>A warning or breach timer fired: record it on the ticket if the clock still says so.</summary>
    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var timer = Wire.Read<SlaTimer>(context.Job.Payload);
        var db = context.Db;
        var snapshot = await GetAsync(db, ct);
        var sla = await FindAsync(db, timer.TicketId, ct);
        if (sla is null || !snapshot.ById.TryGetValue(sla.PolicyId, out var policy) || sla.Clock(timer.Metric) is not { IsRunning: true } clock) return;
        var ticket = await db.Tickets.FirstOrDefaultAsync(x => x.Id == timer.TicketId, ct);
        if (ticket is null) return;
        var due = clock.DueAt(policy.Rules.Calendar);
        if (timer.Kind == "breach" && clock.BreachedAt is null && due <= context.Now)
        {
            sla.Put(clock with { BreachedAt = due });
            ticket.Remark(Breached, new { metric = Wire.Name(timer.Metric), dueAt = due, policyId = policy.Row.Id }, Actor.System, context.Now);
        }
        else if (timer.Kind == "warn" && clock.BreachedAt is null && due > context.Now)
        {
            ticket.Remark(Warning, new { metric = Wire.Name(timer.Metric), dueAt = due, minutesLeft = (int)Math.Ceiling(clock.Remaining(policy.Rules.Calendar, context.Now).TotalMinutes) },
                Actor.System, context.Now);
        }
    }

    /// <summary>Whether a calendar is open at <paramref name="at"/> (an agent's working hours); an unknown calendar counts as open.</summary>
    public async Task<bool> IsWorkingAsync(LoopdeskDb db, Guid calendarId, DateTimeOffset at, CancellationToken ct)
    {
        var row = await db.Calendars.AsNoTracking().FirstOrDefaultAsync(c => c.Id == calendarId, ct);
        return row?.ToCalendar()?.IsOpen(at) ?? true;
    }

    public async Task<DueTimes?> DueTimesAsync(LoopdeskDb db, Ticket ticket, DateTimeOffset now, CancellationToken ct)
    {
        if ((await GetAsync(db, ct)).Policies.Count == 0) return null;
        // a ticket opened in this transaction has its clocks in the change tracker, if anywhere
        var sla = db.Entry(ticket).State == EntityState.Added ? db.TicketSlas.Local.FirstOrDefault(s => s.TicketId == ticket.Id) : await FindAsync(db, ticket.Id, ct);
        return sla is null ? null : new DueTimes(sla.FirstReplyDueAt, sla.NextReplyDueAt, sla.ResolutionDueAt);
    }

    /// <summary>The state of each clock now, for the API.</summary>
    public async Task<(string? Policy, IReadOnlyList<(SlaClock Clock, SlaState State, DateTimeOffset? DueAt)>)> DescribeAsync(LoopdeskDb db, Guid ticketId, DateTimeOffset now, CancellationToken ct)
    {
        var sla = await db.TicketSlas.AsNoTracking().FirstOrDefaultAsync(s => s.TicketId == ticketId, ct);
        var snapshot = await GetAsync(db, ct);
        if (sla is null || !snapshot.ById.TryGetValue(sla.PolicyId, out var policy)) return (null, []);
        var warn = TimeSpan.FromSeconds(policy.Row.WarnBeforeSeconds);
        return (policy.Row.Name, [.. sla.Clocks.OrderBy(c => c.Metric).Select(c => (c, c.State(policy.Rules.Calendar, now, warn), c.DueAt(policy.Rules.Calendar)))]);
    }
}
