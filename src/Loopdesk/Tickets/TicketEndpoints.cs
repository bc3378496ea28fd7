using System.Security.Claims;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tickets;

public static class TicketEndpoints
{
    public static RouteGroupBuilder MapTickets(this IEndpointRouteBuilder app)
    {
        var tickets = app.MapGroup("/tickets").WithTags("Tickets").RequireAuthorization(Policies.Staff);
        tickets.MapPost("/", CreateAsync).WithName("CreateTicket")
            .WithSummary("Open a ticket")
            .WithDescription("Opens a ticket with the customer's first message. The customer is found by email, then phone, or created. "
                + "`occurredAt` (admins only) carries the time of imported history. Answers 201 with Location and ETag.");
        tickets.MapGet("/", ListAsync).WithName("ListTickets")
            .WithSummary("List tickets")
            .WithDescription("Newest first. Filters combine: status, teamId, assigneeId, customerId, tag, q (full text). "
                + "Pass `nextCursor` back as `cursor` for the next page. Collaborators see only tickets given to them.");
        tickets.MapGet("/{reference}", GetAsync).WithName("GetTicket")
            .WithSummary("Get a ticket").WithDescription("By reference (any case, dash optional). The ETag header is the version for If-Match.");
        tickets.MapPatch("/{reference}", UpdateAsync).WithName("UpdateTicket").RequireAuthorization(Policies.Agent)
            .WithSummary("Change a ticket")
            .WithDescription("Partial update. Send `If-Match` with the ETag you read: a stale one is 412 and changes nothing. "
                + "A status move the lifecycle does not allow (closed → pending) is 422.");
        tickets.MapGet("/{reference}/events", EventsAsync).WithName("ListTicketEvents")
            .WithSummary("A ticket's history").WithDescription("Every change, oldest first, as an append-only list of events.");
        tickets.MapGet("/{reference}/messages", MessagesAsync).WithName("ListTicketMessages")
            .WithSummary("A ticket's messages").WithDescription("Oldest first, internal notes included.");
        tickets.MapGet("/{reference}/messages/{id:guid}", MessageAsync).WithName("GetTicketMessage")
            .WithSummary("One message of a ticket").WithDescription("The message or note the `Location` of its creation names; 404 when the ticket or the message on it is not there.");
        tickets.MapPost("/{reference}/messages", AddMessageAsync).WithName("AddTicketMessage")
            .WithSummary("Add a message or note")
            .WithDescription("An outbound reply, the customer's words logged by an agent (inbound), or an internal note (`internal: true`). "
                + "Collaborators may add internal notes only. A reply the lexicon has findings on is 422 `lexicon.findings` (with the findings) "
                + "unless it says `lexiconOverride: true`, which is recorded with the message.");
        tickets.MapPost("/{reference}/merge", MergeAsync).WithName("MergeTicket").RequireAuthorization(Policies.Agent)
            .WithSummary("Merge into another ticket")
            .WithDescription("Two tickets of one customer about one issue become one: this ticket's messages, contacts, commitments and mail "
                + "threads move to `into`, and this ticket is closed as merged (no survey is sent for it). Answers 200 with the ticket that lives on. "
                + "422 for another customer's ticket, a closed one, or the same ticket.");
        tickets.MapPost("/{reference}/split", SplitAsync).WithName("SplitTicket").RequireAuthorization(Policies.Agent)
            .WithSummary("Split a message into a new ticket")
            .WithDescription("Opens a new ticket for the same customer from one message of this one (a second issue in the same mail), with the same "
                + "team, type, priority and tags. The message stays here too; both tickets record the split. Answers 201 with the new ticket.");
        tickets.MapPost("/{reference}/contacts", AddContactAsync).WithName("AddTicketContact").RequireAuthorization(Policies.Agent)
            .WithSummary("Log a contact").WithDescription("A call or visit an agent took about this ticket; it counts as one contact of the customer. "
                + "A closed ticket takes none (422 `ticket.closed`): open a follow-up instead.");
        return tickets;
    }

