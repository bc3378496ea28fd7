using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Credits;

public sealed class GiveCreditRequest
{
    /// <summary>refund, account-credit, free-upgrade, expedited-shipping or discount.</summary>
    [Required]
    public CreditKind? Kind { get; init; }
    /// <summary>More than zero, at most two decimals.</summary>
    [Required]
    public decimal? Amount { get; init; }
    /// <summary>ISO 4217 code; the configured currency when left out.</summary>
    [MaxLength(3)]
    public string? Currency { get; init; }
    [Required, MaxLength(Credit.ReasonMaxLength)]
    public string Reason { get; init; } = "";
    /// <summary>The ticket it is given on, by reference.</summary>
    public string? TicketRef { get; init; }
}

public sealed record CreditDto(Guid Id, Guid CustomerId, string? CustomerName, CreditKind Kind, decimal Amount, string Currency, string Reason,
    string? TicketRef, Guid? IncidentId, Guid? GivenBy, string? GivenByName, CreditStatus Status, Guid? DecidedBy, string? DecidedByName,
    DateTimeOffset? DecidedAt, DateTimeOffset CreatedAt);

public sealed record CurrencyTotal(string Currency, decimal Amount);

/// <summary>A customer's credits: the approved total in the configured currency, totals per currency, and every credit, newest first.</summary>
public sealed record CreditLedgerDto(Guid CustomerId, string Currency, decimal Total, IReadOnlyList<CurrencyTotal> Totals, int Pending, IReadOnlyList<CreditDto> Items);

/// <summary>The credit use cases the API, the workspace and incident resolution share.</summary>
public sealed class CreditLedger(IOptions<LoopdeskOptions> options, TimeProvider clock)
{
    public CreditOptions Options => options.Value.Credits;

