using Loopdesk.Core.Service;
using Loopdesk.Web.Workspace;

namespace Loopdesk.Tests.Web;

/// <summary>SLA time left as agents read it: business hours of the policy's calendar, and the due moment in its zone.</summary>
public sealed class SlaTimeTests
{
    private static readonly BusinessCalendar Office = Calendar();

    private static BusinessCalendar Calendar()
    {
        var hours = new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday }
            .Select(d => new BusinessInterval(d, new TimeOnly(9, 0), new TimeOnly(17, 0))).ToList();
        Assert.True(BusinessCalendar.TryCreate("Europe/Berlin", hours, [], out var calendar).IsOk);
        return calendar!;
    }

    // Friday 27 November 2026, 15:00 in Berlin (UTC+1)
    private static readonly DateTimeOffset FridayAfternoon = new(2026, 11, 27, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Over_a_weekend_the_time_left_is_business_hours_and_the_due_moment_is_monday_in_the_calendars_zone()
    {
        var clock = SlaClock.Start(SlaMetric.FirstReply, TimeSpan.FromHours(4), FridayAfternoon);
        var sla = new SlaTime(clock, Office, "Office hours");
        var now = FridayAfternoon.AddMinutes(30);

        // two hours of Friday are left to use, then two on Monday: 3 h 30 min left, not the 66 h of wall time
        Assert.Equal("3 h 30 min left", sla.Text(now));
        Assert.Equal("Mon 30 Nov 11:00 Europe/Berlin", sla.DueText);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero), sla.Due);
        Assert.Equal("business hours of Office hours", sla.Hours);
        Assert.False(sla.IsSoon(now));

        // Saturday: the calendar is closed, nothing is used up
        Assert.Equal("2 h 0 min left", sla.Text(FridayAfternoon.AddDays(1)));
        // Monday 09:30 in Berlin: half an hour of Monday used, soon due
        var monday = new DateTimeOffset(2026, 11, 30, 8, 30, 0, TimeSpan.Zero);
        Assert.Equal("1 h 30 min left", sla.Text(monday));
        Assert.True(sla.IsSoon(monday));
    }

    [Fact]
    public void Business_time_left_is_counted_in_hours_not_days()
    {
        var clock = SlaClock.Start(SlaMetric.Resolution, TimeSpan.FromHours(50), FridayAfternoon);
        Assert.Equal("50 h 0 min left", new SlaTime(clock, Office, "Office hours").Text(FridayAfternoon));
    }

    [Fact]
    public void A_missed_target_reads_overdue_by_the_business_time_past_it()
    {
        var clock = SlaClock.Start(SlaMetric.Resolution, TimeSpan.FromHours(1), FridayAfternoon);
        var sla = new SlaTime(clock, Office, "Office hours");
        Assert.Equal("overdue by 30 min", sla.Text(FridayAfternoon.AddMinutes(90)));
        Assert.True(sla.IsBreached(FridayAfternoon.AddMinutes(90)));
        // missed on Friday, and on Saturday no more business time passes
        Assert.Equal("overdue by 1 h 0 min", sla.Text(FridayAfternoon.AddDays(1)));
    }

    [Fact]
    public void A_paused_clock_keeps_what_is_left_and_has_no_due_moment()
    {
        var clock = SlaClock.Start(SlaMetric.NextReply, TimeSpan.FromHours(8), FridayAfternoon).Pause(Office, FridayAfternoon.AddHours(1));
        var sla = new SlaTime(clock, Office, "Office hours");
        Assert.Equal("paused, 7 h 0 min left", sla.Text(FridayAfternoon.AddDays(3)));
        Assert.Null(sla.DueText);

        // paused after its target was missed: still overdue
        var late = SlaClock.Start(SlaMetric.NextReply, TimeSpan.FromHours(1), FridayAfternoon).Pause(Office, FridayAfternoon.AddHours(2));
        Assert.Equal("paused, overdue", new SlaTime(late, Office, "Office hours").Text(FridayAfternoon.AddDays(3)));
    }

    [Fact]
    public void Around_the_clock_says_so_and_shows_the_due_moment_in_utc()
    {
        var clock = SlaClock.Start(SlaMetric.FirstReply, TimeSpan.FromHours(2), FridayAfternoon);
        var sla = new SlaTime(clock, BusinessCalendar.AlwaysOpen, "");
        Assert.Equal("2 h 0 min left", sla.Text(FridayAfternoon));
        Assert.Equal("Fri 27 Nov 16:00 UTC", sla.DueText);
        Assert.Equal("around the clock", sla.Hours);
    }
}
