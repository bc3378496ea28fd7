using System.Globalization;
using Loopdesk.Chat;
using Loopdesk.Core.Service;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Portal;

/// <summary>Opening hours as the contact page shows them: one line per day, in the calendar's time zone.</summary>
public sealed record OpeningHours(string TimeZone, IReadOnlyList<(DayOfWeek Day, string Hours)> Days, bool OpenNow, DateTimeOffset? NextOpen);

/// <summary>Everything the contact page says, read honestly from the settings, the business calendar, staff presence and recent tickets.</summary>
public sealed record ContactSnapshot(
    OpeningHours Hours, PhoneChannelOptions? Phone, ChatOffer? Chat,
    IReadOnlyList<string> EmailAddresses, TimeSpan? TypicalFirstReply, IReadOnlyList<SocialProfile> Social);

/// <summary>
/// What the contact page says of live chat: agents online now (and whether any has room for another chat), or when it
/// opens next (null when nothing tells: open hours but nobody online). <paramref name="Site"/> is the chat site it is
/// read from; null when there is none and the page's own calendar and all online staff are counted. <paramref name="TimeZone"/>
/// is the zone of the hours the opening comes from.
/// </summary>
public sealed record ChatOffer(string? Site, bool OnlineNow, int AgentsOnline, bool Busy, DateTimeOffset? NextOpen, string? Url, string TimeZone);

public sealed class ContactInfo(IOptions<PortalOptions> options, ChatService chats, TimeProvider clock)
{
    public async Task<ContactSnapshot> ReadAsync(LoopdeskDb db, CancellationToken ct)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var hours = await HoursAsync(db, now, ct);
        var addresses = await db.Mailboxes.AsNoTracking().Where(m => m.Active).OrderByDescending(m => m.IsDefault).ThenBy(m => m.Name).Select(m => m.Address).ToListAsync(ct);
        return new ContactSnapshot(
            hours, string.IsNullOrWhiteSpace(o.Phone.Number) ? null : o.Phone, o.Chat.Enabled ? await ChatAsync(db, hours, ct) : null,
            addresses, await TypicalFirstReplyAsync(db, now, ct), o.Social);
    }

    /// <summary>
    /// Live chat as the chat site offers it (the one named by <c>Chat:Site</c>, else the first switched-on site): its business
    /// hours, and its team's agents online with room for a chat. Without a chat site: the portal's hours and every online agent.
    /// </summary>
    public async Task<ChatOffer> ChatAsync(LoopdeskDb db, OpeningHours hours, CancellationToken ct)
    {
        var o = options.Value.Chat;
        var sites = db.ChatSites.AsNoTracking().Where(s => s.Enabled);
        var site = string.IsNullOrWhiteSpace(o.Site)
            ? await sites.OrderBy(s => s.Name).FirstOrDefaultAsync(ct)
            : await sites.FirstOrDefaultAsync(s => s.Key == o.Site, ct);
        if (site is null)
        {
            var online = (await ChatService.AvailabilityForTeamAsync(db, null, ct)).AgentsOnline;
            return new ChatOffer(null, online > 0 && hours.OpenNow, online, false, hours.OpenNow ? null : hours.NextOpen, o.Url, hours.TimeZone);
        }
        var availability = await chats.AvailabilityAsync(db, site, ct);
        var zone = site.CalendarId is { } calendarId
            ? await db.Calendars.AsNoTracking().Where(c => c.Id == calendarId).Select(c => c.TimeZoneId).FirstOrDefaultAsync(ct) ?? hours.TimeZone
            : hours.TimeZone;
        if (!availability.Online) return new ChatOffer(site.Key, false, 0, false, availability.NextOpening, o.Url, zone);
        return new ChatOffer(site.Key, true, availability.AgentsOnline, availability.FreeSlots == 0, null, o.Url, zone);
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
