using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Credits;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Credits;

/// <summary>Goodwill gestures on a customer's ledger: limits per role, approval, the accounting export.</summary>
public abstract class CreditTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<CreditDto> GiveAsync(HttpClient client, Guid customerId, object body)
    {
        var response = await client.PostJsonAsync($"/api/v1/customers/{customerId}/credits", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<CreditDto>(Ct);
    }

    [Fact]
    public async Task Within_the_limit_a_credit_counts_at_once_and_above_it_waits_for_a_supervisor()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await agent.CreateTicketAsync("Parcel arrived broken", Ct);

        var small = await GiveAsync(agent, ticket.CustomerId, new { kind = "refund", amount = 20, reason = "Broken parcel", ticketRef = ticket.Reference });
        Assert.Equal((CreditStatus.Approved, "EUR", ticket.Reference, app.AgentId(AgentRole.Agent)), (small.Status, small.Currency, small.TicketRef, small.DecidedBy!.Value));
        var large = await GiveAsync(agent, ticket.CustomerId, new { kind = "account-credit", amount = 80, reason = "Third failed delivery" });
        Assert.Equal(CreditStatus.PendingApproval, large.Status);
        var ledger = await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{ticket.CustomerId}/credits", Ct);
        Assert.Equal((20m, 1, 2), (ledger.Total, ledger.Pending, ledger.Items.Count));
        Assert.Contains(await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct), e => e.Type == "credit.given");

        // an agent cannot approve; a supervisor does
        await (await agent.PostAsync($"/api/v1/credits/{large.Id}/approve", null, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        Assert.Contains(await supervisor.GetJsonAsync<List<CreditDto>>("/api/v1/credits", Ct), c => c.Id == large.Id);
        var approved = await (await supervisor.PostAsync($"/api/v1/credits/{large.Id}/approve", null, Ct)).ReadAsync<CreditDto>(Ct);
        Assert.Equal((CreditStatus.Approved, app.AgentId(AgentRole.Supervisor)), (approved.Status, approved.DecidedBy!.Value));
        await (await supervisor.PostAsync($"/api/v1/credits/{large.Id}/reject", null, Ct)).ProblemAsync(HttpStatusCode.Conflict, Ct);
        Assert.Equal(100m, (await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{ticket.CustomerId}/credits", Ct)).Total);

        // above the supervisor's own limit: not theirs to approve, nor their own; an admin's
        var big = await GiveAsync(supervisor, ticket.CustomerId, new { kind = "free-upgrade", amount = 700, reason = "A year of business plan" });
        Assert.Equal(CreditStatus.PendingApproval, big.Status);
        await (await supervisor.PostAsync($"/api/v1/credits/{big.Id}/approve", null, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        var fromAgent = await GiveAsync(agent, ticket.CustomerId, new { kind = "expedited-shipping", amount = 600, reason = "Next-day courier" });
        await (await supervisor.PostAsync($"/api/v1/credits/{fromAgent.Id}/approve", null, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        Assert.Equal(CreditStatus.Approved, (await (await admin.PostAsync($"/api/v1/credits/{big.Id}/approve", null, Ct)).ReadAsync<CreditDto>(Ct)).Status);
        Assert.Equal(CreditStatus.Rejected, (await (await supervisor.PostAsync($"/api/v1/credits/{fromAgent.Id}/reject", null, Ct)).ReadAsync<CreditDto>(Ct)).Status);
        var final = await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{ticket.CustomerId}/credits", Ct);
        Assert.Equal((800m, 0), (final.Total, final.Pending));
    }

    [Theory]
    [InlineData(0, "amount")]
    [InlineData(-10, "amount")]
    [InlineData(12.345, "amount")]
    [InlineData(99999999, "amount")]
    public async Task Negative_zero_fractional_and_absurd_amounts_are_refused_and_nothing_is_written(double amount, string field)
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Wants money", Ct);
        var response = await agent.PostJsonAsync($"/api/v1/customers/{ticket.CustomerId}/credits", new { kind = "refund", amount = (decimal)amount, reason = "Test" }, Ct);
        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(field, problem.Field());
        Assert.Empty((await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{ticket.CustomerId}/credits", Ct)).Items);
    }

    [Fact]
    public async Task Other_bad_credits_are_refused_with_a_reason()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await agent.CreateTicketAsync("Another", Ct);
        var stranger = await agent.CreateTicketAsync("Someone else's", Ct);
        var tooLarge = await admin.PostJsonAsync($"/api/v1/customers/{ticket.CustomerId}/credits", new { kind = "refund", amount = 20000, reason = "Oops" }, Ct);
        Assert.Equal("credit.too_large", (await tooLarge.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        var foreignTicket = await agent.PostJsonAsync($"/api/v1/customers/{ticket.CustomerId}/credits", new { kind = "refund", amount = 5, reason = "x", ticketRef = stranger.Reference }, Ct);
        Assert.Equal("ticketRef", (await foreignTicket.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        var badKind = await agent.PostJsonAsync($"/api/v1/customers/{ticket.CustomerId}/credits", new { kind = "cash-in-envelope", amount = 5, reason = "x" }, Ct);
        await badKind.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        var badCurrency = await agent.PostJsonAsync($"/api/v1/customers/{ticket.CustomerId}/credits", new { kind = "refund", amount = 5, currency = "E1", reason = "x" }, Ct);
        Assert.Equal("currency", (await badCurrency.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        var noReason = await agent.PostJsonAsync($"/api/v1/customers/{ticket.CustomerId}/credits", new { kind = "refund", amount = 5, reason = "  " }, Ct);
        await noReason.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Empty((await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{ticket.CustomerId}/credits", Ct)).Items);

        await (await agent.GetAsync($"/api/v1/customers/{Guid.NewGuid()}/credits", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await agent.PostJsonAsync($"/api/v1/customers/{Guid.NewGuid()}/credits", new { kind = "refund", amount = 5, reason = "x" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await admin.PostAsync($"/api/v1/credits/{Guid.NewGuid()}/approve", null, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
    }

    [Fact]
    public async Task The_csv_export_neutralizes_cells_a_spreadsheet_would_run()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var ticket = await agent.CreateTicketAsync("Formula test", Ct, name: "=cmd|' /C calc'!A0");
        var reasons = new[] { "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "Plain, with comma" };
        foreach (var reason in reasons) await GiveAsync(agent, ticket.CustomerId, new { kind = "discount", amount = 1.5m, reason });

        await (await agent.GetAsync("/api/v1/credits/export", Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        var response = await supervisor.GetAsync("/api/v1/credits/export", Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var csv = await response.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("id,created_at,customer_id,customer,kind,amount,currency,status,reason,ticket", csv);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"", csv);
        Assert.Contains(",'+1+1,", csv);
        Assert.Contains(",'-2+3,", csv);
        Assert.Contains(",'@SUM(A1:A2),", csv);
        // tabs and carriage returns lead no stored text (it is trimmed), but the guard covers them too
        Assert.Equal(["'\tx", "'\rx", "'-1", "plain", ""], new[] { "\tx", "\rx", "-1", "plain", "" }.Select(CreditLedger.Cell));
        Assert.Contains(",\"Plain, with comma\",", csv);
        Assert.Contains("'=cmd|' /C calc'!A0", csv);
        Assert.Contains(",1.50,EUR,approved,", csv);
        Assert.DoesNotContain(",=", csv);
        Assert.DoesNotContain(",+1", csv);
        Assert.DoesNotContain(",@", csv);

        var future = Uri.EscapeDataString(app.Clock.GetUtcNow().AddDays(1).ToString("O"));
        var none = await supervisor.GetStringAsync($"/api/v1/credits/export?from={future}", Ct);
        Assert.Single(none.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }
}

public sealed class CreditsOnSqlite(SqliteApp app) : CreditTests(app), IClassFixture<SqliteApp>;

public sealed class CreditsOnPostgres(PostgresApp app) : CreditTests(app), IClassFixture<PostgresApp>;
