using System.Globalization;
using System.Security.Claims;
using System.Text;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
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
    public static IQueryable<Ticket> Page(this IQueryable<Ticket> tickets, TicketCursor? after)
    {
        if (after is { } c)
        {
#pragma warning disable CA1309 // EF translates this overload to SQL "<"; references are ASCII, so every collation agrees
            tickets = tickets.Where(t => t.CreatedAt < c.CreatedAt || (t.CreatedAt == c.CreatedAt && string.Compare(t.Reference, c.Reference) < 0));
#pragma warning restore CA1309
        }
        return tickets.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Reference);
    }

    public static IQueryable<TicketDto> ToDtos(this IQueryable<Ticket> tickets) => tickets.Select(t => new TicketDto(
        t.Id, t.Reference, t.Subject, t.Status, t.Type, t.Priority, t.Channel, t.CustomerId, t.OrganizationId, t.TeamId, t.AssigneeId,
        t.Tags, t.CustomFields, t.DueAt, t.CreatedAt, t.UpdatedAt, t.FirstRepliedAt, t.SolvedAt, t.ClosedAt, t.Version));
}

/// <summary>An opaque paging cursor: where the previous page ended.</summary>
public readonly record struct TicketCursor(DateTimeOffset CreatedAt, string Reference)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
        CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture) + "|" + Reference)).TrimEnd('=');

    public static bool TryDecode(string? value, out TicketCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(value)) return true;
        try
        {
            var padded = value.PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '=');
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|');
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks
                || TicketReference.Parse(parts[1]) is not { } reference)
            {
                return false;
            }
            cursor = new TicketCursor(new DateTimeOffset(ticks, TimeSpan.Zero), reference);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
