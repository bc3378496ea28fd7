using Loopdesk.Core.Service;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Core.Tests.Service;

public class SlaClockTests
{
    private static readonly TimeZoneInfo AmsterdamZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
    private static readonly BusinessCalendar Office = CreateOffice();

    private static BusinessCalendar CreateOffice()
    {
        DayOfWeek[] days = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];
        var verdict = BusinessCalendar.TryCreate("Europe/Amsterdam", [.. days.Select(d => new BusinessInterval(d, new TimeOnly(9, 0), new TimeOnly(17, 0)))], [], out var calendar);
        Assert.True(verdict.IsOk);
        return calendar!;
    }

    /// <summary>A wall-clock time in Amsterdam in March 2026 (2 March is a Monday).</summary>
    private static DateTimeOffset Ams(int day, int hour, int minute = 0)
    {
        var local = new DateTime(2026, 3, day, hour, minute, 0);
        return new DateTimeOffset(local, AmsterdamZone.GetUtcOffset(local));
    }

    private static TimeSpan Hours(double hours) => TimeSpan.FromHours(hours);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-1440)]
    public void A_target_of_zero_or_less_is_refused(int minutes)
    {
        var verdict = SlaClock.Validate(TimeSpan.FromMinutes(minutes));
        Assert.Equal("sla.invalid_target", verdict.Code);
        Assert.Equal("target", verdict.Field);
        Assert.Throws<ArgumentOutOfRangeException>(() => SlaClock.Start(SlaMetric.FirstReply, TimeSpan.FromMinutes(minutes), Ams(2, 9)));
    }

    [Fact]
    public void A_target_of_more_than_a_year_is_refused()
    {
        Assert.Equal("sla.invalid_target", SlaClock.Validate(TimeSpan.FromDays(365) + TimeSpan.FromTicks(1)).Code);
        Assert.True(SlaClock.Validate(TimeSpan.FromDays(365)).IsOk);
        Assert.True(SlaClock.Validate(TimeSpan.FromMinutes(1)).IsOk);
    }

    [Fact]
    public void A_started_clock_runs_and_is_due_in_business_time()
    {
        var clock = SlaClock.Start(SlaMetric.FirstReply, Hours(4), Ams(6, 16));

        Assert.True(clock.IsRunning);
        Assert.False(clock.IsPaused);
        Assert.Equal(TimeSpan.Zero, clock.Used);
        Assert.Equal(Ams(9, 12), clock.DueAt(Office));
        Assert.Equal(Hours(2), clock.Remaining(Office, Ams(9, 10)));
        Assert.Equal(Hours(3), clock.Remaining(Office, Ams(8, 10)));
        Assert.False(clock.IsBreached(Office, Ams(9, 12)));
        Assert.True(clock.IsBreached(Office, Ams(9, 12, 1)));
        Assert.Equal(TimeSpan.FromMinutes(-1), clock.Remaining(Office, Ams(9, 12, 1)));
    }

    [Fact]
    public void Pausing_while_pending_and_resuming_keeps_the_time_used()
    {
        var clock = SlaClock.Start(SlaMetric.Resolution, Hours(8), Ams(2, 9));

        var paused = clock.Pause(Office, Ams(2, 11));
        Assert.Equal(Hours(2), paused.Used);
        Assert.True(paused.IsPaused);
        Assert.Null(paused.DueAt(Office));
        Assert.Equal(Hours(6), paused.Remaining(Office, Ams(4, 10)));
        Assert.False(paused.IsBreached(Office, Ams(20, 10)));

        var resumed = paused.Resume(Ams(4, 14));
        Assert.True(resumed.IsRunning);
        Assert.Equal(Hours(2), resumed.Used);
        Assert.Equal(Ams(5, 12), resumed.DueAt(Office));
        Assert.Equal(Hours(5), resumed.Remaining(Office, Ams(4, 15)));

        var pausedAgain = resumed.Pause(Office, Ams(5, 10));
        Assert.Equal(Hours(6), pausedAgain.Used);
        Assert.Equal(Ams(6, 11), pausedAgain.Resume(Ams(6, 9)).DueAt(Office));

        // the operations leave the earlier states as they were
        Assert.True(clock.IsRunning);
        Assert.Equal(TimeSpan.Zero, clock.Used);
        Assert.True(paused.IsPaused);
    }

    [Fact]
    public void Pausing_a_paused_clock_and_resuming_a_running_one_change_nothing()
    {
        var running = SlaClock.Start(SlaMetric.NextReply, Hours(1), Ams(2, 9));
        Assert.Same(running, running.Resume(Ams(2, 10)));
        var paused = running.Pause(Office, Ams(2, 9, 30));
        Assert.Same(paused, paused.Pause(Office, Ams(2, 10)));
    }

    [Fact]
    public void A_reply_after_a_due_time_at_closing_is_late_though_no_business_time_passed()
    {
        var clock = SlaClock.Start(SlaMetric.FirstReply, Hours(4), Ams(6, 13));
        Assert.Equal(Ams(6, 17), clock.DueAt(Office));

        Assert.True(clock.IsBreached(Office, Ams(7, 10)));
        Assert.Equal(TimeSpan.Zero, clock.Remaining(Office, Ams(7, 10)));

        var stopped = clock.Stop(Office, Ams(7, 10));
        Assert.True(stopped.IsStopped);
        Assert.Equal(Ams(6, 17), stopped.BreachedAt);
        Assert.Equal(Hours(4), stopped.Used);
        Assert.True(stopped.IsBreached(Office, Ams(7, 10)));
        Assert.Equal(SlaState.Breached, stopped.State(Office, Ams(9, 9), TimeSpan.Zero));
    }

    [Fact]
    public void A_clock_stopped_in_time_is_met_for_good()
    {
        var stopped = SlaClock.Start(SlaMetric.FirstReply, Hours(4), Ams(6, 13)).Stop(Office, Ams(6, 16, 59));

        Assert.False(stopped.IsRunning);
        Assert.Equal(Ams(6, 16, 59), stopped.StoppedAt);
        Assert.Null(stopped.BreachedAt);
        Assert.Null(stopped.DueAt(Office));
        Assert.Equal(TimeSpan.FromMinutes(1), stopped.Remaining(Office, Ams(30, 12)));
        Assert.False(stopped.IsBreached(Office, Ams(30, 12)));
        Assert.Equal(SlaState.Met, stopped.State(Office, Ams(30, 12), Hours(1)));

        Assert.Same(stopped, stopped.Resume(Ams(9, 9)));
        Assert.Same(stopped, stopped.Pause(Office, Ams(9, 9)));
        Assert.Same(stopped, stopped.Stop(Office, Ams(9, 10)));
    }

    [Fact]
    public void A_paused_clock_can_be_stopped()
    {
        var stopped = SlaClock.Start(SlaMetric.Resolution, Hours(8), Ams(2, 9)).Pause(Office, Ams(2, 12)).Stop(Office, Ams(3, 12));
        Assert.True(stopped.IsStopped);
        Assert.Equal(Hours(3), stopped.Used);
        Assert.False(stopped.IsBreached(Office, Ams(3, 12)));
    }

    [Fact]
    public void A_breach_seen_by_a_pause_stays_after_the_resume()
    {
        var clock = SlaClock.Start(SlaMetric.NextReply, Hours(1), Ams(2, 9));
        var paused = clock.Pause(Office, Ams(2, 11));

        Assert.Equal(Ams(2, 10), paused.BreachedAt);
        Assert.Equal(Hours(2), paused.Used);
        Assert.True(paused.IsBreached(Office, Ams(2, 11)));
        Assert.Equal(Hours(-1), paused.Remaining(Office, Ams(3, 11)));

        var resumed = paused.Resume(Ams(3, 9));
        Assert.True(resumed.IsBreached(Office, Ams(3, 9)));
        Assert.Equal(Ams(3, 9), resumed.DueAt(Office));
        Assert.Equal(Hours(-3), resumed.Remaining(Office, Ams(3, 11)));
    }

    [Fact]
    public void A_clock_paused_at_its_due_time_is_not_breached_until_it_runs_again()
    {
        var paused = SlaClock.Start(SlaMetric.FirstReply, Hours(1), Ams(2, 9)).Pause(Office, Ams(2, 10));
        Assert.Null(paused.BreachedAt);
        Assert.False(paused.IsBreached(Office, Ams(9, 10)));

        var resumed = paused.Resume(Ams(3, 9));
        Assert.False(resumed.IsBreached(Office, Ams(3, 9)));
        Assert.True(resumed.IsBreached(Office, Ams(3, 9, 1)));
    }

    [Fact]
    public void A_warning_comes_when_the_lead_is_all_that_is_left()
    {
        var clock = SlaClock.Start(SlaMetric.FirstReply, Hours(4), Ams(2, 9));
        var lead = TimeSpan.FromMinutes(30);

        Assert.Equal(Ams(2, 12, 30), clock.WarnAt(Office, lead));
        Assert.Equal(Ams(6, 16, 30), SlaClock.Start(SlaMetric.FirstReply, Hours(1), Ams(6, 16)).WarnAt(Office, lead));
        Assert.Equal(Ams(6, 16), SlaClock.Start(SlaMetric.FirstReply, Hours(1), Ams(6, 16)).WarnAt(Office, Hours(2)));
        Assert.Equal(SlaState.OnTrack, clock.State(Office, Ams(2, 12), lead));
        Assert.Equal(SlaState.AtRisk, clock.State(Office, Ams(2, 12, 30), lead));
        Assert.Equal(SlaState.AtRisk, clock.State(Office, Ams(2, 13), lead));
        Assert.Equal(SlaState.Breached, clock.State(Office, Ams(2, 13, 1), lead));
        Assert.Equal(SlaState.Paused, clock.Pause(Office, Ams(2, 10)).State(Office, Ams(2, 16), lead));
        Assert.Null(clock.Pause(Office, Ams(2, 10)).WarnAt(Office, lead));
    }

    [Fact]
    public void On_an_always_open_calendar_the_clock_runs_in_wall_time()
    {
        var start = new DateTimeOffset(2026, 3, 7, 22, 0, 0, TimeSpan.Zero);
        var clock = SlaClock.Start(SlaMetric.Resolution, Hours(8), start);

        Assert.Equal(start.AddHours(8), clock.DueAt(BusinessCalendar.AlwaysOpen));
        Assert.Equal(Hours(5), clock.Remaining(BusinessCalendar.AlwaysOpen, start.AddHours(3)));
    }

    [Fact]
    public void A_calendar_that_never_opens_in_sight_never_breaches()
    {
        var first = new DateOnly(2026, 1, 1);
        var holidays = Enumerable.Range(0, 366 * (BusinessCalendar.SearchYears + 1)).Select(first.AddDays).ToArray();
        Assert.True(BusinessCalendar.TryCreate("Europe/Amsterdam", [new BusinessInterval(DayOfWeek.Monday, new TimeOnly(9, 0), new TimeOnly(17, 0))], holidays, out var closed).IsOk);
        var clock = SlaClock.Start(SlaMetric.FirstReply, Hours(4), Ams(2, 9));

        Assert.Equal(DateTimeOffset.MaxValue, clock.DueAt(closed!));
        Assert.False(clock.IsBreached(closed!, Ams(30, 9)));
        Assert.Equal(Hours(4), clock.Remaining(closed!, Ams(30, 9)));
    }

    [Fact]
    public void A_policy_pauses_in_pending_and_on_hold_unless_told_otherwise()
    {
        Dictionary<SlaMetric, TimeSpan> targets = new() { [SlaMetric.FirstReply] = Hours(4), [SlaMetric.Resolution] = Hours(40) };
        Assert.True(SlaPolicy.TryCreate(Office, targets, null, out var policy).IsOk);

        Assert.True(policy!.Pauses(TicketStatus.Pending));
        Assert.True(policy.Pauses(TicketStatus.OnHold));
        Assert.False(policy.Pauses(TicketStatus.Open));
        Assert.Null(policy.Start(SlaMetric.NextReply, Ams(2, 9)));

        var clock = policy.Start(SlaMetric.Resolution, Ams(2, 9))!;
        clock = policy.Follow(clock, TicketStatus.Pending, Ams(2, 10));
        Assert.True(clock.IsPaused);
        clock = policy.Follow(clock, TicketStatus.OnHold, Ams(3, 10));
        Assert.True(clock.IsPaused);
        clock = policy.Follow(clock, TicketStatus.Open, Ams(4, 9));
        Assert.True(clock.IsRunning);
        Assert.Equal(Hours(1), clock.Used);
        Assert.Equal(Ams(10, 16), clock.DueAt(Office));

        Assert.True(SlaPolicy.TryCreate(Office, targets, [TicketStatus.Pending], out var onlyPending).IsOk);
        Assert.False(onlyPending!.Pauses(TicketStatus.OnHold));
        Assert.True(onlyPending.Follow(clock, TicketStatus.OnHold, Ams(4, 10)).IsRunning);
    }

    [Fact]
    public void A_policy_refuses_a_bad_target_naming_the_metric()
    {
        var verdict = SlaPolicy.TryCreate(Office, new Dictionary<SlaMetric, TimeSpan> { [SlaMetric.FirstReply] = TimeSpan.Zero }, null, out var policy);
        Assert.Equal("sla.invalid_target", verdict.Code);
        Assert.Equal("targets.first-reply", verdict.Field);
        Assert.Null(policy);

        Assert.Equal("sla.no_targets", SlaPolicy.TryCreate(Office, new Dictionary<SlaMetric, TimeSpan>(), null, out _).Code);
    }
}