    /// <summary>Gives a credit to a customer: approved at once within the giver's limit, else waiting for approval.</summary>
    public async Task<(Credit? Credit, ProblemHttpResult? Problem)> GiveAsync(LoopdeskDb db, Guid customerId, GiveCreditRequest body, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await db.Customers.AnyAsync(c => c.Id == customerId && c.MergedIntoId == null, ct)) return (null, Problems.NotFound("customer"));
        if (body.Kind is not { } kind) return (null, Problems.Validation("kind", WireValues.Expected<CreditKind>("kind")));
        if (body.Amount is not { } amount) return (null, Problems.Validation("amount", "Give the amount."));
        if (CreditRules.CheckAmount(amount) is { } badAmount) return (null, Problems.Validation("amount", badAmount));
        if (amount > Options.MaxAmount)
            return (null, Problems.Unprocessable("credit.too_large", $"One credit is at most {Options.MaxAmount.ToString("N2", CultureInfo.InvariantCulture)}; split a larger settlement with accounting.", "amount"));
        var currency = string.IsNullOrWhiteSpace(body.Currency) ? Options.Currency : body.Currency.Trim();
        if (!CreditRules.IsCurrency(currency)) return (null, Problems.Validation("currency", "The currency is a three-letter ISO 4217 code (EUR, USD…)."));
        var reason = body.Reason.Trim();
        if (reason.Length == 0) return (null, Problems.Validation("reason", "Say why the customer gets it."));
        if (TextRules.FindProblem(reason, allowNewLines: true) is { } badReason) return (null, Problems.Validation("reason", $"The reason {badReason}."));
        Guid? ticketId = null;
        if (!string.IsNullOrWhiteSpace(body.TicketRef))
        {
            var reference = TicketReference.Parse(body.TicketRef);
            ticketId = reference is null ? null : await db.Tickets.VisibleTo(user).Where(t => t.Reference == reference && t.CustomerId == customerId).Select(t => (Guid?)t.Id).FirstOrDefaultAsync(ct);
            if (ticketId is null) return (null, Problems.Unprocessable("ticket.unknown", "No ticket of this customer with that reference.", "ticketRef"));
        }
        var now = clock.GetUtcNow();
        var me = user.AgentId();
        var credit = new Credit(customerId, kind, amount, currency, reason, ticketId, null, me, now);
        if (amount <= Options.LimitOf(user.Role())) credit.Decide(true, me, now);
        db.Credits.Add(credit);
        if (ticketId is { } tid && await db.Tickets.FirstOrDefaultAsync(t => t.Id == tid, ct) is { } ticket)
        {
            ticket.Remark("credit.given", new { creditId = credit.Id, kind = Wire.Name(kind), amount, currency = credit.Currency, status = Wire.Name(credit.Status) }, user.Actor(), now);
        }
        await db.SaveChangesAsync(ct);
        return (credit, null);
    }

    /// <summary>Approves or rejects a pending credit; only someone whose own limit covers the amount approves, and never their own.</summary>
    public async Task<(Credit? Credit, ProblemHttpResult? Problem)> DecideAsync(LoopdeskDb db, Guid id, bool approve, ClaimsPrincipal user, CancellationToken ct)
    {
        var credit = await db.Credits.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (credit is null) return (null, Problems.NotFound("credit"));
        var me = user.AgentId();
        if (credit.GivenBy == me && credit.Status == CreditStatus.PendingApproval)
            return (null, Problems.Forbidden("A credit is approved by someone other than who gave it.", "id"));
        if (approve && credit.Amount > Options.LimitOf(user.Role()))
            return (null, Problems.Forbidden($"Your limit is {Options.LimitOf(user.Role()).ToString("N2", CultureInfo.InvariantCulture)}; someone whose limit covers {credit.Amount.ToString("N2", CultureInfo.InvariantCulture)} approves this.", "id"));
        var verdict = credit.Decide(approve, me, clock.GetUtcNow());
        if (!verdict.IsOk) return (null, Problems.Conflict(verdict.Code!, verdict.Message!));
        await db.SaveChangesAsync(ct);
        return (credit, null);
    }

    /// <summary>
    /// Gives an incident's announced compensation, approved, to each customer named who has not had it yet (in the
    /// caller's transaction); returns how many got it.
    /// </summary>
    public static async Task<int> GrantCompensationAsync(LoopdeskDb db, Incidents.Incident incident, IReadOnlyCollection<Guid> customerIds, Guid? by, string currency, DateTimeOffset now, CancellationToken ct)
    {
        if (incident.CompensationKind is not { } kind || incident.CompensationAmount is not { } amount || customerIds.Count == 0) return 0;
        var incidentId = incident.Id;
        var already = await db.Credits.Where(c => c.IncidentId == incidentId).Select(c => c.CustomerId).ToListAsync(ct);
        var granted = 0;
        foreach (var customerId in customerIds.Except(already))
        {
            var credit = new Credit(customerId, kind, amount, incident.CompensationCurrency ?? currency, $"Compensation for the incident \"{incident.Title}\"", null, incidentId, by, now);
            credit.Decide(true, by ?? Guid.Empty, now);
            db.Credits.Add(credit);
            granted++;
        }
        return granted;
    }

    public async Task<CreditLedgerDto> LedgerAsync(LoopdeskDb db, Guid customerId, CancellationToken ct)
    {
        var items = await ToDtos(db, db.Credits.AsNoTracking().Where(c => c.CustomerId == customerId)).ToListAsync(ct);
        var totals = items.Where(c => c.Status == CreditStatus.Approved).GroupBy(c => c.Currency).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new CurrencyTotal(g.Key, g.Sum(c => c.Amount))).ToList();
        var currency = Options.Currency.ToUpperInvariant();
        return new CreditLedgerDto(customerId, currency, totals.FirstOrDefault(t => t.Currency == currency)?.Amount ?? 0, totals,
            items.Count(c => c.Status == CreditStatus.PendingApproval), items);
    }

    /// <summary>Credits as the API shows them, with the names of the customer, the ticket and the staff involved; newest first unless told.</summary>
    public static IQueryable<CreditDto> ToDtos(LoopdeskDb db, IQueryable<Credit> credits, bool newestFirst = true)
    {
        var joined = from c in credits
                     join cu in db.Customers on c.CustomerId equals cu.Id
                     join t in db.Tickets on c.TicketId equals t.Id into tickets
                     from t in tickets.DefaultIfEmpty()
                     join g in db.Agents on c.GivenBy equals g.Id into givers
                     from g in givers.DefaultIfEmpty()
                     join d in db.Agents on c.DecidedBy equals d.Id into deciders
                     from d in deciders.DefaultIfEmpty()
                     select new { c, Customer = cu.Name, Ticket = t == null ? null : t.Reference, Giver = g == null ? null : g.Name, Decider = d == null ? null : d.Name };
        joined = newestFirst ? joined.OrderByDescending(x => x.c.CreatedAt).ThenByDescending(x => x.c.Id) : joined.OrderBy(x => x.c.CreatedAt).ThenBy(x => x.c.Id);
        return joined.Select(x => new CreditDto(x.c.Id, x.c.CustomerId, x.Customer, x.c.Kind, x.c.Amount, x.c.Currency, x.c.Reason, x.Ticket, x.c.IncidentId,
            x.c.GivenBy, x.Giver, x.c.Status, x.c.DecidedBy, x.Decider, x.c.DecidedAt, x.c.CreatedAt));
    }

    /// <summary>
    /// One CSV line per credit for accounting. A text cell a spreadsheet would run as a formula (starting with = + - @, a
    /// tab or a carriage return) is written with a leading single quote.
    /// </summary>
    public static string Csv(IEnumerable<CreditDto> credits)
    {
        var csv = new StringBuilder();
        csv.Append("id,created_at,customer_id,customer,kind,amount,currency,status,reason,ticket,incident_id,given_by,decided_by,decided_at\r\n");
        foreach (var c in credits)
        {
            string[] cells =
            [
                c.Id.ToString(), c.CreatedAt.ToString("O", CultureInfo.InvariantCulture), c.CustomerId.ToString(), Cell(c.CustomerName), Wire.Name(c.Kind),
                c.Amount.ToString("0.00", CultureInfo.InvariantCulture), Cell(c.Currency), Wire.Name(c.Status), Cell(c.Reason), Cell(c.TicketRef),
                c.IncidentId?.ToString() ?? "", Cell(c.GivenByName), Cell(c.DecidedByName), c.DecidedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            ];
            csv.AppendJoin(',', cells.Select(Quote)).Append("\r\n");
        }
        return csv.ToString();
    }

    /// <summary>Neutralizes a text cell that a spreadsheet would take for a formula.</summary>
    public static string Cell(string? text)
        => string.IsNullOrEmpty(text) ? "" : text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    private static string Quote(string cell)
        => cell.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
