using System.Security;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Service;

/// <summary>
/// When a support team is at work: weekly opening hours in the local time of one time zone, several intervals a day if
/// need be (split shifts), and holidays, whole local dates closed. SLA targets are counted in the open time of a calendar.
/// </summary>
/// <remarks>
/// <para>
/// Daylight saving time: an interval opens the first moment the wall clock shows its start and closes the last moment
/// the clock shows its end, so a shift over the autumn change lasts an hour longer and one over the spring change an
/// hour shorter (a full day is 25 or 23 hours). A start or end that does not exist on the day, because the clock skips
/// it, is read as the moment of the skip: an interval 02:30–05:00 on a spring-forward day in Amsterdam opens at 03:00.
/// </para>
/// <para>
/// Instants come back in the calendar's time zone (the offset it has at that instant); compare them as instants.
/// Searches forward (<see cref="Add"/>, <see cref="NextOpen"/>) look at most <see cref="SearchYears"/> years ahead, so
/// that holidays covering years cannot make them run forever; past that they answer <see cref="DateTimeOffset.MaxValue"/>,
/// "not in sight". Instants before the year 0002 or after 9998 are read as those edges.
/// </para>
/// </remarks>
public sealed class BusinessCalendar
{
    /// <summary>How far ahead, in years of local dates, <see cref="Add"/> and <see cref="NextOpen"/> look for open time.</summary>
    public const int SearchYears = 5;
    public const int TimeZoneIdMaxLength = 100;

    private static readonly DateOnly FirstDate = new(1, 1, 3);
    private static readonly DateOnly LastDate = new(9999, 12, 28);
    private static readonly long FirstTicks = FirstDate.ToDateTime(TimeOnly.MinValue).Ticks;
    private static readonly long LastTicks = LastDate.ToDateTime(TimeOnly.MinValue).Ticks;
    private const long Hours14 = 14 * TimeSpan.TicksPerHour;

    private readonly TimeZoneInfo _zone;
    /// <summary>The offset of a zone that never changes it (UTC), which spares the daylight saving arithmetic.</summary>
    private readonly long? _fixedOffset;
    /// <summary>Per <see cref="DayOfWeek"/>, the open intervals as ticks since local midnight, ordered, merged where they touch.</summary>
    private readonly (long Start, long End)[][] _days;
    private readonly HashSet<DateOnly> _holidays;

    private BusinessCalendar(TimeZoneInfo zone, IReadOnlyList<BusinessInterval> hours, IReadOnlyList<DateOnly> holidays)
    {
        _zone = zone;
        _fixedOffset = zone.GetAdjustmentRules().Length == 0 ? zone.BaseUtcOffset.Ticks : null;
        TimeZoneId = zone.Id;
        Hours = hours.ToList().AsReadOnly();
        Holidays = holidays.ToList().AsReadOnly();
        _holidays = [.. holidays];
        _days = new (long, long)[7][];
        for (var day = 0; day < 7; day++)
        {
            _days[day] = [.. hours.Where(h => (int)h.Day == day).Select(h => (h.StartTicks, h.EndTicks))];
        }
    }

    /// <summary>Open all the time, in UTC: business time is wall time.</summary>
    public static BusinessCalendar AlwaysOpen { get; } =
        new(TimeZoneInfo.Utc, [.. Enum.GetValues<DayOfWeek>().Select(BusinessInterval.AllDay)], []);

    /// <summary>The time zone the hours and holidays are in, as the system knows it (an IANA id such as "Europe/Amsterdam").</summary>
    public string TimeZoneId { get; }

    /// <summary>The opening hours, ordered by day (Sunday first, as <see cref="DayOfWeek"/> counts) and start; intervals that touched are merged into one.</summary>
    public IReadOnlyList<BusinessInterval> Hours { get; }

    /// <summary>The closed dates, ordered, each once.</summary>
    public IReadOnlyList<DateOnly> Holidays { get; }