    private static async Task<Results<Created<TicketDto>, ProblemHttpResult>> CreateAsync(
        CreateTicketRequest body, ClaimsPrincipal user, LoopdeskDb db, TicketCommands commands, Teams.KnownTeams teams, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        if (CheckOccurredAt(body.OccurredAt, user, clock) is { } refused) return refused;
        if (body.TeamId is { } teamId && !await teams.ExistsAsync(db, teamId, ct))
            return Problems.Unprocessable("team.unknown", "No team with that id.", "teamId");
        Guid? followUpOf = null;
        if (body.FollowUpOf is not null)
        {
            var original = TicketReference.Parse(body.FollowUpOf) is { } r
                ? await db.Tickets.VisibleTo(user).Where(t => t.Reference == r).Select(t => new { t.Id, t.CustomerId }).FirstOrDefaultAsync(ct)
                : null;
            if (original is null) return Problems.Unprocessable("ticket.unknown", "No ticket with that reference to follow up.", "followUpOf");
            // a follow-up continues the same customer's ticket: the customer this request names must be the one it belongs to
            var lookup = await Customers.CustomerLookup.LoadAsync(db, [(body.Customer.Email, body.Customer.Phone)], ct);
            if (lookup.Find(body.Customer.Email, body.Customer.Phone)?.Id != original.CustomerId)
                return Problems.Unprocessable("ticket.other_customer", "That ticket is another customer's; a follow-up continues a ticket of the same customer.", "followUpOf");
            followUpOf = original.Id;
        }
        var ticket = await commands.CreateAsync(body, user.Actor(), user.Role(), ct, followUpOf);
        http.Response.Headers.ETag = ticket.ETag;
        return TypedResults.Created($"/api/v1/tickets/{ticket.Reference}", ticket.ToDto());
    }

