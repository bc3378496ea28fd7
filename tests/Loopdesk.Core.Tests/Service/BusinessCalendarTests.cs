using Loopdesk.Core.Service;

namespace Loopdesk.Core.Tests.Service;

public class BusinessCalendarTests
{
    private static readonly TimeZoneInfo AmsterdamZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
    private static readonly TimeZoneInfo NewYorkZone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DayOfWeek[] WorkDays = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday];

    private static TimeOnly T(int hour, int minute = 0) => new(hour, minute);

    /// <summary>A wall-clock time in Amsterdam that occurs exactly once.</summary>
    private static DateTimeOffset Ams(int month, int day, int hour, int minute = 0, int year = 2026) => In(AmsterdamZone, year, month, day, hour, minute);

    private static DateTimeOffset In(TimeZoneInfo zone, int year, int month, int day, int hour, int minute = 0)
    {
        var local = new DateTime(year, month, day, hour, minute, 0);
        Assert.False(zone.IsInvalidTime(local) || zone.IsAmbiguousTime(local), $"{local} is not a plain local time");
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0, int year = 2026) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    private static IEnumerable<BusinessInterval> Weekdays(TimeOnly start, TimeOnly end) => WorkDays.Select(d => new BusinessInterval(d, start, end));

    private static IEnumerable<BusinessInterval> EveryDay(TimeOnly start, TimeOnly end) => Enum.GetValues<DayOfWeek>().Select(d => new BusinessInterval(d, start, end));

    private static BusinessCalendar Create(string zone, IEnumerable<BusinessInterval> hours, params DateOnly[] holidays)
    {
        var verdict = BusinessCalendar.TryCreate(zone, [.. hours], holidays, out var calendar);
        Assert.True(verdict.IsOk, verdict.Message);
        return calendar!;
    }

    private static BusinessCalendar OfficeHours(params DateOnly[] holidays) => Create("Europe/Amsterdam", Weekdays(T(9), T(17)), holidays);

    [Fact]
    public void Four_hours_from_Friday_afternoon_are_due_Monday_noon()
    {
        var calendar = OfficeHours();
        var due = calendar.Add(Ams(3, 6, 16), TimeSpan.FromHours(4));
        Assert.Equal(Ams(3, 9, 12), due);
        Assert.Equal(TimeSpan.FromHours(1), due.Offset);
        Assert.Equal(TimeSpan.FromHours(4), calendar.Between(Ams(3, 6, 16), due));
    }

    [Fact]
    public void Time_used_up_at_closing_is_due_at_closing_not_at_the_next_opening()
    {
        var calendar = OfficeHours();
        Assert.Equal(Ams(3, 6, 17), calendar.Add(Ams(3, 6, 16), TimeSpan.FromHours(1)));
        Assert.Equal(Ams(3, 9, 9, 1), calendar.Add(Ams(3, 6, 16), TimeSpan.FromMinutes(61)));
    }

    [Fact]
    public void Adding_nothing_is_the_start_itself_even_when_closed()
    {
        var saturday = Ams(3, 7, 11);
        Assert.Equal(saturday, OfficeHours().Add(saturday, TimeSpan.Zero));
    }

    [Fact]
    public void Negative_business_time_is_a_programming_error()
        => Assert.Throws<ArgumentOutOfRangeException>(() => OfficeHours().Add(Ams(3, 6, 16), TimeSpan.FromMinutes(-1)));

    [Fact]
    public void A_start_outside_hours_counts_from_the_next_opening()
    {
        var calendar = OfficeHours();
        Assert.Equal(Ams(3, 9, 11), calendar.Add(Ams(3, 7, 23), TimeSpan.FromHours(2)));
        Assert.Equal(Ams(3, 3, 10), calendar.Add(Ams(3, 2, 20), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void Open_and_next_open_follow_the_hours()
    {
        var calendar = OfficeHours();
        Assert.True(calendar.IsOpen(Ams(3, 6, 9)));
        Assert.True(calendar.IsOpen(Ams(3, 6, 16, 59)));
        Assert.False(calendar.IsOpen(Ams(3, 6, 17)));
        Assert.False(calendar.IsOpen(Ams(3, 7, 12)));
        Assert.False(calendar.IsOpen(Ams(3, 6, 8, 59)));

        var open = Ams(3, 6, 10);
        Assert.Equal(open, calendar.NextOpen(open));
        Assert.Equal(Ams(3, 9, 9), calendar.NextOpen(Ams(3, 6, 17)));
        Assert.Equal(Ams(3, 9, 9), calendar.NextOpen(Ams(3, 8, 23, 59)));
    }

    [Fact]
    public void A_split_shift_skips_the_lunch_break()
    {
        var calendar = Create("Europe/Amsterdam", Weekdays(T(9), T(12)).Concat(Weekdays(T(13), T(17, 30))));

        Assert.Equal(Ams(3, 2, 14), calendar.Add(Ams(3, 2, 11), TimeSpan.FromHours(2)));
        Assert.Equal(Ams(3, 3, 10), calendar.Add(Ams(3, 2, 16, 30), TimeSpan.FromHours(2)));
        Assert.Equal(Ams(3, 2, 12), calendar.Add(Ams(3, 2, 11), TimeSpan.FromHours(1)));
        Assert.False(calendar.IsOpen(Ams(3, 2, 12, 30)));
        Assert.Equal(Ams(3, 2, 13), calendar.NextOpen(Ams(3, 2, 12, 30)));
        Assert.Equal(TimeSpan.FromHours(7.5), calendar.Between(Ams(3, 2, 0), Ams(3, 3, 0)));
        Assert.Equal(TimeSpan.FromHours(37.5), calendar.Between(Ams(3, 2, 0), Ams(3, 9, 0)));
    }

    [Fact]
    public void Holidays_are_closed_all_day()
    {
        var easterMonday = new DateOnly(2026, 4, 6);
        var calendar = OfficeHours(easterMonday);

        Assert.Equal(Ams(4, 7, 12), calendar.Add(Ams(4, 3, 16), TimeSpan.FromHours(4)));
        Assert.False(calendar.IsOpen(Ams(4, 6, 10)));
        Assert.Equal(Ams(4, 7, 9), calendar.NextOpen(Ams(4, 6, 10)));
        Assert.Equal(TimeSpan.FromHours(32), calendar.Between(Ams(4, 6, 0), Ams(4, 13, 0)));
        Assert.Equal([easterMonday], calendar.Holidays);
    }

    [Fact]
    public void Holidays_are_kept_ordered_and_once()
    {
        var calendar = OfficeHours(new DateOnly(2026, 12, 26), new DateOnly(2026, 12, 25), new DateOnly(2026, 12, 26));
        Assert.Equal([new DateOnly(2026, 12, 25), new DateOnly(2026, 12, 26)], calendar.Holidays);
    }

    [Fact]
    public void Spring_forward_makes_a_day_of_23_hours()
    {
        var calendar = Create("Europe/Amsterdam", EveryDay(TimeOnly.MinValue, BusinessInterval.Midnight));

        Assert.Equal(TimeSpan.FromHours(23), calendar.Between(Ams(3, 29, 0), Ams(3, 30, 0)));
        var due = calendar.Add(Ams(3, 29, 1), TimeSpan.FromHours(2));
        Assert.Equal(Utc(3, 29, 2), due);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 4, 0, 0, TimeSpan.FromHours(2)), due);
        Assert.Equal(TimeSpan.FromHours(2), due.Offset);
    }

    [Fact]
    public void Fall_back_makes_a_day_of_25_hours()
    {
        var calendar = Create("Europe/Amsterdam", EveryDay(TimeOnly.MinValue, BusinessInterval.Midnight));

        Assert.Equal(TimeSpan.FromHours(25), calendar.Between(Ams(10, 25, 0), Ams(10, 26, 0)));
        var due = calendar.Add(Ams(10, 25, 0), TimeSpan.FromHours(3));
        Assert.Equal(Utc(10, 25, 1), due);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 2, 0, 0, TimeSpan.FromHours(1)), due);
    }

    [Fact]
    public void A_shift_over_the_repeated_hour_works_it_twice()
    {
        var calendar = Create("Europe/Amsterdam", [new BusinessInterval(DayOfWeek.Sunday, T(1), T(4))]);

        Assert.Equal(TimeSpan.FromHours(4), calendar.Between(Ams(10, 25, 0), Ams(10, 26, 0)));
        Assert.Equal(TimeSpan.FromHours(3), calendar.Between(Ams(10, 18, 0), Ams(10, 19, 0)));
        Assert.True(calendar.IsOpen(Utc(10, 25, 0, 30)));
        Assert.True(calendar.IsOpen(Utc(10, 25, 1, 30)));
        Assert.Equal(Utc(10, 25, 3), calendar.Add(Ams(10, 25, 1), TimeSpan.FromHours(4)));
    }

    [Fact]
    public void An_interval_ending_in_the_repeated_hour_ends_at_its_second_showing()
    {
        // 00:00-02:30 runs to 02:30 winter time; 02:45 opens the first time the clock shows it, in summer time
        var calendar = Create("Europe/Amsterdam", [new BusinessInterval(DayOfWeek.Sunday, T(0), T(2, 30)), new BusinessInterval(DayOfWeek.Sunday, T(2, 45), T(6))]);

        // 00:00 CEST (22:00 UTC) until 06:00 CET (05:00 UTC) without a break: the two overlap in real time
        Assert.Equal(TimeSpan.FromHours(7), calendar.Between(Ams(10, 24, 12), Ams(10, 25, 12)));
        Assert.True(calendar.IsOpen(Utc(10, 25, 0, 35)));
        Assert.Equal(Utc(10, 25, 4), calendar.Add(Ams(10, 24, 23), TimeSpan.FromHours(6)));
    }

    [Fact]
    public void An_interval_starting_in_the_skipped_hour_opens_when_the_clock_jumps()
    {
        var calendar = Create("Europe/Amsterdam", [new BusinessInterval(DayOfWeek.Sunday, T(2, 30), T(5))]);

        Assert.Equal(Utc(3, 29, 1), calendar.NextOpen(Ams(3, 29, 0)));
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 3, 0, 0, TimeSpan.FromHours(2)), calendar.NextOpen(Ams(3, 28, 12)));
        Assert.False(calendar.IsOpen(Utc(3, 29, 0, 59)));
        Assert.True(calendar.IsOpen(Utc(3, 29, 1)));
        Assert.Equal(TimeSpan.FromHours(2), calendar.Between(Ams(3, 29, 0), Ams(3, 30, 0)));
        Assert.Equal(TimeSpan.FromHours(2.5), calendar.Between(Ams(3, 22, 0), Ams(3, 23, 0)));
        Assert.Equal(Utc(3, 29, 2), calendar.Add(Ams(3, 28, 20), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void An_interval_inside_the_skipped_hour_does_not_open_that_day()
    {
        var calendar = Create("Europe/Amsterdam", [new BusinessInterval(DayOfWeek.Sunday, T(2, 5), T(2, 50)), .. Weekdays(T(9), T(17))]);

        Assert.Equal(TimeSpan.FromMinutes(45), calendar.Between(Ams(3, 22, 0), Ams(3, 23, 0)));
        Assert.Equal(TimeSpan.Zero, calendar.Between(Ams(3, 29, 0), Ams(3, 30, 0)));
        Assert.Equal(Ams(3, 30, 9), calendar.NextOpen(Ams(3, 28, 12)));
    }

    [Fact]
    public void A_change_at_midnight_moves_the_day_boundary()
    {
        // Chile turns 24:00 Saturday back to 23:00 on 4 April 2026, and skips Sunday 00:00-01:00 on 6 September 2026
        var saturdays = Create("America/Santiago", [BusinessInterval.AllDay(DayOfWeek.Saturday)]);
        var sundays = Create("America/Santiago", [BusinessInterval.AllDay(DayOfWeek.Sunday)]);

        Assert.Equal(TimeSpan.FromHours(25), saturdays.Between(Utc(4, 3, 12), Utc(4, 6, 12)));
        Assert.Equal(TimeSpan.FromHours(24), sundays.Between(Utc(4, 3, 12), Utc(4, 6, 12)));
        Assert.Equal(TimeSpan.FromHours(23), sundays.Between(Utc(9, 5, 12), Utc(9, 8, 12)));
        var opening = sundays.NextOpen(Utc(9, 5, 12));
        Assert.Equal(Utc(9, 6, 4), opening);
        Assert.Equal(new DateTimeOffset(2026, 9, 6, 1, 0, 0, TimeSpan.FromHours(-3)), opening);
    }

    [Fact]
    public void Office_hours_keep_their_local_time_across_the_change()
    {
        var calendar = OfficeHours();
        var due = calendar.Add(Ams(3, 27, 16), TimeSpan.FromHours(4));
        Assert.Equal(Ams(3, 30, 12), due);
        Assert.Equal(Utc(3, 30, 10), due);
        Assert.Equal(Ams(10, 26, 12), calendar.Add(Ams(10, 23, 16), TimeSpan.FromHours(4)));
        Assert.Equal(TimeSpan.FromHours(40), calendar.Between(Ams(3, 23, 0), Ams(3, 30, 0)));
        Assert.Equal(TimeSpan.FromHours(8), calendar.Between(Ams(3, 27, 12), Ams(3, 30, 12)));
    }

    [Fact]
    public void New_York_counts_in_its_own_time()
    {
        var calendar = Create("America/New_York", Weekdays(T(9), T(17)));
        // the US moves its clocks on 8 March 2026, three weeks before Europe
        var due = calendar.Add(In(NewYorkZone, 2026, 3, 6, 16), TimeSpan.FromHours(4));
        Assert.Equal(Utc(3, 9, 16), due);
        Assert.Equal(TimeSpan.FromHours(-4), due.Offset);
        Assert.True(calendar.IsOpen(Utc(3, 9, 13)));
        Assert.False(calendar.IsOpen(Utc(3, 9, 12, 59)));
    }

    [Fact]
    public void A_night_shift_runs_over_midnight()
    {
        var calendar = Create("Europe/Amsterdam", [new BusinessInterval(DayOfWeek.Monday, T(22), BusinessInterval.Midnight), new BusinessInterval(DayOfWeek.Tuesday, T(0), T(6))]);

        Assert.True(calendar.Hours[0].EndsAtMidnight);
        Assert.True(calendar.IsOpen(Ams(3, 3, 0)));
        Assert.Equal(Ams(3, 3, 1), calendar.Add(Ams(3, 2, 23), TimeSpan.FromHours(2)));
        Assert.Equal(TimeSpan.FromHours(8), calendar.Between(Ams(3, 2, 21), Ams(3, 3, 7)));
        Assert.Equal(Ams(3, 9, 22), calendar.NextOpen(Ams(3, 3, 6)));
    }

    [Fact]
    public void Touching_intervals_are_merged_and_kept_in_order()
    {
        var calendar = Create("Europe/Amsterdam",
        [
            new BusinessInterval(DayOfWeek.Tuesday, T(9), T(17)),
            new BusinessInterval(DayOfWeek.Monday, T(12), T(17)),
            new BusinessInterval(DayOfWeek.Monday, T(9), T(12)),
        ]);

        Assert.Equal(
            [new BusinessInterval(DayOfWeek.Monday, T(9), T(17)), new BusinessInterval(DayOfWeek.Tuesday, T(9), T(17))],
            calendar.Hours);
        Assert.True(calendar.IsOpen(Ams(3, 2, 12)));
        Assert.Equal(Ams(3, 2, 13), calendar.Add(Ams(3, 2, 11), TimeSpan.FromHours(2)));
    }

    [Fact]
    public void Overlapping_hours_are_refused()
    {
        BusinessInterval[] hours = [new(DayOfWeek.Monday, T(9), T(12)), new(DayOfWeek.Tuesday, T(9), T(17)), new(DayOfWeek.Monday, T(11, 30), T(17))];

        var verdict = BusinessCalendar.TryCreate("Europe/Amsterdam", hours, [], out var calendar);

        Assert.Equal("calendar.overlapping_hours", verdict.Code);
        Assert.Equal("hours[2]", verdict.Field);
        Assert.Contains("Monday 09:00–12:00", verdict.Message, StringComparison.Ordinal);
        Assert.Null(calendar);
    }

    [Fact]
    public void An_interval_inside_another_is_refused()
    {
        BusinessInterval[] hours = [new(DayOfWeek.Monday, T(9), T(17)), new(DayOfWeek.Monday, T(10), T(11))];
        Assert.Equal("calendar.overlapping_hours", BusinessCalendar.TryCreate("UTC", hours, [], out _).Code);
    }

    [Theory]
    [InlineData("Mars/Olympus_Mons")]
    [InlineData("Europe/Amsterdamm")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" Europe/Amsterdam")]
    [InlineData("../../../etc/passwd")]
    [InlineData("/usr/share/zoneinfo/Europe/Amsterdam")]
    public void An_unknown_time_zone_is_refused(string zone)
    {
        var verdict = BusinessCalendar.TryCreate(zone, [.. Weekdays(T(9), T(17))], [], out var calendar);

        Assert.Equal("calendar.unknown_time_zone", verdict.Code);
        Assert.Equal("timeZoneId", verdict.Field);
        Assert.Null(calendar);
    }

    [Fact]
    public void A_known_time_zone_is_kept_by_its_id()
        => Assert.Equal("America/New_York", Create("America/New_York", Weekdays(T(9), T(17))).TimeZoneId);

    [Fact]
    public void A_calendar_without_hours_is_refused()
    {
        var verdict = BusinessCalendar.TryCreate("Europe/Amsterdam", [], [], out var calendar);
        Assert.Equal("calendar.no_hours", verdict.Code);
        Assert.Equal("hours", verdict.Field);
        Assert.Null(calendar);
    }

    [Theory]
    [InlineData(17, 0, 9, 0)]
    [InlineData(9, 0, 9, 0)]
    [InlineData(22, 0, 0, 0)]
    public void An_interval_that_does_not_end_after_it_starts_is_refused(int startHour, int startMinute, int endHour, int endMinute)
    {
        BusinessInterval[] hours = [new(DayOfWeek.Monday, T(9), T(12)), new(DayOfWeek.Tuesday, T(startHour, startMinute), T(endHour, endMinute))];

        var verdict = BusinessCalendar.TryCreate("Europe/Amsterdam", hours, [], out _);

        Assert.Equal("calendar.invalid_interval", verdict.Code);
        Assert.Equal("hours[1]", verdict.Field);
    }

    [Fact]
    public void An_interval_on_no_weekday_is_refused()
    {
        var verdict = BusinessCalendar.TryCreate("UTC", [new BusinessInterval((DayOfWeek)7, T(9), T(17))], [], out _);
        Assert.Equal("calendar.invalid_interval", verdict.Code);
        Assert.Equal("hours[0]", verdict.Field);
    }

    [Fact]
    public void Always_open_adds_wall_time()
    {
        var calendar = BusinessCalendar.AlwaysOpen;
        var start = Ams(3, 28, 22);

        Assert.Equal("UTC", calendar.TimeZoneId);
        Assert.Equal(7, calendar.Hours.Count);
        Assert.Empty(calendar.Holidays);
        Assert.Equal(start.AddHours(36), calendar.Add(start, TimeSpan.FromHours(36)));
        Assert.Equal(start.AddDays(40), calendar.Add(start, TimeSpan.FromDays(40)));
        Assert.Equal(TimeSpan.FromHours(36), calendar.Between(start, start.AddHours(36)));
        Assert.True(calendar.IsOpen(start));
        Assert.Equal(start, calendar.NextOpen(start));
        Assert.Equal(TimeSpan.Zero, calendar.Add(start, TimeSpan.FromHours(1)).Offset);
    }

    [Fact]
    public void Between_is_zero_when_the_end_is_not_after_the_start()
    {
        var calendar = OfficeHours();
        Assert.Equal(TimeSpan.Zero, calendar.Between(Ams(3, 2, 12), Ams(3, 2, 12)));
        Assert.Equal(TimeSpan.Zero, calendar.Between(Ams(3, 2, 12), Ams(3, 2, 10)));
    }

    [Fact]
    public void Between_reads_instants_whatever_their_offset()
    {
        var calendar = OfficeHours();
        Assert.Equal(TimeSpan.FromHours(2), calendar.Between(Utc(3, 2, 9), new DateTimeOffset(2026, 3, 2, 6, 0, 0, TimeSpan.FromHours(-5))));
    }

    [Fact]
    public void A_target_of_a_year_is_found_by_walking_interval_by_interval()
    {
        var calendar = OfficeHours();
        var start = Ams(3, 2, 9);

        // 8,760 hours at 40 a week are 219 weeks; the last hour ends on the Friday of the 219th week
        var due = calendar.Add(start, TimeSpan.FromDays(365));

        var friday = new DateOnly(2026, 3, 2).AddDays((218 * 7) + 4);
        Assert.Equal(Ams(friday.Month, friday.Day, 17, year: friday.Year), due);
        Assert.Equal(TimeSpan.FromDays(365), calendar.Between(start, due));
    }

    [Fact]
    public void Holidays_covering_more_than_the_search_horizon_give_no_due_time()
    {
        var first = new DateOnly(2026, 1, 1);
        var holidays = Enumerable.Range(0, 366 * (BusinessCalendar.SearchYears + 1)).Select(first.AddDays).ToArray();
        var calendar = OfficeHours(holidays);

        Assert.Equal(DateTimeOffset.MaxValue, calendar.Add(Ams(3, 2, 9), TimeSpan.FromHours(1)));
        Assert.False(calendar.TryAdd(Ams(3, 2, 9), TimeSpan.FromHours(1), out var due));
        Assert.Equal(DateTimeOffset.MaxValue, due);
        Assert.Equal(DateTimeOffset.MaxValue, calendar.NextOpen(Ams(3, 2, 9)));
        Assert.False(calendar.IsOpen(Ams(3, 2, 10)));
        Assert.Equal(TimeSpan.Zero, calendar.Between(Ams(3, 2, 9), Ams(3, 2, 9, year: 2030)));
    }

    [Fact]
    public void Holidays_covering_years_within_the_horizon_are_walked_over()
    {
        var first = new DateOnly(2026, 1, 1);
        var holidays = Enumerable.Range(0, 3 * 365 + 1).Select(first.AddDays).ToArray();
        Assert.Equal(new DateOnly(2028, 12, 31), holidays[^1]);
        var calendar = OfficeHours(holidays);

        Assert.True(calendar.TryAdd(Ams(3, 2, 9), TimeSpan.FromHours(1), out var due));
        Assert.Equal(Ams(1, 1, 10, year: 2029), due);
        Assert.Equal(Ams(1, 1, 9, year: 2029), calendar.NextOpen(Ams(3, 2, 9)));
    }

    public static TheoryData<string> Calendars => ["office", "split", "new-york-night", "around-the-change", "santiago", "lord-howe", "always"];

    private static BusinessCalendar Named(string name) => name switch
    {
        "office" => OfficeHours(new DateOnly(2026, 4, 27), new DateOnly(2026, 12, 25), new DateOnly(2026, 12, 26)),
        "split" => Create("Europe/Amsterdam",
            [.. Weekdays(T(9), T(12)), .. Weekdays(T(13), T(17, 30)), new BusinessInterval(DayOfWeek.Saturday, T(10), T(14))],
            new DateOnly(2026, 5, 5), new DateOnly(2027, 1, 1)),
        "new-york-night" => Create("America/New_York",
            [.. Weekdays(T(8), T(20)), new BusinessInterval(DayOfWeek.Sunday, T(22), BusinessInterval.Midnight), new BusinessInterval(DayOfWeek.Monday, T(0), T(2)), new BusinessInterval(DayOfWeek.Sunday, T(1, 30), T(2, 30))],
            new DateOnly(2026, 7, 3)),
        "around-the-change" => Create("Europe/Amsterdam",
            [new BusinessInterval(DayOfWeek.Sunday, T(0), T(2, 30)), new BusinessInterval(DayOfWeek.Sunday, T(2, 45), T(6)), new BusinessInterval(DayOfWeek.Wednesday, T(23, 59, 59.5), BusinessInterval.Midnight)]),
        // Chile moves its clocks at midnight, Lord Howe Island by half an hour
        "santiago" => Create("America/Santiago", [.. EveryDay(T(0), BusinessInterval.Midnight)]),
        "lord-howe" => Create("Australia/Lord_Howe", [.. Weekdays(T(9), T(17)), new BusinessInterval(DayOfWeek.Sunday, T(1, 45), T(2, 15))]),
        _ => BusinessCalendar.AlwaysOpen,
    };

    private static TimeOnly T(int hour, int minute, double seconds) => new TimeOnly(hour, minute).Add(TimeSpan.FromSeconds(seconds));

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Between_undoes_Add(string name)
    {
        var calendar = Named(name);
        var random = new Random(20260302);
        var yearStart = Utc(1, 1, 0).UtcTicks;
        var year = Utc(1, 1, 0, year: 2027).UtcTicks - yearStart;
        for (var i = 0; i < 400; i++)
        {
            var start = new DateTimeOffset(yearStart + random.NextInt64(year), TimeSpan.Zero);
            var businessTime = TimeSpan.FromTicks(i % 5 == 0 ? random.NextInt64(TimeSpan.TicksPerHour) : random.NextInt64(TimeSpan.TicksPerDay * 21));

            var due = calendar.Add(start, businessTime);

            Assert.True(due >= start);
            Assert.Equal(businessTime, calendar.Between(start, due));
            if (businessTime > TimeSpan.Zero)
            {
                // the earliest such instant: the last tick before it was open time
                var justBefore = due.AddTicks(-1);
                Assert.True(calendar.IsOpen(justBefore), $"{name}: {start:O} + {businessTime} = {due:O}");
                Assert.Equal(businessTime - TimeSpan.FromTicks(1), calendar.Between(start, justBefore));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Calendars))]
    public void Between_adds_up_and_agrees_with_open_and_next_open(string name)
    {
        var calendar = Named(name);
        var random = new Random(7);
        var yearStart = Utc(1, 1, 0).UtcTicks;
        var year = Utc(1, 1, 0, year: 2027).UtcTicks - yearStart;
        for (var i = 0; i < 400; i++)
        {
            var a = new DateTimeOffset(yearStart + random.NextInt64(year), TimeSpan.Zero);
            var b = a.AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 10));
            var c = b.AddTicks(random.NextInt64(TimeSpan.TicksPerDay * 10));
            Assert.Equal(calendar.Between(a, c), calendar.Between(a, b) + calendar.Between(b, c));

            var open = calendar.IsOpen(a);
            Assert.Equal(open ? TimeSpan.FromTicks(1) : TimeSpan.Zero, calendar.Between(a, a.AddTicks(1)));
            var next = calendar.NextOpen(a);
            Assert.Equal(open, next == a);
            Assert.True(calendar.IsOpen(next));
            Assert.Equal(TimeSpan.Zero, calendar.Between(a, next));
        }
    }
}
