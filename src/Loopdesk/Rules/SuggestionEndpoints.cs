using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

public sealed record SuggestionDto(
    Guid Id, Guid CustomerId, Guid? TicketId, string Text, SuggestionStatus Status, string? Outcome, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? ToldAt, int Version);

public sealed class CreateSuggestionRequest
{
    /// <summary>The ticket the idea came up on; the customer hears the outcome there.</summary>
    [Required, MaxLength(32)]
    public required string TicketRef { get; init; }
    [Required, MaxLength(Suggestion.TextMaxLength)]
    public required string Text { get; init; }
}

public sealed class UpdateSuggestionRequest
{
    public required SuggestionStatus Status { get; init; }
    /// <summary>What became of it, in words for the customer; required for done and declined.</summary>
    [MaxLength(Suggestion.OutcomeMaxLength)]
    public string? Outcome { get; init; }
}

public static class SuggestionEndpoints
{
    public static void MapSuggestions(this IEndpointRouteBuilder app)
    {
        var suggestions = app.MapGroup("/suggestions").WithTags("Suggestions").RequireAuthorization(Policies.Agent);
        suggestions.MapGet("/", ListAsync).WithName("ListSuggestions").WithSummary("Customers' ideas").WithDescription("Newest first, up to 200; filter by status.");
        suggestions.MapPost("/", CreateAsync).WithName("CreateSuggestion").WithSummary("Record a customer's idea")
            .WithDescription("Agents, supervisors and admins. The idea is filed as received, for the customer of the ticket it came up on; "
                + "an unknown ticket reference is 422.");
        suggestions.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateSuggestion").WithSummary("Move an idea on")
            .WithDescription("Status received, under-review, planned, done or declined. Done and declined need an outcome, which is sent to the customer on the "
                + "ticket the idea came from, once. `If-Match` optional (412 when stale).");
    }

    private static async Task<Results<Ok<List<SuggestionDto>>, ProblemHttpResult>> ListAsync(string? status, LoopdeskDb db, CancellationToken ct)
    {
        var query = db.Suggestions.AsNoTracking();
        if (status is not null)
        {
            if (!WireValues.TryParse<SuggestionStatus>(status, out var s)) return Problems.Validation("status", WireValues.Expected<SuggestionStatus>("status"));
            query = query.Where(x => x.Status == s);
        }
        return TypedResults.Ok((await query.OrderByDescending(x => x.Id).Take(200).ToListAsync(ct)).Select(ToDto).ToList());
    }

    private static async Task<Results<Created<SuggestionDto>, ProblemHttpResult>> CreateAsync(
        CreateSuggestionRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Text)) return Problems.Validation("text", "Write down the idea.");
        var ticket = await TicketEndpoints.FindAsync(db, body.TicketRef, user, ct);
        if (ticket is null) return Problems.Unprocessable("ticket.unknown", "No ticket with that reference.", "ticketRef");
        var suggestion = new Suggestion(ticket.CustomerId, ticket.Id, body.Text, user.Actor(), clock.GetUtcNow());
        db.Suggestions.Add(suggestion);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/suggestions/{suggestion.Id}", ToDto(suggestion));
    }

    private static async Task<Results<Ok<SuggestionDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateSuggestionRequest body, [FromHeader(Name = "If-Match")] string? ifMatch, LoopdeskDb db, TemplateStore templates, Outbound outbound,
        TimeProvider clock, CancellationToken ct)
    {
        var suggestion = await db.Suggestions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (suggestion is null) return Problems.NotFound("suggestion");
        if (ifMatch is not null && ifMatch != $"\"v{suggestion.Version}\"" && ifMatch != "*") return Problems.PreconditionFailed($"\"v{suggestion.Version}\"");
        var now = clock.GetUtcNow();
        var verdict = suggestion.Move(body.Status, body.Outcome, now);
        if (!verdict.IsOk) return Problems.RuleViolation(verdict);
        if (suggestion.HasOutcome && suggestion.ToldAt is null && suggestion.TicketId is { } ticketId
            && await db.Tickets.FirstOrDefaultAsync(t => t.Id == ticketId, ct) is { } ticket)
        {
            var customer = await db.Customers.FirstAsync(c => c.Id == suggestion.CustomerId, ct);
            var source = await templates.SourceAsync(db, "suggestions.outcome", TemplateStore.Language(customer), ct);
            var text = await templates.RenderTextAsync(db, source, ticket, customer, now, new Dictionary<string, object?>
            {
                ["suggestion"] = new Dictionary<string, object?> { ["text"] = suggestion.Text, ["status"] = Wire.Name(suggestion.Status), ["outcome"] = suggestion.Outcome },
            }, ct);
            if (outbound.SendToCustomer(db, ticket, text, ticket.Channel, Actor.System, now) is not null) suggestion.Told(now);
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToDto(suggestion));
    }

    private static SuggestionDto ToDto(Suggestion s) => new(s.Id, s.CustomerId, s.TicketId, s.Text, s.Status, s.Outcome, s.CreatedAt, s.UpdatedAt, s.ToldAt, s.Version);
}
