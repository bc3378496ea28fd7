using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Core.Service;

/// <summary>
/// What a ticket is promised: a target per metric, counted in the open time of one calendar, and the statuses in which
/// the clocks pause because the ticket waits on the customer or a third party (by default pending and on-hold).
/// </summary>
public sealed class SlaPolicy
{
    private SlaPolicy(BusinessCalendar calendar, Dictionary<SlaMetric, TimeSpan> targets, HashSet<TicketStatus> pausedIn)
    {
        Calendar = calendar;
        Targets = targets;
        PausedIn = pausedIn;
    }

    /// <summary>The statuses that pause the clocks unless told otherwise: waiting on the customer, waiting on someone else.</summary>
    public static IReadOnlyList<TicketStatus> DefaultPausedIn { get; } = [TicketStatus.Pending, TicketStatus.OnHold];

    public BusinessCalendar Calendar { get; }

    /// <summary>The target of each metric the policy promises; a metric missing here has no clock.</summary>
    public IReadOnlyDictionary<SlaMetric, TimeSpan> Targets { get; }

    /// <summary>The statuses in which the clocks pause.</summary>
    public IReadOnlySet<TicketStatus> PausedIn { get; }

    /// <summary>
    /// Makes a policy, or says why not: no target at all, a target that fails <see cref="SlaClock.Validate"/> (the field
    /// names the metric, "targets.first-reply"), an unknown metric or status. <paramref name="pausedIn"/> null means
    /// <see cref="DefaultPausedIn"/>; empty means the clocks never pause.
    /// </summary>
    public static Verdict TryCreate(BusinessCalendar calendar, IReadOnlyDictionary<SlaMetric, TimeSpan> targets, IReadOnlyCollection<TicketStatus>? pausedIn, out SlaPolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(targets);
        policy = null;
        if (targets.Count == 0) return Verdict.Deny("sla.no_targets", "A policy needs at least one target.", "targets");
        foreach (var (metric, target) in targets)
        {
            if (!Enum.IsDefined(metric)) return Verdict.Deny("sla.invalid_metric", $"{(int)metric} is not an SLA metric.", "targets");
            if (SlaClock.Validate(target) is { IsOk: false } verdict) return verdict with { Field = $"targets.{Wire.Name(metric)}" };
        }
        pausedIn ??= DefaultPausedIn;
        foreach (var status in pausedIn)
        {
            if (!Enum.IsDefined(status)) return Verdict.Deny("sla.invalid_status", $"{(int)status} is not a ticket status.", "pausedIn");
        }
        policy = new SlaPolicy(calendar, new Dictionary<SlaMetric, TimeSpan>(targets), [.. pausedIn]);
        return Verdict.Ok;
    }

    /// <summary>True when a ticket in <paramref name="status"/> waits on someone else and its clocks pause.</summary>
    public bool Pauses(TicketStatus status) => PausedIn.Contains(status);

    /// <summary>A clock for <paramref name="metric"/> running from <paramref name="at"/>; null when the policy sets no target for it.</summary>
    public SlaClock? Start(SlaMetric metric, DateTimeOffset at)
        => Targets.TryGetValue(metric, out var target) ? SlaClock.Start(metric, target, at) : null;

    /// <summary>
    /// Brings a clock in line with a ticket that moved to <paramref name="status"/> at <paramref name="at"/>: paused in a
    /// waiting status, running in any other. A stopped clock stays stopped; stopping is the caller's call (a reply, a solution).
    /// </summary>
    public SlaClock Follow(SlaClock clock, TicketStatus status, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return Pauses(status) ? clock.Pause(Calendar, at) : clock.Resume(at);
    }
}
