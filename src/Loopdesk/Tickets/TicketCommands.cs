using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Data;
using Loopdesk.Platform;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tickets;

/// <summary>The ticket use cases the API, the CLI (seed, import) and the workspace share.</summary>
public sealed class TicketCommands(LoopdeskDb db, TimeProvider clock, HtmlCleaner html, LoopdeskMetrics metrics)
{
    /// <summary>Opens a ticket with the customer's first message and contact, in one transaction.</summary>
    public async Task<Ticket> CreateAsync(CreateTicketRequest request, Actor actor, AgentRole role, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var occurredAt = request.OccurredAt ?? now;
        for (var attempt = 1; ; attempt++)
        {
            var customer = await db.FindOrCreateAsync(request.Customer.Name, request.Customer.Email, request.Customer.Phone, now, ct);
            var ticket = Ticket.Open(
                new NewTicket(TicketReference.New(), request.Subject, request.Channel, customer.Id, customer.OrganizationId, request.Type,
                    request.Priority, request.Tags, request.TeamId, CreatorIsCollaborator: role == AgentRole.Collaborator),
                actor, occurredAt, now);
            ticket.AddMessage(new NewMessage(MessageDirection.Inbound, request.Channel, request.Body.Trim(), html.Clean(request.Html)),
                Actor.Customer(customer.Id), occurredAt, now, out _);
            ticket.RecordContact(request.Channel, null, Actor.Customer(customer.Id), occurredAt, now);
            db.Tickets.Add(ticket);
            try
            {
                await db.SaveChangesAsync(ct);
                metrics.TicketsCreated.Add(1, new KeyValuePair<string, object?>("channel", Wire.Name(request.Channel)));
                return ticket;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // a concurrent request created the same new customer, or a reference collided: start again from the database
                db.ChangeTracker.Clear();
            }
        }
    }
}