    /// <summary>
    /// Makes a calendar, or says why not: an unknown time zone, no hours at all, an interval that does not end after it
    /// starts or is on no weekday, intervals that overlap on one day. Intervals that touch (one ends when the next starts)
    /// are fine and merged into one.
    /// </summary>
    public static Verdict TryCreate(string timeZoneId, IReadOnlyList<BusinessInterval> hours, IReadOnlyList<DateOnly> holidays, out BusinessCalendar? calendar)
    {
        ArgumentNullException.ThrowIfNull(hours);
        ArgumentNullException.ThrowIfNull(holidays);
        calendar = null;
        if (FindZone(timeZoneId) is not { } zone)
        {
            return Verdict.Deny("calendar.unknown_time_zone", $"\"{timeZoneId}\" is not a known time zone; use an IANA id such as \"Europe/Amsterdam\".", "timeZoneId");
        }
        if (hours.Count == 0) return Verdict.Deny("calendar.no_hours", "A calendar needs at least one open interval in the week.", "hours");
        for (var i = 0; i < hours.Count; i++)
        {
            var h = hours[i];
            if (h is null) return Verdict.Deny("calendar.invalid_interval", "An open interval is missing.", $"hours[{i}]");
            if (!Enum.IsDefined(h.Day)) return Verdict.Deny("calendar.invalid_interval", $"{(int)h.Day} is not a day of the week.", $"hours[{i}]");
            if (h.EndTicks <= h.StartTicks)
            {
                return Verdict.Deny("calendar.invalid_interval", $"{h} does not end after it starts; an interval to the end of the day ends at 24:00 (TimeOnly.MaxValue).", $"hours[{i}]");
            }
        }

        var order = Enumerable.Range(0, hours.Count).OrderBy(i => hours[i].Day).ThenBy(i => hours[i].StartTicks).ToList();
        var merged = new List<BusinessInterval>(hours.Count);
        var lastIndex = -1;
        foreach (var i in order)
        {
            var h = hours[i];
            if (merged.Count > 0 && merged[^1] is var last && last.Day == h.Day)
            {
                if (h.StartTicks < last.EndTicks)
                {
                    return Verdict.Deny("calendar.overlapping_hours", $"{h} overlaps {hours[lastIndex]}.", $"hours[{i}]");
                }
                if (h.StartTicks == last.EndTicks)
                {
                    merged[^1] = last with { End = h.End };
                    lastIndex = i;
                    continue;
                }
            }
            merged.Add(h);
            lastIndex = i;
        }

        calendar = new BusinessCalendar(zone, merged, [.. holidays.Distinct().Order()]);
        return Verdict.Ok;
    }

    /// <summary>True when <paramref name="at"/> falls in open time (an interval includes its start, not its end).</summary>
    public bool IsOpen(DateTimeOffset at)
    {
        var from = Clamp(at.UtcTicks);
        return FirstStretch(from, LocalDate(from).AddDays(1)) is { } stretch && stretch.Open == from;
    }

    /// <summary>
    /// The first open instant at or after <paramref name="at"/>: <paramref name="at"/> itself when open, else the next
    /// opening. <see cref="DateTimeOffset.MaxValue"/> when nothing opens within <see cref="SearchYears"/> years.
    /// </summary>
    public DateTimeOffset NextOpen(DateTimeOffset at)
    {
        var from = Clamp(at.UtcTicks);
        return FirstStretch(from, Horizon(from)) switch
        {
            null => DateTimeOffset.MaxValue,
            { Open: var open } when open == from => at,
            { Open: var open } => ToCalendar(open),
        };
    }

    /// <summary>
    /// The instant when <paramref name="businessTime"/> of open time has passed after <paramref name="start"/>: the
    /// earliest <c>t</c> with <c>Between(start, t) == businessTime</c>, so a target used up at closing time is due at
    /// closing time, not at the next opening. Zero gives <paramref name="start"/>. <see cref="DateTimeOffset.MaxValue"/>
    /// when that much open time is not found within <see cref="SearchYears"/> years (see <see cref="TryAdd"/>).
    /// </summary>
    public DateTimeOffset Add(DateTimeOffset start, TimeSpan businessTime)
        => TryAdd(start, businessTime, out var due) ? due : DateTimeOffset.MaxValue;

