using System.Security.Claims;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Credits;

public static class CreditEndpoints
{
    public static void MapCredits(this IEndpointRouteBuilder app)
    {
        var ledger = app.MapGroup("/customers/{id:guid}/credits").WithTags("Credits").RequireAuthorization(Policies.Agent);
        ledger.MapGet("/", ListAsync).WithName("ListCustomerCredits").WithSummary("A customer's credits")
            .WithDescription("Every goodwill gesture on the customer's ledger, newest first, with the approved total in the configured currency and per currency, and how many wait for approval.");
        ledger.MapPost("/", GiveAsync).WithName("GiveCredit").WithSummary("Give a credit")
            .WithDescription("A refund, account credit, free upgrade, expedited shipping or discount, with amount, reason and (optionally) the ticket. "
                + "Within the giver's role limit (Loopdesk:Credits:Limits) it is approved at once; above it, it waits for a supervisor or admin whose limit covers it (`status: pending-approval`). "
                + "Amounts are more than zero with at most two decimals; above Loopdesk:Credits:MaxAmount is 422 `credit.too_large`.");

        var credits = app.MapGroup("/credits").WithTags("Credits").RequireAuthorization(Policies.Supervisor);
        credits.MapGet("/", PendingAsync).WithName("ListCredits").WithSummary("Credits by status")
            .WithDescription("Newest first; `status` is approved, pending-approval (the default) or rejected. At most 200.");
        credits.MapPost("/{id:guid}/approve", (Guid id, ClaimsPrincipal user, LoopdeskDb db, CreditLedger ledger, CancellationToken ct) => DecideAsync(id, true, user, db, ledger, ct))
            .WithName("ApproveCredit").WithSummary("Approve a pending credit")
            .WithDescription("By a supervisor or admin whose own limit covers the amount, never the person who gave it (403). A credit decided already is 409.");
        credits.MapPost("/{id:guid}/reject", (Guid id, ClaimsPrincipal user, LoopdeskDb db, CreditLedger ledger, CancellationToken ct) => DecideAsync(id, false, user, db, ledger, ct))
            .WithName("RejectCredit").WithSummary("Reject a pending credit").WithDescription("It stays on the ledger as rejected and does not count.");
        credits.MapGet("/export", ExportAsync).WithName("ExportCredits").WithSummary("Credits as CSV for accounting")
            .WithDescription("Every credit created in [from, to) (ISO 8601 instants, both optional), oldest first, as text/csv. "
                + "Text cells starting with = + - @, a tab or a carriage return get a leading single quote so a spreadsheet shows them as text.");
    }

    private static async Task<Results<Ok<CreditLedgerDto>, ProblemHttpResult>> ListAsync(Guid id, LoopdeskDb db, CreditLedger ledger, CancellationToken ct)
    {
        if (!await db.Customers.AnyAsync(c => c.Id == id, ct)) return Problems.NotFound("customer");
        return TypedResults.Ok(await ledger.LedgerAsync(db, id, ct));
    }

    private static async Task<Results<Created<CreditDto>, ProblemHttpResult>> GiveAsync(Guid id, GiveCreditRequest body, ClaimsPrincipal user, LoopdeskDb db, CreditLedger ledger, CancellationToken ct)
    {
        var (credit, problem) = await ledger.GiveAsync(db, id, body, user, ct);
        if (problem is not null) return problem;
        var dto = await CreditLedger.ToDtos(db, db.Credits.AsNoTracking().Where(c => c.Id == credit!.Id)).FirstAsync(ct);
        return TypedResults.Created($"/api/v1/customers/{id}/credits", dto);
    }

    private static async Task<Results<Ok<List<CreditDto>>, ProblemHttpResult>> PendingAsync(string? status, LoopdeskDb db, CancellationToken ct)
    {
        var wanted = CreditStatus.PendingApproval;
        if (status is not null && !WireValues.TryParse(status, out wanted)) return Problems.Validation("status", WireValues.Expected<CreditStatus>("status"));
        return TypedResults.Ok(await CreditLedger.ToDtos(db, db.Credits.AsNoTracking().Where(c => c.Status == wanted)).Take(200).ToListAsync(ct));
    }

    private static async Task<Results<Ok<CreditDto>, ProblemHttpResult>> DecideAsync(Guid id, bool approve, ClaimsPrincipal user, LoopdeskDb db, CreditLedger ledger, CancellationToken ct)
    {
        var (credit, problem) = await ledger.DecideAsync(db, id, approve, user, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(await CreditLedger.ToDtos(db, db.Credits.AsNoTracking().Where(c => c.Id == credit!.Id)).FirstAsync(ct));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportAsync(DateTimeOffset? from, DateTimeOffset? to, LoopdeskDb db, CancellationToken ct)
    {
        if (from is { } f && to is { } t && t < f) return Problems.Validation("to", "`to` comes after `from`.");
        var query = db.Credits.AsNoTracking();
        if (from is { } start) query = query.Where(c => c.CreatedAt >= start);
        if (to is { } end) query = query.Where(c => c.CreatedAt < end);
        var rows = await CreditLedger.ToDtos(db, query, newestFirst: false).ToListAsync(ct);
        var bytes = System.Text.Encoding.UTF8.GetBytes(CreditLedger.Csv(rows));
        return TypedResults.File(bytes, "text/csv; charset=utf-8", "credits.csv");
    }
}
