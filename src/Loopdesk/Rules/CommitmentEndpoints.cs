using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

public sealed record CommitmentDto(
    Guid Id, Guid TicketId, string TicketReference, Guid CustomerId, string Description, DateTimeOffset DueAt, Guid? OwnerId,
    string State, DateTimeOffset CreatedAt, DateTimeOffset? KeptAt, DateTimeOffset? OverdueAt);

public sealed class CreateCommitmentRequest
{
    [Required, MaxLength(Commitment.DescriptionMaxLength)]
    public required string Description { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    /// <summary>Who keeps it; the ticket's owner when not given.</summary>
    public Guid? OwnerId { get; init; }
}

public sealed class CallbackRequest
{
    /// <summary>When the customer would like the call; default: within the rule-of-three callback window.</summary>
    public DateTimeOffset? At { get; init; }
    [MaxLength(500)]
    public string? Note { get; init; }
}

public sealed class ResolutionAnswer
{
    /// <summary>Whether the customer agrees the ticket is resolved.</summary>
    public required bool Agreed { get; init; }
    [MaxLength(Limits.BodyMaxLength)]
    public string? Comment { get; init; }
}

public static class CommitmentEndpoints
{
    public static void MapCommitments(this IEndpointRouteBuilder app)
    {
        var onTicket = app.MapGroup("/tickets/{reference}").WithTags("Commitments").RequireAuthorization(Policies.Agent);
        onTicket.MapPost("/commitments", CreateAsync).WithName("CreateCommitment").WithSummary("Make a commitment")
            .WithDescription("A promise to the customer with a description, a due time after now, and an owner (default: the ticket's owner). "
                + "The owner is reminded before it is due; when overdue the team lead is alerted and the customer told.");
        onTicket.MapGet("/commitments", ListForTicketAsync).WithName("ListTicketCommitments").WithSummary("A ticket's commitments")
            .WithDescription("Agents, supervisors and admins. Every promise on the ticket, kept or not, soonest due first; 404 when there is no such ticket.");
        onTicket.MapPost("/callback", CallbackAsync).WithName("RequestCallback").WithSummary("The customer asks for a callback")
            .WithDescription("Records the request as a commitment to call, due at `at` or within the rule-of-three window, and confirms it to the customer.");
        onTicket.MapPost("/resolution", ResolutionAsync).WithName("AnswerResolution").WithSummary("The customer's answer to \"is it resolved?\"")
            .WithDescription("On a solved ticket: agreed closes it (and the survey follows); not agreed reopens it with the comment as the customer's message.");

        var all = app.MapGroup("/commitments").WithTags("Commitments").RequireAuthorization(Policies.Agent);
        all.MapGet("/", ListAsync).WithName("ListCommitments").WithSummary("Commitments due or overdue")
            .WithDescription("state: open (default), due (open, due within `withinSeconds`, default 86400), overdue, kept or all; ownerId filters. Soonest due first, up to 200.");
        all.MapPost("/{id:guid}/kept", KeptAsync).WithName("KeepCommitment").WithSummary("Mark a commitment kept")
            .WithDescription("Agents, supervisors and admins. Records on its ticket that the promise was kept, and whether late; 404 when there is none, 409 `commitment.kept` when it is kept already.");
    }

    private static async Task<Results<Created<CommitmentDto>, ProblemHttpResult>> CreateAsync(
        string reference, CreateCommitmentRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var now = clock.GetUtcNow();
        var (commitment, problem) = await MakeAsync(db, ticket, body, user, now, ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/commitments/{commitment!.Id}", commitment.ToDto(ticket.Reference, now));
    }

    /// <summary>A promise on a tracked ticket, made by the caller, saved; the API and the workspace's composer share it.</summary>
    public static async Task<(Commitment? Commitment, ProblemHttpResult? Problem)> MakeAsync(
        LoopdeskDb db, Ticket ticket, CreateCommitmentRequest body, ClaimsPrincipal user, DateTimeOffset now, CancellationToken ct)
    {
        if (body.OwnerId is { } owner && !await db.Agents.AnyAsync(a => a.Id == owner && a.Active && a.Role != AgentRole.Collaborator, ct))
            return (null, Problems.Unprocessable("agent.unknown", "No active agent with that id can own a commitment.", "ownerId"));
        var verdict = ticket.MakeCommitment(body.Description, body.DueAt, body.OwnerId, user.Actor(), now, out var commitment);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        db.Commitments.Add(commitment);
        await db.SaveChangesAsync(ct);
        return (commitment, null);
    }

    private static async Task<Results<Ok<List<CommitmentDto>>, ProblemHttpResult>> ListForTicketAsync(
        string reference, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var rows = await db.Commitments.AsNoTracking().Where(c => c.TicketId == ticket.Id).OrderBy(c => c.DueAt).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(rows.Select(c => c.ToDto(ticket.Reference, now)).ToList());
    }

    private static async Task<Results<Ok<List<CommitmentDto>>, ProblemHttpResult>> ListAsync(
        string? state, Guid? ownerId, long? withinSeconds, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var query = db.Commitments.AsNoTracking();
        switch (state ?? "open")
        {
            case "open": query = query.Where(c => c.KeptAt == null); break;
            case "due":
                if (withinSeconds is < 1 or > 31_536_000) return Problems.Validation("withinSeconds", "withinSeconds is 1 to 31536000.");
                var until = now.AddSeconds(withinSeconds ?? 86_400);
                query = query.Where(c => c.KeptAt == null && c.DueAt > now && c.DueAt <= until);
                break;
            case "overdue": query = query.Where(c => c.KeptAt == null && c.DueAt <= now); break;
            case "kept": query = query.Where(c => c.KeptAt != null); break;
            case "all": break;
            default: return Problems.Validation("state", "state is open, due, overdue, kept or all.");
        }
        if (ownerId is { } owner) query = query.Where(c => c.OwnerId == owner);
        var rows = await (from c in query join t in db.Tickets on c.TicketId equals t.Id orderby c.DueAt select new { c, t.Reference }).Take(200).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(r => r.c.ToDto(r.Reference, now)).ToList());
    }

