using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Teams;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Service;

/// <summary>
/// Gives a ticket one owner. A returning customer's new ticket goes to the agent who owns their latest ticket, if that
/// agent can take it. Otherwise, when the ticket is with a team (rules put it there by channel, words, organization,
/// VIP or language), an agent of the team is chosen: active, online, within their working hours, of the ticket's tier
/// or higher, under their ticket capacity, with the most of the ticket's tags among their skills; then in turn
/// (round-robin) or by least open work, as the team says. A team set to manual routing is left to its people.
/// </summary>
public sealed class Router(SlaTracker sla)
{
    public async Task OnEventAsync(LoopdeskDb db, Ticket t, TicketEvent ev, DateTimeOffset now, CancellationToken ct)
    {
        if (ev.Type == TicketEventTypes.Created && t.AssigneeId is null)
        {
            if (await ReturningOwnerAsync(db, t, ct) is { } owner)
            {
                t.Apply(new TicketChange { AssigneeId = owner }, Actor.System, now);
                return;
            }
            if (t.TeamId is not null) await AssignInTeamAsync(db, t, now, ct);
        }
        else if (ev.Type == TicketEventTypes.TeamChanged && t.TeamId is not null && (t.AssigneeId is null || !await IsMemberAsync(db, t.AssigneeId.Value, t.TeamId.Value, ct)))
        {
            await AssignInTeamAsync(db, t, now, ct);
        }
        else if (ev.Type == TicketEventTypes.Escalated && t.TeamId is not null
            && (t.AssigneeId is null || await db.Agents.Where(a => a.Id == t.AssigneeId).Select(a => a.Tier).FirstOrDefaultAsync(ct) < t.Tier))
        {
            await AssignInTeamAsync(db, t, now, ct);
        }
    }

    private static async Task<Guid?> ReturningOwnerAsync(LoopdeskDb db, Ticket t, CancellationToken ct)
    {
        // a customer made in this very transaction has no earlier tickets
        if (db.ChangeTracker.Entries<Core.Customers.Customer>().Any(e => e.Entity.Id == t.CustomerId && e.State == EntityState.Added)) return null;
        return await LatestOwnerWhoCanTake.For(db)(db, t.CustomerId, t.Id, t.TeamId, ct);
    }

    /// <summary>The owner of the customer's latest owned ticket, when that agent can take a new one.</summary>
    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, Guid, Guid?, CancellationToken, Task<Guid?>>> LatestOwnerWhoCanTake = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid customerId, Guid ticketId, Guid? teamId, CancellationToken ct) => db.Tickets
            .Where(x => x.CustomerId == customerId && x.Id != ticketId && x.AssigneeId != null)
            .OrderByDescending(x => x.CreatedAt).Take(1)
            .Join(db.Agents, x => x.AssigneeId, a => (Guid?)a.Id, (x, a) => a)
            .Where(a => a.Active && a.Role != AgentRole.Collaborator && a.Presence != Presence.Offline && (teamId == null || a.TeamIds.Contains(teamId.Value)))
            .Select(a => (Guid?)a.Id).FirstOrDefault()));

    private sealed record Candidate(Guid Id, List<string> Skills, int TicketCapacity, Guid? CalendarId);

    /// <summary>The team's agents who may take a ticket of this tier now (online, active, not collaborators).</summary>
    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, AgentTier, IAsyncEnumerable<Candidate>>> Candidates = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid teamId, AgentTier tier) => db.Agents.AsNoTracking()
            .Where(a => a.Active && a.Role != AgentRole.Collaborator && a.Presence == Presence.Online && a.TeamIds.Contains(teamId) && a.Tier >= tier)
            .Select(a => new Candidate(a.Id, a.Skills, a.TicketCapacity, a.CalendarId))));

    private static Task<bool> IsMemberAsync(LoopdeskDb db, Guid agentId, Guid teamId, CancellationToken ct)
        => db.Agents.AnyAsync(a => a.Id == agentId && a.TeamIds.Contains(teamId), ct);

    private async Task AssignInTeamAsync(LoopdeskDb db, Ticket t, DateTimeOffset now, CancellationToken ct)
    {
        // the agents first: when nobody can take the ticket, the team is not read at all
        var candidates = await Candidates.For(db)(db, t.TeamId!.Value, t.Tier).ToListAsync(ct);
        if (candidates.Count == 0) return;
        var team = await db.Teams.FindAsync([t.TeamId!.Value], ct);
        if (team is null || team.Routing == RoutingMode.Manual) return;
        var ids = candidates.Select(c => c.Id).ToList();
        var load = await db.Tickets.AsNoTracking()
            .Where(x => x.AssigneeId != null && ids.Contains(x.AssigneeId.Value)
                && (x.Status == TicketStatus.New || x.Status == TicketStatus.Open || x.Status == TicketStatus.Pending || x.Status == TicketStatus.OnHold))
            .GroupBy(x => x.AssigneeId).Select(g => new { Id = g.Key!.Value, Count = g.Count() }).ToDictionaryAsync(g => g.Id, g => g.Count, ct);
        var open = new List<(Guid Id, int Load, int Skill)>();
        foreach (var c in candidates)
        {
            var current = load.GetValueOrDefault(c.Id);
            if (current >= c.TicketCapacity) continue;
            if (c.CalendarId is { } calendarId && !await sla.IsWorkingAsync(db, calendarId, now, ct)) continue;
            open.Add((c.Id, current, c.Skills.Count(s => t.Tags.Contains(s))));
        }
        if (open.Count == 0) return;
        var best = open.Max(o => o.Skill);
        var skilled = open.Where(o => o.Skill == best).OrderBy(o => o.Id).ToList();
        var chosen = team.Routing == RoutingMode.RoundRobin
            ? skilled.FirstOrDefault(o => team.LastAssignedId is { } last && o.Id.CompareTo(last) > 0, skilled[0])
            : skilled.OrderBy(o => o.Load).ThenBy(o => team.LastAssignedId == o.Id ? 1 : 0).First();
        t.Apply(new TicketChange { AssigneeId = chosen.Id }, Actor.System, now);
        team.Assigned(chosen.Id);
    }
}
