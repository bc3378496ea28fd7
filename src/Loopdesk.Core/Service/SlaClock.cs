using Loopdesk.Core.Common;

namespace Loopdesk.Core.Service;

/// <summary>What an SLA target measures: the first answer to the customer, each later answer, or the solution.</summary>
public enum SlaMetric { FirstReply, NextReply, Resolution }

/// <summary>
/// Where an SLA clock stands at a moment: on track, close to its target (within the warning lead), breached,
/// paused while the ticket waits on someone else, or stopped in time.
/// </summary>
public enum SlaState { OnTrack, AtRisk, Breached, Paused, Met }

/// <summary>
/// A running or paused SLA clock for one metric on one ticket, counted in the open time of a
/// <see cref="BusinessCalendar"/>. Immutable: every operation returns the new state. <see cref="Used"/> holds the
/// business time of the stretches that ended (by a pause or the stop); <see cref="RunningSince"/> is set while a stretch
/// runs. A pause keeps the time used so far and a resume carries on from it. Once stopped, the clock stays as it is.
/// </summary>
/// <remarks>
/// A target is breached once the clock runs past its due time, in wall time: a reply due at Friday 17:00 that comes on
/// Saturday is late even though no business time passed in between (<see cref="Remaining"/> then stays zero until the
/// calendar opens, while <see cref="IsBreached"/> is already true). A pause or the stop that finds the due time passed
/// records it in <see cref="BreachedAt"/>, so a paused or stopped clock still knows it was breached.
/// </remarks>
public sealed record SlaClock(SlaMetric Metric, TimeSpan Target, TimeSpan Used, DateTimeOffset? RunningSince, DateTimeOffset? StoppedAt)
{
    /// <summary>The longest target accepted; anything longer is a typing error.</summary>
    public static readonly TimeSpan MaxTarget = TimeSpan.FromDays(365);

    /// <summary>
    /// The due time that a pause or the stop found passed, or null. While the clock runs, a breach shows in
    /// <see cref="IsBreached"/> without this; store it with the clock.
    /// </summary>
    public DateTimeOffset? BreachedAt { get; init; }

    /// <summary>True while a stretch runs: started or resumed, not paused, not stopped.</summary>
    public bool IsRunning => RunningSince is not null && StoppedAt is null;

    /// <summary>True while paused: neither running nor stopped.</summary>
    public bool IsPaused => RunningSince is null && StoppedAt is null;

    /// <summary>True once stopped: the target was met or breached for good.</summary>
    public bool IsStopped => StoppedAt is not null;

    /// <summary>Refuses a target of zero or less, or of more than <see cref="MaxTarget"/>.</summary>
    public static Verdict Validate(TimeSpan target)
    {
        if (target <= TimeSpan.Zero) return Verdict.Deny("sla.invalid_target", "An SLA target must be longer than zero.", "target");
        if (target > MaxTarget) return Verdict.Deny("sla.invalid_target", $"An SLA target may be at most {MaxTarget.TotalDays:0} days.", "target");
        return Verdict.Ok;
    }

    /// <summary>A clock that runs from <paramref name="at"/>. The target must pass <see cref="Validate"/>: check it where it is configured.</summary>
    public static SlaClock Start(SlaMetric metric, TimeSpan target, DateTimeOffset at)
    {
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric), metric, "Not an SLA metric.");
        if (Validate(target) is { IsOk: false } verdict) throw new ArgumentOutOfRangeException(nameof(target), target, verdict.Message);
        return new SlaClock(metric, target, TimeSpan.Zero, at, null);
    }

    /// <summary>Stops the running stretch at <paramref name="at"/>, adding its business time to <see cref="Used"/>. A clock not running is returned as it is.</summary>
    public SlaClock Pause(BusinessCalendar calendar, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (!IsRunning || RunningSince is not { } since) return this;
        var breachedAt = BreachedAt;
        if (breachedAt is null && DueAt(calendar) is { } due && at > due) breachedAt = due;
        return this with { Used = Used + calendar.Between(since, at), RunningSince = null, BreachedAt = breachedAt };
    }

    /// <summary>Starts a new stretch at <paramref name="at"/> on top of the time used. A running or stopped clock is returned as it is.</summary>
    public SlaClock Resume(DateTimeOffset at) => IsPaused ? this with { RunningSince = at } : this;

    /// <summary>Ends the clock for good at <paramref name="at"/> (the reply was sent, the ticket solved): met, or breached. A stopped clock is returned as it is.</summary>
    public SlaClock Stop(BusinessCalendar calendar, DateTimeOffset at)
        => IsStopped ? this : Pause(calendar, at) with { StoppedAt = at };

    /// <summary>
    /// When the target is used up if the clock keeps running; null when paused or stopped.
    /// <see cref="DateTimeOffset.MaxValue"/> when the calendar has no such time in sight (see <see cref="BusinessCalendar.Add"/>).
    /// When the target was already used up before this stretch began, that is <see cref="RunningSince"/>.
    /// </summary>
    public DateTimeOffset? DueAt(BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (!IsRunning || RunningSince is not { } since) return null;
        var left = Target - Used;
        return calendar.Add(since, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    /// <summary>
    /// When only <paramref name="lead"/> of business time is left, for a "will breach in N minutes" warning; null when
    /// paused or stopped. <see cref="RunningSince"/> when less than that was left when the stretch began.
    /// </summary>
    public DateTimeOffset? WarnAt(BusinessCalendar calendar, TimeSpan lead)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentOutOfRangeException.ThrowIfLessThan(lead, TimeSpan.Zero);
        if (!IsRunning || RunningSince is not { } since) return null;
        var left = Target - Used - lead;
        return calendar.Add(since, left > TimeSpan.Zero ? left : TimeSpan.Zero);
    }

    /// <summary>The business time left at <paramref name="now"/>: the target less the time used; negative when breached in open time.</summary>
    public TimeSpan Remaining(BusinessCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var used = IsRunning && RunningSince is { } since ? Used + calendar.Between(since, now) : Used;
        return Target - used;
    }

    /// <summary>True when the target was missed: the clock ran past its due time, now or before a pause or the stop.</summary>
    public bool IsBreached(BusinessCalendar calendar, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (BreachedAt is not null || Used > Target) return true;
        return IsRunning && DueAt(calendar) is { } due && now > due;
    }

    /// <summary>Where the clock stands at <paramref name="now"/>; at risk once no more than <paramref name="warnBefore"/> of business time is left.</summary>
    public SlaState State(BusinessCalendar calendar, DateTimeOffset now, TimeSpan warnBefore)
    {
        if (IsBreached(calendar, now)) return SlaState.Breached;
        if (IsStopped) return SlaState.Met;
        if (IsPaused) return SlaState.Paused;
        return Remaining(calendar, now) <= warnBefore ? SlaState.AtRisk : SlaState.OnTrack;
    }
}