    private static async Task<Results<Ok<CommitmentDto>, ProblemHttpResult>> KeptAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var commitment = await db.Commitments.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (commitment is null) return Problems.NotFound("commitment");
        var ticket = await db.Tickets.VisibleTo(user).FirstOrDefaultAsync(t => t.Id == commitment.TicketId, ct);
        if (ticket is null) return Problems.NotFound("commitment");
        var now = clock.GetUtcNow();
        var verdict = ticket.KeepCommitment(commitment, user.Actor(), now);
        if (!verdict.IsOk) return verdict.Code == "commitment.kept" ? Problems.Conflict(verdict.Code, verdict.Message!) : Problems.RuleViolation(verdict);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(commitment.ToDto(ticket.Reference, now));
    }

    private static async Task<Results<Created<CommitmentDto>, ProblemHttpResult>> CallbackAsync(
        string reference, CallbackRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, RuleBook book, RuleServices services, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var now = clock.GetUtcNow();
        var snapshot = await book.GetAsync(db, ct);
        var rule = snapshot.All.Values.FirstOrDefault(r => r.Key == "rule-of-three");
        var dueAt = body.At ?? now + (rule?.Seconds("callbackWithinSeconds", 14_400) ?? TimeSpan.FromHours(4));
        var description = "Call the customer back" + (string.IsNullOrWhiteSpace(body.Note) ? "" : $": {body.Note.Trim()}");
        var verdict = ticket.MakeCommitment(description, dueAt, null, user.Actor(), now, out var commitment);
        if (!verdict.IsOk) return Problems.RuleViolation(verdict with { Field = verdict.Field == "dueAt" ? "at" : verdict.Field });
        db.Commitments.Add(commitment);
        if (rule is not null)
        {
            var context = new RuleContext(db, rule, ticket, null, now, services);
            await context.SendAsync("rule-of-three.callback", new Dictionary<string, object?>
            {
                ["commitment"] = new Dictionary<string, object?> { ["description"] = description, ["due_at"] = dueAt },
            }, null, ct);
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/commitments/{commitment.Id}", commitment.ToDto(ticket.Reference, now));
    }

    private static async Task<Results<Ok<TicketDto>, ProblemHttpResult>> ResolutionAsync(
        string reference, ResolutionAnswer body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        if (ticket.Status != TicketStatus.Solved) return Problems.Unprocessable("ticket.not_solved", "Only a solved ticket waits for the customer's agreement.", "status");
        var now = clock.GetUtcNow();
        var customer = Core.Common.Actor.Customer(ticket.CustomerId);
        var comment = body.Comment?.Trim();
        if (body.Agreed)
        {
            ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, customer, now);
            if (!string.IsNullOrEmpty(comment))
                ticket.AddMessage(new NewMessage(MessageDirection.Inbound, ticket.Channel, comment, Internal: true), customer, now, now, out _);
        }
        else if (!string.IsNullOrEmpty(comment))
        {
            // what is still wrong, in the customer's words; a customer message opens a solved ticket again
            ticket.AddMessage(new NewMessage(MessageDirection.Inbound, ticket.Channel, comment), customer, now, now, out _);
        }
        else
        {
            ticket.Apply(new TicketChange { Status = TicketStatus.Open }, customer, now);
        }
        await db.SaveChangesAsync(ct);
        http.Response.Headers.ETag = ticket.ETag;
        return TypedResults.Ok(ticket.ToDto());
    }

    internal static CommitmentDto ToDto(this Commitment c, string reference, DateTimeOffset now)
        => new(c.Id, c.TicketId, reference, c.CustomerId, c.Description, c.DueAt, c.OwnerId,
            c.KeptAt is not null ? "kept" : c.DueAt <= now ? "overdue" : "open", c.CreatedAt, c.KeptAt, c.OverdueAt);
}
