using System.Globalization;

namespace Loopdesk.Core.Service;

/// <summary>
/// One open stretch on a weekday, in the local time of its calendar: from <see cref="Start"/> up to, not including,
/// <see cref="End"/>. <see cref="End"/> must come after <see cref="Start"/>. An interval that runs to the end of the day
/// ends at <see cref="Midnight"/>, which is <see cref="TimeOnly.MaxValue"/> read as 24:00 (00:00 as an end is refused:
/// it would end before it starts). A night shift is two intervals: 22:00–24:00 on one day and 00:00–06:00 on the next;
/// the calendar counts them as one stretch.
/// </summary>
public sealed record BusinessInterval(DayOfWeek Day, TimeOnly Start, TimeOnly End)
{
    /// <summary>24:00, the end of the day, spelled as <see cref="TimeOnly.MaxValue"/>.</summary>
    public static TimeOnly Midnight => TimeOnly.MaxValue;

    /// <summary>True when the interval runs to the end of its day.</summary>
    public bool EndsAtMidnight => End == TimeOnly.MaxValue;

    /// <summary>Open the whole of <paramref name="day"/>, 00:00 to 24:00.</summary>
    public static BusinessInterval AllDay(DayOfWeek day) => new(day, TimeOnly.MinValue, Midnight);

    /// <summary>The start as ticks since the local midnight.</summary>
    internal long StartTicks => Start.Ticks;

    /// <summary>The end as ticks since the local midnight; a full day of ticks for <see cref="Midnight"/>.</summary>
    internal long EndTicks => EndsAtMidnight ? TimeSpan.TicksPerDay : End.Ticks;

    public override string ToString() => $"{Day} {Clock(StartTicks)}–{Clock(EndTicks)}";

    internal static string Clock(long ticksOfDay) => ticksOfDay >= TimeSpan.TicksPerDay
        ? "24:00"
        : new TimeOnly(ticksOfDay).ToString(ticksOfDay % TimeSpan.TicksPerMinute == 0 ? "HH:mm" : "HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
}
