using System.Globalization;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Service;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Portal;

/// <summary>Opening hours as the contact page shows them: one line per day, in the calendar's time zone.</summary>
public sealed record OpeningHours(string TimeZone, IReadOnlyList<(DayOfWeek Day, string Hours)> Days, bool OpenNow, DateTimeOffset? NextOpen);

/// <summary>Everything the contact page says, read honestly from the settings, the business calendar, staff presence and recent tickets.</summary>
public sealed record ContactSnapshot(
    OpeningHours Hours, PhoneChannelOptions? Phone, bool ChatOffered, int AgentsOnline, bool ChatAvailableNow, string? ChatUrl,
    IReadOnlyList<string> EmailAddresses, TimeSpan? TypicalFirstReply, IReadOnlyList<SocialProfile> Social);

public sealed class ContactInfo(IOptions<PortalOptions> options, TimeProvider clock)
{
    /// <summary>Where chat availability comes from: the setting today, the live chat feature when it exists.</summary>
    public bool ChatEnabled => options.Value.Chat.Enabled;

    public async Task<ContactSnapshot> ReadAsync(LoopdeskDb db, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var hours = await HoursAsync(db, now, ct);
        var online = await db.Agents.CountAsync(a => a.Active && a.Presence == Presence.Online && a.Role != AgentRole.Collaborator, ct);
        var addresses = await db.Mailboxes.AsNoTracking().Where(m => m.Active).OrderByDescending(m => m.IsDefault).ThenBy(m => m.Name).Select(m => m.Address).ToListAsync(ct);
        return new ContactSnapshot(
            hours, string.IsNullOrWhiteSpace(o.Phone.Number) ? null : o.Phone, ChatEnabled, online, ChatEnabled && online > 0 && hours.OpenNow, o.Chat.Url,
            addresses, await TypicalFirstReplyAsync(db, now, ct), o.Social);
    }

    /// <summary>The hours of the calendar named in the settings, else of the first calendar; always open when there is none.</summary>
    public async Task<OpeningHours> HoursAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct)
    {
        var name = options.Value.Calendar;
        var row = name is null
            ? await db.Calendars.AsNoTracking().OrderBy(c => c.CreatedAt).FirstOrDefaultAsync(ct)
            : await db.Calendars.AsNoTracking().FirstOrDefaultAsync(c => c.Name == name, ct);
        var calendar = row?.ToCalendar() ?? BusinessCalendar.AlwaysOpen;
        var days = Enum.GetValues<DayOfWeek>().Skip(1).Append(DayOfWeek.Sunday)
            .Select(d => (d, string.Join(", ", calendar.Hours.Where(h => h.Day == d).OrderBy(h => h.Start).Select(h => $"{h.Start:HH\\:mm}–{(h.EndsAtMidnight ? "24:00" : h.End.ToString("HH\\:mm", CultureInfo.InvariantCulture))}"))))
            .ToList();
        var open = calendar.IsOpen(now);
        return new OpeningHours(calendar.TimeZoneId, days, open, open ? null : calendar.NextOpen(now));
    }

    /// <summary>The median time to a first answer over the last two weeks' tickets: an honest "we usually answer within".</summary>
    private static async Task<TimeSpan?> TypicalFirstReplyAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct)
    {
        var since = now.AddDays(-14);
        var rows = await db.Tickets.AsNoTracking().Where(t => t.CreatedAt >= since && t.FirstRepliedAt != null)
            .OrderByDescending(t => t.CreatedAt).Take(500).Select(t => new { t.CreatedAt, t.FirstRepliedAt }).ToListAsync(ct);
        if (rows.Count < 5) return null;
        var waits = rows.Select(r => r.FirstRepliedAt!.Value - r.CreatedAt).Where(w => w >= TimeSpan.Zero).OrderBy(w => w).ToList();
        return waits.Count == 0 ? null : waits[waits.Count / 2];
    }
}
