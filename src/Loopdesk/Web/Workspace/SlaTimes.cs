using Loopdesk.Core.Service;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web.Workspace;

/// <summary>
/// One SLA clock of a ticket as agents read it: the business time left in its policy's calendar (what the target
/// counts), and the moment it falls due, in that calendar's time zone.
/// </summary>
public sealed record SlaTime(SlaClock Clock, BusinessCalendar Calendar, string CalendarName)
{
    public string Metric => Clock.Metric switch
    {
        SlaMetric.FirstReply => "First reply",
        SlaMetric.NextReply => "Next reply",
        _ => "Resolution",
    };

    /// <summary>When the target is used up if the clock keeps running; null while paused.</summary>
    public DateTimeOffset? Due => Clock.DueAt(Calendar);

    /// <summary>Business time left; negative once missed in open hours.</summary>
    public TimeSpan Left(DateTimeOffset now) => Clock.Remaining(Calendar, now);

    public bool IsBreached(DateTimeOffset now) => Clock.IsBreached(Calendar, now);

    /// <summary>Within <see cref="InboxViews.BreachWindow"/> of business time of its target.</summary>
    public bool IsSoon(DateTimeOffset now) => !IsBreached(now) && Left(now) < InboxViews.BreachWindow;

    /// <summary>"2 h 10 min left", "50 h 0 min left" (hours of business time, never days), "overdue by 5 min", "overdue" (missed while the calendar was closed), "paused, 3 h 0 min left".</summary>
    public string Text(DateTimeOffset now)
    {
        var left = Left(now);
        if (Clock.IsPaused) return IsBreached(now) ? "paused, overdue" : $"paused, {Labels.Left(left, days: false)}";
        if (IsBreached(now)) return left < TimeSpan.Zero ? Labels.Left(left, days: false) : "overdue";
        return Labels.Left(left, days: false);
    }

    /// <summary>The due moment in the calendar's zone, "Mon 1 Dec 09:00 Europe/London"; null while paused.</summary>
    public string? DueText => Due is { } due && due != DateTimeOffset.MaxValue
        ? $"{TimeZoneInfo.ConvertTime(due, TimeZoneInfo.FindSystemTimeZoneById(Calendar.TimeZoneId)):ddd d MMM HH:mm} {Zone}"
        : null;

    /// <summary>"around the clock" or the calendar's name.</summary>
    public string Hours => ReferenceEquals(Calendar, BusinessCalendar.AlwaysOpen) ? "around the clock" : $"business hours of {CalendarName}";

    private string Zone => Calendar.TimeZoneId is "UTC" or "Etc/UTC" ? "UTC" : Calendar.TimeZoneId;
}

public static class SlaTimes
{
    /// <summary>The running and paused clocks of the given tickets, first due first, each in its policy's calendar.</summary>
    public static async Task<Dictionary<Guid, List<SlaTime>>> ForTicketsAsync(LoopdeskDb db, IReadOnlyCollection<Guid> ticketIds, CancellationToken ct)
    {
        var result = new Dictionary<Guid, List<SlaTime>>();
        if (ticketIds.Count == 0) return result;
        var ids = ticketIds.ToList();
        var rows = await db.TicketSlas.AsNoTracking().Where(s => ids.Contains(s.TicketId)).ToListAsync(ct);
        if (rows.Count == 0) return result;
        var policyIds = rows.Select(r => r.PolicyId).Distinct().ToList();
        var policies = await db.SlaPolicies.AsNoTracking().Where(p => policyIds.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.CalendarId, ct);
        var calendarIds = policies.Values.OfType<Guid>().Distinct().ToList();
        var calendars = (await db.Calendars.AsNoTracking().Where(c => calendarIds.Contains(c.Id)).ToListAsync(ct))
            .Select(c => (c.Id, c.Name, Calendar: c.ToCalendar())).Where(c => c.Calendar is not null).ToDictionary(c => c.Id, c => (c.Name, c.Calendar!));
        foreach (var row in rows)
        {
            // a deleted policy or a broken calendar: counted around the clock, as the due columns were
            var (name, calendar) = policies.GetValueOrDefault(row.PolicyId) is { } cid && calendars.TryGetValue(cid, out var c) ? c : ("", BusinessCalendar.AlwaysOpen);
            result[row.TicketId] = [.. row.Clocks.Where(k => !k.IsStopped).Select(k => new SlaTime(k, calendar, name))
                .OrderBy(t => t.Clock.IsPaused).ThenBy(t => t.Due ?? DateTimeOffset.MaxValue)];
        }
        return result;
    }
}
