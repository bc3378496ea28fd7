using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Tickets;

/// <summary>The ticket use cases the API, the CLI (seed, import) and the workspace share.</summary>
public sealed class TicketCommands(TicketWriter writer, TimeProvider clock, HtmlCleaner html)
{
    /// <summary>
    /// Opens a ticket with the customer's first message and contact, in one transaction, and returns it once committed.
    /// The ticket is not tracked by any context: load it again to change it.
    /// </summary>
    public Task<Ticket> CreateAsync(CreateTicketRequest request, Actor actor, AgentRole role, CancellationToken ct, Guid? followUpOfId = null)
    {
        var now = clock.GetUtcNow();
        return writer.OpenAsync(new OpenTicket(request, actor, role, request.OccurredAt ?? now, now, html.Clean(request.Html), followUpOfId), ct);
    }
}
