using Loopdesk.Core.Common;
using Loopdesk.Core.Service;

namespace Loopdesk.Service;

/// <summary>One open stretch of a calendar as stored and sent: {"day":"monday","start":"09:00","end":"17:30"}; "24:00" ends at midnight.</summary>
public sealed record HoursEntry(string Day, string Start, string End);

/// <summary>Business hours kept as data: a time zone, open intervals per weekday (split shifts allowed) and holidays.</summary>
public sealed class CalendarRow
{
    public const int NameMaxLength = 100;

    private CalendarRow() { }

    public CalendarRow(string name, BusinessCalendar calendar, DateTimeOffset now)
    {
        Id = Ids.New(now);
        CreatedAt = now;
        Set(name, calendar, now);
        Version = 1;
    }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    public string TimeZoneId { get; private set; } = "UTC";
    public List<HoursEntry> Hours { get; private set; } = [];
    public List<DateOnly> Holidays { get; private set; } = [];
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }

    public void Set(string name, BusinessCalendar calendar, DateTimeOffset now)
    {
        Name = name.Trim();
        TimeZoneId = calendar.TimeZoneId;
        Hours = [.. calendar.Hours.Select(h => new HoursEntry(Wire.Name(h.Day), h.Start.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), h.EndsAtMidnight ? "24:00" : h.End.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)))];
        Holidays = [.. calendar.Holidays];
        UpdatedAt = now;
        Version++;
    }

    /// <summary>The calendar this row describes; rows are checked when saved, so this only fails on a time zone the machine lost.</summary>
    public BusinessCalendar? ToCalendar() => Parse(TimeZoneId, Hours, Holidays, out var calendar).IsOk ? calendar : null;

    /// <summary>Reads hours as sent; the calendar's own checks (overlaps, unknown time zone) follow.</summary>
    public static Verdict Parse(string timeZoneId, IReadOnlyList<HoursEntry> hours, IReadOnlyList<DateOnly> holidays, out BusinessCalendar? calendar)
    {
        calendar = null;
        var intervals = new List<BusinessInterval>();
        for (var i = 0; i < hours.Count; i++)
        {
            var h = hours[i];
            var day = Enum.GetValues<DayOfWeek>().Where(d => Wire.Name(d) == h.Day?.Trim().ToLowerInvariant()).Cast<DayOfWeek?>().FirstOrDefault();
            if (day is null) return Verdict.Deny("calendar.invalid_interval", $"\"{h.Day}\" is not a weekday (monday … sunday).", $"hours[{i}].day");
            if (!TimeOnly.TryParseExact(h.Start ?? "", "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var start)) return Verdict.Deny("calendar.invalid_interval", "start is a time like 09:00.", $"hours[{i}].start");
            TimeOnly end;
            if (h.End == "24:00") end = BusinessInterval.Midnight;
            else if (!TimeOnly.TryParseExact(h.End ?? "", "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out end)) return Verdict.Deny("calendar.invalid_interval", "end is a time like 17:30, or 24:00.", $"hours[{i}].end");
            intervals.Add(new BusinessInterval(day.Value, start, end));
        }
        return BusinessCalendar.TryCreate(timeZoneId, intervals, holidays, out calendar);
    }
}

/// <summary>
/// An SLA policy as data: which tickets it covers (priorities, types, an organization, VIP customers; empty means any),
/// the calendar it counts in (none: around the clock), its targets in seconds and the statuses that pause its clocks.
/// The first enabled policy by position that covers a ticket applies.
/// </summary>
public sealed class SlaPolicyRow
{
    public const int NameMaxLength = 100;

    private SlaPolicyRow() { }

    public SlaPolicyRow(string name, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Name = name.Trim();
        Enabled = true;
        WarnBeforeSeconds = 3600;
        CreatedAt = now;
        UpdatedAt = now;
        Version = 1;
    }

    public Guid Id { get; set; }
    public string Name { get; set; } = "";
    public bool Enabled { get; set; }
    public int Position { get; set; }
    public Guid? CalendarId { get; set; }
    public List<string> Priorities { get; set; } = [];
    public List<string> Types { get; set; } = [];
    public Guid? OrganizationId { get; set; }
    /// <summary>True: VIP customers only; false: everyone but VIPs; null: anyone.</summary>
    public bool? Vip { get; set; }
    public long? FirstReplySeconds { get; set; }
    public long? NextReplySeconds { get; set; }
    public long? ResolutionSeconds { get; set; }
    /// <summary>Statuses that pause the clocks; default pending and on-hold.</summary>
    public List<string> PausedIn { get; set; } = ["pending", "on-hold"];
    /// <summary>How long before a breach the "will breach" event comes, in business time.</summary>
    public long WarnBeforeSeconds { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; }

    public Dictionary<SlaMetric, TimeSpan> Targets()
    {
        var targets = new Dictionary<SlaMetric, TimeSpan>();
        if (FirstReplySeconds is { } f) targets[SlaMetric.FirstReply] = TimeSpan.FromSeconds(f);
        if (NextReplySeconds is { } n) targets[SlaMetric.NextReply] = TimeSpan.FromSeconds(n);
        if (ResolutionSeconds is { } r) targets[SlaMetric.Resolution] = TimeSpan.FromSeconds(r);
        return targets;
    }
}

/// <summary>The SLA clocks of one ticket, and their due times as columns so inboxes can sort and filter by them.</summary>
public sealed class TicketSla
{
    private TicketSla() { }

    public TicketSla(Guid ticketId, Guid policyId)
    {
        TicketId = ticketId;
        PolicyId = policyId;
    }

    public Guid TicketId { get; private set; }
    public Guid PolicyId { get; set; }
    public List<SlaClock> Clocks { get; set; } = [];
    public DateTimeOffset? FirstReplyDueAt { get; set; }
    public DateTimeOffset? NextReplyDueAt { get; set; }
    public DateTimeOffset? ResolutionDueAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public SlaClock? Clock(SlaMetric metric) => Clocks.FirstOrDefault(c => c.Metric == metric);

    public void Put(SlaClock clock)
    {
        Clocks = [.. Clocks.Where(c => c.Metric != clock.Metric), clock];
    }
}
