using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Search;

public sealed record SearchResults(IReadOnlyList<TicketDto> Tickets, IReadOnlyList<CustomerDto> Customers);

public static class SearchEndpoints
{
    public static RouteHandlerBuilder MapSearch(this IEndpointRouteBuilder app)
        => app.MapGet("/search", SearchAsync).WithTags("Search").RequireAuthorization(Policies.Agent).WithName("Search")
            .WithSummary("Search everything")
            .WithDescription("Full text over ticket subjects, messages and customer names; every word must match, as a prefix. "
                + "Punctuation and query operators are ignored; a query with no letters or digits is 400. A ticket reference finds its ticket.");

    private static async Task<Results<Ok<SearchResults>, ProblemHttpResult>> SearchAsync(string? q, int? limit, LoopdeskDb db, ISearchIndex search, CancellationToken ct)
    {
        if (q is null || q.Length > 500) return Problems.Validation("q", "Give a query of up to 500 characters.");
        if (SearchTerms.Parse(q) is not { } terms) return Problems.Validation("q", "The search has no words in it (letters or digits).");
        var size = limit ?? 20;
        if (size is < 1 or > 100) return Problems.Validation("limit", "limit is 1 to 100.");
        return TypedResults.Ok(await RunAsync(db, search, q, terms, size, ct));
    }

    /// <summary>The search the API and the workspace share; a ticket reference puts its ticket first.</summary>
    public static async Task<SearchResults> RunAsync(LoopdeskDb db, ISearchIndex search, string q, SearchTerms terms, int size, CancellationToken ct)
    {

        var ticketIds = (await search.TicketIdsAsync(db, terms, size, ct)).ToList();
        if (TicketReference.Parse(q) is { } reference
            && await db.Tickets.Where(t => t.Reference == reference).Select(t => (Guid?)t.Id).FirstOrDefaultAsync(ct) is { } exact)
        {
            ticketIds.Insert(0, exact);
        }
        var tickets = await db.Tickets.AsNoTracking().Where(t => ticketIds.Contains(t.Id)).ToDtos().ToListAsync(ct);
        var customerIds = await search.CustomerIdsAsync(db, terms, size, ct);
        var customers = await db.Customers.AsNoTracking().Where(c => customerIds.Contains(c.Id) && c.MergedIntoId == null).ToListAsync(ct);
        return new SearchResults(
            [.. tickets.OrderBy(t => ticketIds.IndexOf(t.Id))],
            [.. customers.OrderBy(c => customerIds.ToList().IndexOf(c.Id)).Select(c => c.ToDto())]);
    }
}
