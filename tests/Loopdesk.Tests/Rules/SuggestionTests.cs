using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Rules;

public abstract class SuggestionTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_suggestion_is_recorded_moved_on_and_its_outcome_told_to_the_customer_once()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Idea for the app", Ct, name: "Noor Haddad");
        var idea = await (await agent.PostJsonAsync("/api/v1/suggestions", new { ticketRef = ticket.Reference, text = "A dark mode, please." }, Ct)).ReadAsync<SuggestionDto>(Ct);
        Assert.Equal(SuggestionStatus.Received, idea.Status);
        Assert.Equal(ticket.CustomerId, idea.CustomerId);

        var planned = await (await agent.PatchJsonAsync($"/api/v1/suggestions/{idea.Id}", new { status = "planned" }, Ct)).ReadAsync<SuggestionDto>(Ct);
        Assert.Null(planned.ToldAt);
        var missing = await agent.PatchJsonAsync($"/api/v1/suggestions/{idea.Id}", new { status = "done" }, Ct);
        Assert.Equal("suggestion.outcome_required", (await missing.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());

        var done = await (await agent.PatchJsonAsync($"/api/v1/suggestions/{idea.Id}", new { status = "done", outcome = "Dark mode shipped in version 4.2." }, Ct))
            .ReadAsync<SuggestionDto>(Ct);
        Assert.NotNull(done.ToldAt);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        var told = Assert.Single(messages, m => m.Body.Contains("A dark mode, please.", StringComparison.Ordinal));
        Assert.StartsWith("Hello Noor,", told.Body, StringComparison.Ordinal);
        Assert.Contains("Dark mode shipped in version 4.2.", told.Body, StringComparison.Ordinal);

        var again = await agent.PatchJsonAsync($"/api/v1/suggestions/{idea.Id}", new { status = "declined", outcome = "Changed our mind." }, Ct);
        Assert.Equal("suggestion.closed", (await again.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        await (await agent.PatchJsonAsync($"/api/v1/suggestions/{idea.Id}", new { status = "planned" }, Ct, ifMatch: "\"v1\"")).ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
        Assert.Contains(await agent.GetJsonAsync<List<SuggestionDto>>("/api/v1/suggestions?status=done", Ct), s => s.Id == idea.Id);
    }

    [Fact]
    public async Task A_suggestion_for_an_unknown_ticket_or_without_words_is_refused()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        await (await agent.PostJsonAsync("/api/v1/suggestions", new { ticketRef = "ZZZZ-ZZZZ", text = "Anything" }, Ct)).ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        var ticket = await agent.CreateTicketAsync("Blank idea", Ct);
        await (await agent.PostJsonAsync("/api/v1/suggestions", new { ticketRef = ticket.Reference, text = "   " }, Ct)).ProblemAsync(HttpStatusCode.BadRequest, Ct);
        await (await agent.GetAsync("/api/v1/suggestions?status=maybe", Ct)).ProblemAsync(HttpStatusCode.BadRequest, Ct);
    }
}

public sealed class SuggestionsOnSqlite(SqliteApp app) : SuggestionTests(app), IClassFixture<SqliteApp>;

public sealed class SuggestionsOnPostgres(PostgresApp app) : SuggestionTests(app), IClassFixture<PostgresApp>;
