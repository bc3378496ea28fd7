using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Web.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web.Supervisor;

/// <summary>One team's queue ("No team" has no id): its working tickets by state, and since when the oldest unanswered one waits.</summary>
public sealed record QueueRow(Guid? TeamId, string Team, int New, int Open, int Unassigned, int Pending, DateTimeOffset? OldestUnansweredAt)
{
    public int Total => New + Open + Pending;
}

/// <summary>A staff member who owns tickets: presence, working tickets against capacity, teams.</summary>
public sealed record AgentLoad(Guid Id, string Name, AgentRole Role, Presence Presence, int Working, int Capacity, IReadOnlyList<string> Teams)
{
    /// <summary>How full the load bar is, 0 to 100; over capacity is full.</summary>
    public int Percent => Capacity <= 0 ? (Working > 0 ? 100 : 0) : Math.Min(100, (int)Math.Round(100.0 * Working / Capacity));

    public bool OverCapacity => Working > Capacity;
}

/// <summary>A ticket row the board can reassign: <see cref="Version"/> is the one shown, checked before a change.</summary>
public sealed record BoardTicket(
    Guid Id, string Reference, string Subject, TicketPriority Priority, string? Team, Guid? AssigneeId, string? Owner, int Version,
    DateTimeOffset CreatedAt, SlaLine? Due);

public sealed record ChannelCount(Channel Channel, int Count);

/// <summary>What the supervisor board shows, read in one short-lived context.</summary>
public sealed class SupervisorBoardData
{
    /// <summary>Rows shown per ticket list; the rest is counted.</summary>
    public const int ListLimit = 50;

    private static readonly TicketStatus[] Working = [TicketStatus.New, TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold];

    public required DateTimeOffset Now { get; init; }
    /// <summary>Midnight today in the company's time zone, where "today's contacts" start.</summary>
    public required DateTimeOffset DayStart { get; init; }
    public required List<QueueRow> Queues { get; init; }
    public required List<AgentLoad> Agents { get; init; }
    public required List<BoardTicket> Breaching { get; init; }
    public required int BreachingTotal { get; init; }
    /// <summary>The SLA clocks of the breaching tickets shown, in their policies' business hours.</summary>
    public required Dictionary<Guid, List<SlaTime>> Sla { get; init; }
    public required List<BoardTicket> Unassigned { get; init; }
    public required int UnassignedTotal { get; init; }
    public required List<ChannelCount> Contacts { get; init; }

