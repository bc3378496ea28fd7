using System.Security.Claims;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;

namespace Loopdesk.Tickets;

public static class TicketQueries
{
    /// <summary>What the caller may see: everything for agents and up; for a collaborator, the tickets given to them.</summary>
    public static IQueryable<Ticket> VisibleTo(this IQueryable<Ticket> tickets, ClaimsPrincipal user)
    {
        if (user.IsAtLeast(AgentRole.Agent)) return tickets;
        var me = user.AgentId();
        return tickets.Where(t => t.SharedWith.Contains(me));
    }

    /// <summary>Newest first, continuing after the cursor (creation time, then reference, both descending).</summary>
    public static IQueryable<Ticket> Page(this IQueryable<Ticket> tickets, PageCursor? after)
    {
        if (after is { } c)
        {
#pragma warning disable CA1309 // EF translates this overload to SQL "<"; references are ASCII, so every collation agrees
            tickets = tickets.Where(t => t.CreatedAt < c.At || (t.CreatedAt == c.At && string.Compare(t.Reference, c.Key) < 0));
#pragma warning restore CA1309
        }
        return tickets.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Reference);
    }

    public static IQueryable<TicketDto> ToDtos(this IQueryable<Ticket> tickets) => tickets.Select(t => new TicketDto(
        t.Id, t.Reference, t.Subject, t.Status, t.Type, t.Priority, t.Channel, t.CustomerId, t.OrganizationId, t.TeamId, t.AssigneeId,
        t.Tags, t.CustomFields, t.DueAt, t.CreatedAt, t.UpdatedAt, t.FirstRepliedAt, t.SolvedAt, t.ClosedAt, t.Version, t.Tier, t.FollowUpOfId, t.Followers));
}