    private static async Task<Results<Ok<TicketPage>, ProblemHttpResult>> ListAsync(
        [AsParameters] TicketFilter filter, ClaimsPrincipal user, LoopdeskDb db, ISearchIndex search, CancellationToken ct)
    {
        if (!PageCursor.TryDecode(filter.Cursor, key => TicketReference.Parse(key) == key, out var cursor)) return Problems.Validation("cursor", "The cursor is not one this API gave out.");
        var size = filter.Limit ?? Limits.PageSizeDefault;
        if (size is < 1 or > Limits.PageSizeMax) return Problems.Validation("limit", $"limit is 1 to {Limits.PageSizeMax}.");

        var query = db.Tickets.AsNoTracking().VisibleTo(user);
        if (filter.Status is not null)
        {
            if (!WireValues.TryParse<TicketStatus>(filter.Status, out var status)) return Problems.Validation("status", WireValues.Expected<TicketStatus>("status"));
            query = query.Where(t => t.Status == status);
        }
        if (filter.TeamId is { } teamId) query = query.Where(t => t.TeamId == teamId);
        if (filter.AssigneeId is { } assigneeId) query = query.Where(t => t.AssigneeId == assigneeId);
        if (filter.CustomerId is { } customerId) query = query.Where(t => t.CustomerId == customerId);
        if (!string.IsNullOrWhiteSpace(filter.Tag))
        {
            var tag = filter.Tag.Trim().ToLowerInvariant();
            query = query.Where(t => t.Tags.Contains(tag));
        }
        if (filter.Q is not null)
        {
            if (SearchTerms.Parse(filter.Q) is not { } terms) return Problems.Validation("q", "The search has no words in it (letters or digits).");
            var ids = await search.TicketIdsAsync(db, terms, 500, ct);
            query = query.Where(t => ids.Contains(t.Id));
        }
        var items = await query.Page(cursor).Take(size + 1).ToDtos().ToListAsync(ct);
        string? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            next = new PageCursor(items[^1].CreatedAt, items[^1].Reference).Encode();
        }
        return TypedResults.Ok(new TicketPage(items, next));
    }

    private static async Task<Results<Ok<TicketDto>, ProblemHttpResult>> GetAsync(
        string reference, ClaimsPrincipal user, LoopdeskDb db, HttpContext http, CancellationToken ct)
    {
        var parsed = TicketReference.Parse(reference);
        var ticket = parsed is null ? null : await db.Tickets.AsNoTracking().VisibleTo(user).Where(t => t.Reference == parsed).ToDtos().FirstOrDefaultAsync(ct);
        if (ticket is null) return Problems.NotFound("ticket");
        http.Response.Headers.ETag = $"\"v{ticket.Version}\"";
        return TypedResults.Ok(ticket);
    }

    private static async Task<Results<Ok<TicketDto>, ProblemHttpResult>> UpdateAsync(
        string reference, UpdateTicketRequest body, [FromHeader(Name = "If-Match")] string? ifMatch,
        ClaimsPrincipal user, LoopdeskDb db, TicketCommands commands, HttpContext http, CancellationToken ct)
    {
        var ticket = await FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        if (ifMatch is not null && ifMatch != ticket.ETag && ifMatch != "*") return Problems.PreconditionFailed(ticket.ETag);
        if (await commands.UpdateAsync(db, ticket, body, user, ct) is { } problem) return problem;
        http.Response.Headers.ETag = ticket.ETag;
        return TypedResults.Ok(ticket.ToDto());
    }

    private static async Task<Results<Ok<List<TicketEventDto>>, ProblemHttpResult>> EventsAsync(
        string reference, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        if (await VisibleIdAsync(db, reference, user, ct) is not { } id) return Problems.NotFound("ticket");
        var events = await db.TicketEvents.AsNoTracking().Where(e => e.TicketId == id).OrderBy(e => e.Id).ToListAsync(ct);
        return TypedResults.Ok(events.Select(e => new TicketEventDto(
            e.Id, e.Type, JsonDocument.Parse(e.Data).RootElement.Clone(), e.ActorKind, e.ActorId, e.OccurredAt, e.RecordedAt)).ToList());
    }

    private static async Task<Results<Ok<List<MessageDto>>, ProblemHttpResult>> MessagesAsync(
        string reference, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        if (await VisibleIdAsync(db, reference, user, ct) is not { } id) return Problems.NotFound("ticket");
        var messages = await db.Messages.AsNoTracking().Where(m => m.TicketId == id).OrderBy(m => m.OccurredAt).ThenBy(m => m.Id).ToListAsync(ct);
        return TypedResults.Ok(messages.Select(m => m.ToDto()).ToList());
    }

    private static async Task<Results<Ok<MessageDto>, ProblemHttpResult>> MessageAsync(
        string reference, Guid id, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        if (await VisibleIdAsync(db, reference, user, ct) is not { } ticketId) return Problems.NotFound("ticket");
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id && m.TicketId == ticketId, ct);
        return message is null ? Problems.NotFound("message") : TypedResults.Ok(message.ToDto());
    }

    private static async Task<Results<Created<MessageDto>, ProblemHttpResult>> AddMessageAsync(
        string reference, AddMessageRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, TicketCommands commands,
        HttpContext http, CancellationToken ct)
    {
        if (CheckOccurredAt(body.OccurredAt, user, clock) is { } refused) return refused;
        var ticket = await FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var (message, problem) = await commands.AddMessageAsync(db, ticket, body, user, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = ticket.ETag;
        return TypedResults.Created($"/api/v1/tickets/{ticket.Reference}/messages/{message!.Id}", message.ToDto());
    }

    private static async Task<Results<Ok<TicketDto>, ProblemHttpResult>> MergeAsync(
        string reference, MergeTicketRequest body, ClaimsPrincipal user, LoopdeskDb db, TicketCommands commands, HttpContext http, CancellationToken ct)
    {
        var ticket = await FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var (target, problem) = await commands.MergeAsync(db, ticket, body.Into, user, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = target!.ETag;
        return TypedResults.Ok(target.ToDto());
    }

    private static async Task<Results<Created<TicketDto>, ProblemHttpResult>> SplitAsync(
        string reference, SplitTicketRequest body, ClaimsPrincipal user, LoopdeskDb db, TicketCommands commands, HttpContext http, CancellationToken ct)
    {
        var ticket = await FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var (created, problem) = await commands.SplitAsync(db, ticket, body, user, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = created!.ETag;
        return TypedResults.Created($"/api/v1/tickets/{created.Reference}", created.ToDto());
    }

    private static async Task<Results<Created<ContactDto>, ProblemHttpResult>> AddContactAsync(
        string reference, AddContactRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (CheckOccurredAt(body.OccurredAt, user, clock) is { } refused) return refused;
        var ticket = await FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        if (ticket.Status == TicketStatus.Closed)
            return Problems.Unprocessable("ticket.closed", "A closed ticket takes no more contacts; open a follow-up instead.", null);
        var now = clock.GetUtcNow();
        var contact = ticket.RecordContact(body.Channel, body.Summary?.Trim(), user.Actor(), body.OccurredAt ?? now, now);
        await db.SaveChangesAsync(ct);
        http.Response.Headers.ETag = ticket.ETag;
        return TypedResults.Created($"/api/v1/customers/{contact.CustomerId}/timeline", contact.ToDto());
    }

    internal static async Task<Ticket?> FindAsync(LoopdeskDb db, string reference, ClaimsPrincipal user, CancellationToken ct)
    {
        var parsed = TicketReference.Parse(reference);
        return parsed is null ? null : await db.Tickets.VisibleTo(user).FirstOrDefaultAsync(t => t.Reference == parsed, ct);
    }

    /// <summary>The id of the ticket with this reference, when the caller may see it.</summary>
    private static async Task<Guid?> VisibleIdAsync(LoopdeskDb db, string reference, ClaimsPrincipal user, CancellationToken ct)
    {
        var parsed = TicketReference.Parse(reference);
        return parsed is null ? null : await db.Tickets.VisibleTo(user).Where(t => t.Reference == parsed).Select(t => (Guid?)t.Id).FirstOrDefaultAsync(ct);
    }

    /// <summary>Backdating is for imports, so admins only; and never into the future.</summary>
    internal static ProblemHttpResult? CheckOccurredAt(DateTimeOffset? occurredAt, ClaimsPrincipal user, TimeProvider clock)
    {
        if (occurredAt is null) return null;
        if (!user.IsAtLeast(AgentRole.Admin)) return Problems.Forbidden("Only admins may set occurredAt (it is for importing history).", "occurredAt");
        if (occurredAt > clock.GetUtcNow().AddMinutes(5)) return Problems.Validation("occurredAt", "occurredAt is in the future.");
        return null;
    }
}

/// <summary>The filters of GET /tickets, named as the API spells them (the query is read in any case).</summary>
public sealed class TicketFilter
{
    /// <summary>new, open, pending, on-hold, solved or closed.</summary>
    [FromQuery(Name = "status")]
    public string? Status { get; init; }
    [FromQuery(Name = "teamId")]
    public Guid? TeamId { get; init; }
    [FromQuery(Name = "assigneeId")]
    public Guid? AssigneeId { get; init; }
    [FromQuery(Name = "customerId")]
    public Guid? CustomerId { get; init; }
    [FromQuery(Name = "tag")]
    public string? Tag { get; init; }
    /// <summary>Full-text search over subjects and messages.</summary>
    [FromQuery(Name = "q")]
    public string? Q { get; init; }
    [FromQuery(Name = "cursor")]
    public string? Cursor { get; init; }
    /// <summary>Page size, 1 to 100; default 25.</summary>
    [FromQuery(Name = "limit")]
    public int? Limit { get; init; }
}
