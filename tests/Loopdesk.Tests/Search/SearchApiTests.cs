using Loopdesk.Core.Agents;
using Loopdesk.Search;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Search;

public abstract class SearchApiTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Word() => "zq" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Search_finds_tickets_by_subject_and_by_message_words_and_customers_by_name()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var inSubject = Word();
        var inBody = Word();
        var inName = Word();
        var bySubject = await client.CreateTicketAsync($"Printer {inSubject} jammed", Ct);
        var byBody = await client.CreateTicketAsync("Something else", Ct, body: $"The {inBody} module fails");
        var byName = await client.CreateTicketAsync("Named", Ct, name: $"Olga {inName}");

        Assert.Equal([bySubject.Reference], (await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={inSubject}", Ct)).Tickets.Select(t => t.Reference));
        Assert.Equal([byBody.Reference], (await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={inBody.ToUpperInvariant()}", Ct)).Tickets.Select(t => t.Reference));
        Assert.Equal([byName.CustomerId], (await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={inName}", Ct)).Customers.Select(c => c.Id));
        Assert.Equal([byBody.Reference], (await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?q={inBody}", Ct)).Items.Select(t => t.Reference));
    }

    [Fact]
    public async Task Every_word_must_match_as_a_prefix()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var word = Word();
        var both = await client.CreateTicketAsync($"{word} router", Ct);
        await client.CreateTicketAsync($"{word} printer", Ct);

        var hits = await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={word[..8]}%20rout", Ct);
        Assert.Equal([both.Reference], hits.Tickets.Select(t => t.Reference));
    }

    [Fact]
    public async Task Later_messages_and_renamed_subjects_are_found_and_old_subjects_are_not()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = Word();
        var after = Word();
        var reply = Word();
        var ticket = await client.CreateTicketAsync($"Old {before}", Ct, body: "The first message");
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { subject = $"New {after}" }, Ct)).EnsureSuccessStatusCode();
        (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = $"Reply mentions {reply}", @internal = true }, Ct)).EnsureSuccessStatusCode();

        Assert.Empty((await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={before}", Ct)).Tickets);
        Assert.Single((await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={after}", Ct)).Tickets);
        Assert.Single((await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={reply}", Ct)).Tickets);
    }

    [Fact]
    public async Task A_ticket_reference_finds_its_ticket()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("By reference", Ct);
        var hits = await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={ticket.Reference}", Ct);
        Assert.Equal(ticket.Reference, hits.Tickets[0].Reference);
    }
}

public sealed class SearchApiOnSqlite(SqliteApp app) : SearchApiTests(app), IClassFixture<SqliteApp>;

public sealed class SearchApiOnPostgres(PostgresApp app) : SearchApiTests(app), IClassFixture<PostgresApp>;