    public static async Task<SupervisorBoardData> LoadAsync(LoopdeskDb db, DateTimeOffset now, TimeZoneInfo zone, CancellationToken ct)
    {
        var teams = await db.Teams.AsNoTracking().OrderBy(t => t.Name).Select(t => new { t.Id, t.Name }).ToListAsync(ct);
        var teamNames = teams.ToDictionary(t => t.Id, t => t.Name);
        var staff = await db.Agents.AsNoTracking().Select(a => new { a.Id, a.Name, a.Role, a.Active, a.Presence, a.TicketCapacity, a.TeamIds }).ToListAsync(ct);
        var names = staff.ToDictionary(a => a.Id, a => a.Name);

        var working = db.Tickets.AsNoTracking().Where(t => Working.Contains(t.Status));
        var counts = await working.GroupBy(t => t.TeamId).Select(g => new
        {
            TeamId = g.Key,
            New = g.Count(t => t.Status == TicketStatus.New),
            Open = g.Count(t => t.Status == TicketStatus.Open),
            Unassigned = g.Count(t => t.AssigneeId == null && (t.Status == TicketStatus.New || t.Status == TicketStatus.Open)),
            Pending = g.Count(t => t.Status == TicketStatus.Pending || t.Status == TicketStatus.OnHold),
        }).ToListAsync(ct);
        // unanswered: nobody has replied to the customer yet
        var oldest = await working.Where(t => (t.Status == TicketStatus.New || t.Status == TicketStatus.Open) && t.FirstRepliedAt == null)
            .GroupBy(t => t.TeamId).Select(g => new { TeamId = g.Key, At = g.Min(t => t.CreatedAt) }).ToListAsync(ct);
        QueueRow Queue(Guid? id, string name)
        {
            var c = counts.FirstOrDefault(x => x.TeamId == id);
            var at = oldest.FirstOrDefault(x => x.TeamId == id)?.At;
            return new QueueRow(id, name, c?.New ?? 0, c?.Open ?? 0, c?.Unassigned ?? 0, c?.Pending ?? 0, at);
        }
        var queues = teams.Select(t => Queue(t.Id, t.Name)).ToList();
        queues.Add(Queue(null, "No team"));

        var owners = staff.Where(a => a.Active && a.Role is AgentRole.Agent or AgentRole.Supervisor).ToList();
        var ownerIds = owners.Select(a => a.Id).ToList();
        var load = await working.Where(t => t.AssigneeId != null && ownerIds.Contains(t.AssigneeId.Value))
            .GroupBy(t => t.AssigneeId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(g => g.Id, g => g.Count, ct);
        var agents = owners
            .Select(a => new AgentLoad(a.Id, a.Name, a.Role, a.Presence, load.GetValueOrDefault(a.Id), a.TicketCapacity,
                [.. a.TeamIds.Where(teamNames.ContainsKey).Select(id => teamNames[id]).Order(StringComparer.Ordinal)]))
            .OrderByDescending(a => a.Presence).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();

        var anyone = new Viewer(new System.Security.Claims.ClaimsPrincipal(), Guid.Empty, [], now);
        var breaching = (await db.Tickets.AsNoTracking().In("breaching", db, anyone)
            .Join(db.TicketSlas, t => t.Id, s => s.TicketId, (t, s) => new
            {
                t.Id, t.Reference, t.Subject, t.Priority, t.TeamId, t.AssigneeId, t.Version, t.CreatedAt,
                s.FirstReplyDueAt, s.NextReplyDueAt, s.ResolutionDueAt,
            }).ToListAsync(ct))
            .Select(t => new BoardTicket(t.Id, t.Reference, t.Subject, t.Priority, TeamName(t.TeamId), t.AssigneeId, OwnerName(t.AssigneeId), t.Version,
                t.CreatedAt, FirstDue(t.FirstReplyDueAt, t.NextReplyDueAt, t.ResolutionDueAt)))
            .OrderBy(t => t.Due?.Due).ThenBy(t => t.Reference, StringComparer.Ordinal).ToList();

        var unassigned = db.Tickets.AsNoTracking().In("unassigned", db, anyone);
        var unassignedRows = (await unassigned.Sorted(InboxSort.Oldest).Take(ListLimit)
            .Select(t => new { t.Id, t.Reference, t.Subject, t.Priority, t.TeamId, t.Version, t.CreatedAt }).ToListAsync(ct))
            .Select(t => new BoardTicket(t.Id, t.Reference, t.Subject, t.Priority, TeamName(t.TeamId), null, null, t.Version, t.CreatedAt, null))
            .ToList();

        var dayStart = StartOfDay(now, zone);
        var contacts = await db.Contacts.AsNoTracking().Where(c => c.OccurredAt >= dayStart)
            .GroupBy(c => c.Channel).Select(g => new ChannelCount(g.Key, g.Count())).ToListAsync(ct);

        return new SupervisorBoardData
        {
            Now = now,
            DayStart = dayStart,
            Queues = queues,
            Agents = agents,
            Breaching = [.. breaching.Take(ListLimit)],
            BreachingTotal = breaching.Count,
            Sla = await SlaTimes.ForTicketsAsync(db, [.. breaching.Take(ListLimit).Select(t => t.Id)], ct),
            Unassigned = unassignedRows,
            UnassignedTotal = unassignedRows.Count < ListLimit ? unassignedRows.Count : await unassigned.CountAsync(ct),
            Contacts = [.. contacts.OrderByDescending(c => c.Count).ThenBy(c => c.Channel)],
        };

        string? TeamName(Guid? id) => id is { } t ? teamNames.GetValueOrDefault(t) : null;
        string? OwnerName(Guid? id) => id is { } a ? names.GetValueOrDefault(a, "A former colleague") : null;
    }

    /// <summary>The SLA target due first: the one the ticket breaches first.</summary>
    private static SlaLine? FirstDue(DateTimeOffset? firstReply, DateTimeOffset? nextReply, DateTimeOffset? resolution)
        => new[] { ("First reply", firstReply), ("Next reply", nextReply), ("Resolution", resolution) }
            .Where(x => x.Item2 is not null).Select(x => new SlaLine(x.Item1, x.Item2!.Value)).MinBy(x => x.Due);

    /// <summary>Midnight of <paramref name="now"/>'s day in <paramref name="zone"/>, as an instant.</summary>
    public static DateTimeOffset StartOfDay(DateTimeOffset now, TimeZoneInfo zone)
    {
        var midnight = TimeZoneInfo.ConvertTime(now, zone).Date;
        // a zone that skips midnight for summer time starts the day at the first hour that exists
        while (zone.IsInvalidTime(midnight)) midnight = midnight.AddMinutes(30);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }

    /// <summary>The company's time zone; UTC when the setting names none this machine knows.</summary>
    public static TimeZoneInfo CompanyZone(string? id)
        => !string.IsNullOrWhiteSpace(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
