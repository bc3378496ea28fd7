using System.Security.Claims;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Procedures;

public static class ProcedureEndpoints
{
    public static void MapProcedures(this IEndpointRouteBuilder app)
    {
        var procedures = app.MapGroup("/procedures").WithTags("Procedures").RequireAuthorization(Policies.Agent);
        procedures.MapGet("/", ListAsync).WithName("ListProcedures").WithSummary("Standard procedures")
            .WithDescription("Checklists shown beside the composer for tickets of the given types or tags.");
        procedures.MapPost("/", CreateAsync).WithName("CreateProcedure").RequireAuthorization(Policies.Admin).WithSummary("Add a procedure")
            .WithDescription("A name, the steps in order (1 to 30), and the ticket types or tags it fits (at least one). A name in use is 409.");
        procedures.MapPut("/{id:guid}", PutAsync).WithName("ReplaceProcedure").RequireAuthorization(Policies.Admin).WithSummary("Change a procedure")
            .WithDescription("Replaces it. Send If-Match with the ETag (\"vN\") you read: a stale one is 412. Ticks already made on tickets stay, by step number.");
        procedures.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteProcedure").RequireAuthorization(Policies.Admin).WithSummary("Delete a procedure")
            .WithDescription("Admins only. It is no longer shown on any ticket; 404 when there is none.");

        var onTicket = app.MapGroup("/tickets/{reference}/procedures").WithTags("Procedures").RequireAuthorization(Policies.Staff);
        onTicket.MapGet("/", ChecklistsAsync).WithName("TicketProcedures").WithSummary("The procedures that fit a ticket")
            .WithDescription("Each with its steps, ticked or not, by whom and when.");
        onTicket.MapPost("/{procedureId:guid}/steps/{step:int}", TickAsync).WithName("TickProcedureStep").RequireAuthorization(Policies.Agent)
            .WithSummary("Tick a step").WithDescription("`{done: true}` ticks it, `false` unticks it; recorded as a `procedure.step` event. Answers with the ticket's checklists.");
    }

    private static async Task<Ok<List<ProcedureDto>>> ListAsync(LoopdeskDb db, CancellationToken ct)
        => TypedResults.Ok((await db.Procedures.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct)).Select(Checklists.ToDto).ToList());

    /// <summary>Adds a procedure; the API and the settings page share it.</summary>
    public static async Task<(Procedure? Procedure, ProblemHttpResult? Problem)> AddAsync(LoopdeskDb db, ProcedureRequest body, DateTimeOffset now, CancellationToken ct)
    {
        var procedure = new Procedure(now);
        var verdict = procedure.Set(body, now);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        if (await db.Procedures.AnyAsync(p => p.Name == procedure.Name, ct))
            return (null, Problems.Conflict("procedure.exists", "A procedure with that name exists; change it instead.", "name"));
        db.Procedures.Add(procedure);
        await db.SaveChangesAsync(ct);
        return (procedure, null);
    }

    /// <summary>Replaces a procedure when <paramref name="version"/> (if given) is still the current one.</summary>
    public static async Task<(Procedure? Procedure, ProblemHttpResult? Problem)> ReplaceAsync(LoopdeskDb db, Guid id, ProcedureRequest body, int? version, DateTimeOffset now, CancellationToken ct)
    {
        var procedure = await db.Procedures.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (procedure is null) return (null, Problems.NotFound("procedure"));
        if (version is { } v && v != procedure.Version) return (null, Problems.PreconditionFailed($"\"v{procedure.Version}\""));
        var verdict = procedure.Set(body, now);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        if (await db.Procedures.AnyAsync(p => p.Name == procedure.Name && p.Id != id, ct))
            return (null, Problems.Conflict("procedure.exists", "Another procedure has that name.", "name"));
        await db.SaveChangesAsync(ct);
        return (procedure, null);
    }

    private static async Task<Results<Created<ProcedureDto>, ProblemHttpResult>> CreateAsync(ProcedureRequest body, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var (procedure, problem) = await AddAsync(db, body, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = $"\"v{procedure!.Version}\"";
        return TypedResults.Created($"/api/v1/procedures/{procedure.Id}", Checklists.ToDto(procedure));
    }

    private static async Task<Results<Ok<ProcedureDto>, ProblemHttpResult>> PutAsync(
        Guid id, ProcedureRequest body, [FromHeader(Name = "If-Match")] string? ifMatch, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (Problems.ReadIfMatch(ifMatch, out var version) is { } badIfMatch) return badIfMatch;
        var (procedure, problem) = await ReplaceAsync(db, id, body, version, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = $"\"v{procedure!.Version}\"";
        return TypedResults.Ok(Checklists.ToDto(procedure));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, LoopdeskDb db, CancellationToken ct)
        => await db.Procedures.Where(p => p.Id == id).ExecuteDeleteAsync(ct) == 0 ? Problems.NotFound("procedure") : TypedResults.NoContent();

    private static async Task<Results<Ok<List<ChecklistDto>>, ProblemHttpResult>> ChecklistsAsync(string reference, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        return ticket is null ? Problems.NotFound("ticket") : TypedResults.Ok(await Checklists.ForTicketAsync(db, ticket, ct));
    }

    private static async Task<Results<Ok<List<ChecklistDto>>, ProblemHttpResult>> TickAsync(
        string reference, Guid procedureId, int step, TickRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        if (await Checklists.TickAsync(db, ticket, procedureId, step, body.Done, user.Actor(), clock.GetUtcNow(), ct) is { } problem) return problem;
        return TypedResults.Ok(await Checklists.ForTicketAsync(db, ticket, ct));
    }
}