    /// <summary><see cref="Add"/>, telling whether the instant was found within <see cref="SearchYears"/> years.</summary>
    public bool TryAdd(DateTimeOffset start, TimeSpan businessTime, out DateTimeOffset due)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(businessTime, TimeSpan.Zero);
        due = start;
        if (businessTime == TimeSpan.Zero) return true;
        var from = Clamp(start.UtcTicks);
        var left = businessTime.Ticks;
        foreach (var (open, close) in Stretches(from, Horizon(from)))
        {
            if (left <= close - open)
            {
                due = ToCalendar(open + left);
                return true;
            }
            left -= close - open;
        }
        due = DateTimeOffset.MaxValue;
        return false;
    }

    /// <summary>The open time in [<paramref name="from"/>, <paramref name="to"/>); zero when <paramref name="to"/> is not after <paramref name="from"/>.</summary>
    public TimeSpan Between(DateTimeOffset from, DateTimeOffset to)
    {
        var a = Clamp(from.UtcTicks);
        var b = Clamp(to.UtcTicks);
        if (b <= a) return TimeSpan.Zero;
        long total = 0;
        foreach (var (open, close) in Stretches(a, LocalDate(b).AddDays(1)))
        {
            if (open >= b) break;
            total += Math.Min(close, b) - open;
        }
        return TimeSpan.FromTicks(total);
    }

    /// <summary>
    /// The open stretches, as UTC ticks, that end after <paramref name="fromUtc"/>, in order and without overlap, the first
    /// cut to start no earlier than <paramref name="fromUtc"/>; from the intervals of local dates up to <paramref name="lastDate"/>.
    /// Stretches may touch (a night shift over midnight comes as two); every consumer reads them as a sum.
    /// </summary>
    private IEnumerable<(long Open, long Close)> Stretches(long fromUtc, DateOnly lastDate)
    {
        // An interval's UTC start never comes before that of an interval that starts earlier in local time (the first
        // moment the clock shows a time only moves forward with the time), so walking dates and intervals in order gives
        // ordered starts; the ends may not be (an interval ending in a repeated autumn hour ends at its second showing),
        // so each stretch is cut to begin where the ones before it ended.
        var covered = fromUtc;
        var date = LocalDate(fromUtc);
        date = date > FirstDate ? date.AddDays(-1) : FirstDate;
        if (lastDate > LastDate) lastDate = LastDate;
        for (; date <= lastDate; date = date.AddDays(1))
        {
            var intervals = _days[(int)date.DayOfWeek];
            if (intervals.Length == 0 || _holidays.Contains(date)) continue;
            var midnight = date.ToDateTime(TimeOnly.MinValue).Ticks;
            foreach (var (start, end) in intervals)
            {
                var open = Math.Max(ToUtc(midnight + start, first: true), covered);
                var close = ToUtc(midnight + end, first: false);
                if (close <= open) continue;
                yield return (open, close);
                covered = close;
            }
        }
    }

    private (long Open, long Close)? FirstStretch(long fromUtc, DateOnly lastDate)
    {
        using var stretches = Stretches(fromUtc, lastDate).GetEnumerator();
        return stretches.MoveNext() ? stretches.Current : null;
    }

    /// <summary>
    /// The UTC instant of a local time: the first moment the clock shows it (<paramref name="first"/>) or the last (it
    /// shows twice in an autumn hour); when the clock skips it, the moment of the skip.
    /// </summary>
    private long ToUtc(long local, bool first)
    {
        if (_fixedOffset is { } fixedOffset) return local - fixedOffset;
        long? found = null;
        Span<long> offsets = [Offset(local - Hours14), Offset(local), Offset(local + Hours14)];
        foreach (var offset in offsets)
        {
            var utc = local - offset;
            if (Offset(utc) != offset) continue;
            if (found is not { } seen || (first ? utc < seen : utc > seen)) found = utc;
        }
        return found ?? SkippedAt(local);
    }

    /// <summary>The moment the clock jumps over <paramref name="local"/>: the first instant whose local time is later.</summary>
    private long SkippedAt(long local)
    {
        // offsets lie within -12 and +14 hours: the clock shows no later time at lo, and a later one at hi
        var lo = local - Hours14;
        var hi = local + Hours14;
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            if (mid + Offset(mid) > local) hi = mid;
            else lo = mid;
        }
        return hi;
    }

    private long Offset(long utc) => _zone.GetUtcOffset(new DateTime(utc, DateTimeKind.Utc)).Ticks;

    private DateOnly LocalDate(long utc)
    {
        var local = _fixedOffset is { } fixedOffset
            ? new DateTime(utc + fixedOffset)
            : TimeZoneInfo.ConvertTimeFromUtc(new DateTime(utc, DateTimeKind.Utc), _zone);
        return DateOnly.FromDateTime(local);
    }

    private DateOnly Horizon(long fromUtc)
    {
        var date = LocalDate(fromUtc);
        return date < LastDate.AddYears(-SearchYears) ? date.AddYears(SearchYears) : LastDate;
    }

    private DateTimeOffset ToCalendar(long utc) => TimeZoneInfo.ConvertTime(new DateTimeOffset(utc, TimeSpan.Zero), _zone);

    private static long Clamp(long utc) => Math.Clamp(utc, FirstTicks, LastTicks);

    private static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > TimeZoneIdMaxLength || id.Trim().Length != id.Length) return null;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or SecurityException or ArgumentException)
        {
            return null;
        }
    }
}
