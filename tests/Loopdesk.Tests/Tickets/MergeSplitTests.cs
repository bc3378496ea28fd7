using System.Net;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Tickets;

/// <summary>Two tickets about one issue become one; one mail about two issues becomes two tickets.</summary>
public abstract class MergeSplitTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<MessageDto>> MessagesAsync(HttpClient client, string reference)
        => await client.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);

    private static async Task<List<TicketEventDto>> EventsAsync(HttpClient client, string reference)
        => await client.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{reference}/events", Ct);

    private static async Task<string> CodeAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("code").GetString()!;

    [Fact]
    public async Task Merging_moves_the_conversation_into_the_other_ticket_and_closes_the_duplicate()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = $"dup{Guid.NewGuid():N}@example.com";
        var original = await client.CreateTicketAsync("Router drops the line", Ct, email, body: "Since Monday the line drops every hour.");
        var duplicate = await client.CreateTicketAsync("Internet keeps failing", Ct, email, body: "Still failing, this is my second mail.");
        (await client.PostJsonAsync($"/api/v1/tickets/{duplicate.Reference}/contacts", new { channel = "phone", summary = "Called about the same line" }, Ct)).EnsureSuccessStatusCode();

        var response = await client.PostJsonAsync($"/api/v1/tickets/{duplicate.Reference}/merge", new { into = original.Reference.ToLowerInvariant() }, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(original.Reference, (await response.ReadAsync<TicketDto>(Ct)).Reference);

        var merged = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{duplicate.Reference}", Ct);
        Assert.Equal(Core.Tickets.TicketStatus.Closed, merged.Status);
        Assert.Empty(await MessagesAsync(client, duplicate.Reference));
        var combined = await MessagesAsync(client, original.Reference);
        Assert.Contains(combined, m => m.Body.Contains("second mail", StringComparison.Ordinal));
        Assert.Contains(combined, m => m.Body.Contains("every hour", StringComparison.Ordinal));
        var timeline = await client.GetJsonAsync<JsonElement>($"/api/v1/customers/{original.CustomerId}/timeline", Ct);
        Assert.Contains(timeline.GetProperty("items").EnumerateArray(), e => e.ToString().Contains("Called about the same line", StringComparison.Ordinal));

        var mergedEvent = (await EventsAsync(client, duplicate.Reference)).Single(e => e.Type == "ticket.merged");
        Assert.Equal(original.Reference, mergedEvent.Data.GetProperty("into").GetString());
        var inEvent = (await EventsAsync(client, original.Reference)).Single(e => e.Type == "ticket.merged_in");
        Assert.Equal(duplicate.Reference, inEvent.Data.GetProperty("from").GetString());
    }

    [Fact]
    public async Task Merging_a_solved_ticket_sends_no_satisfaction_survey_for_it()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = $"solved{Guid.NewGuid():N}@example.com";
        var original = await client.CreateTicketAsync("Invoice wrong", Ct, email);
        var duplicate = await client.CreateTicketAsync("Invoice still wrong", Ct, email);
        (await client.PatchJsonAsync($"/api/v1/tickets/{duplicate.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        await app.RunJobsAsync();
        var before = (await MessagesAsync(client, original.Reference)).Count + (await MessagesAsync(client, duplicate.Reference)).Count;

        (await client.PostJsonAsync($"/api/v1/tickets/{duplicate.Reference}/merge", new { into = original.Reference }, Ct)).EnsureSuccessStatusCode();
        await app.RunJobsAsync();

        var after = (await MessagesAsync(client, original.Reference)).Concat(await MessagesAsync(client, duplicate.Reference)).ToList();
        Assert.Equal(before, after.Count);
        Assert.DoesNotContain(after, m => m.Body.Contains("/survey/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Merging_is_refused_across_customers_into_itself_into_closed_or_unknown_tickets_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var mine = await client.CreateTicketAsync("Mine", Ct);
        var theirs = await client.CreateTicketAsync("Theirs", Ct);
        var mineBefore = (await MessagesAsync(client, mine.Reference)).Select(m => m.Id).ToList();

        var other = await client.PostJsonAsync($"/api/v1/tickets/{mine.Reference}/merge", new { into = theirs.Reference }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("ticket.merge_other_customer", await CodeAsync(other));
        var self = await client.PostJsonAsync($"/api/v1/tickets/{mine.Reference}/merge", new { into = mine.Reference }, Ct);
        Assert.Equal("ticket.merge_self", await CodeAsync(self));
        var unknown = await client.PostJsonAsync($"/api/v1/tickets/{mine.Reference}/merge", new { into = "ZZZZ-ZZZZ" }, Ct);
        Assert.Equal("ticket.unknown", await CodeAsync(unknown));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostJsonAsync("/api/v1/tickets/ZZZZ-ZZZZ/merge", new { into = mine.Reference }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostJsonAsync($"/api/v1/tickets/{mine.Reference}/merge", new { }, Ct)).StatusCode);

        var email = $"closed{Guid.NewGuid():N}@example.com";
        var open = await client.CreateTicketAsync("Open one", Ct, email);
        var done = await client.CreateTicketAsync("Done one", Ct, email);
        (await client.PatchJsonAsync($"/api/v1/tickets/{done.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        (await client.PatchJsonAsync($"/api/v1/tickets/{done.Reference}", new { status = "closed" }, Ct)).EnsureSuccessStatusCode();
        var openBefore = (await MessagesAsync(client, open.Reference)).Select(m => m.Id).ToList();
        var closed = await client.PostJsonAsync($"/api/v1/tickets/{open.Reference}/merge", new { into = done.Reference }, Ct);
        Assert.Equal("ticket.merge_closed", await CodeAsync(closed));

        Assert.Equal(Core.Tickets.TicketStatus.New, (await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{mine.Reference}", Ct)).Status);
        Assert.Equal(mineBefore, (await MessagesAsync(client, mine.Reference)).Select(m => m.Id));
        Assert.Equal(openBefore, (await MessagesAsync(client, open.Reference)).Select(m => m.Id));
        Assert.DoesNotContain(await EventsAsync(client, mine.Reference), e => e.Type == "ticket.merged");
    }

    [Fact]
    public async Task Splitting_opens_a_new_ticket_for_the_same_customer_from_one_message()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Delivery late", Ct, body: "My order is late.");
        var second = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages",
            new { body = "Also, my invoice shows the wrong address.", direction = "inbound" }, Ct);
        var message = await second.ReadAsync<MessageDto>(Ct);

        var response = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/split", new { messageId = message.Id, subject = "Wrong address on invoice" }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync<TicketDto>(Ct);
        Assert.Equal(ticket.CustomerId, created.CustomerId);
        Assert.Equal("Wrong address on invoice", created.Subject);
        Assert.Equal($"/api/v1/tickets/{created.Reference}", response.Headers.Location!.OriginalString);
        Assert.Contains(await MessagesAsync(client, created.Reference), m => m.Body == "Also, my invoice shows the wrong address.");
        // nothing is lost from the original
        Assert.Contains(await MessagesAsync(client, ticket.Reference), m => m.Id == message.Id);
        Assert.Equal(created.Reference, (await EventsAsync(client, ticket.Reference)).Single(e => e.Type == "ticket.split_out").Data.GetProperty("into").GetString());
        Assert.Equal(ticket.Reference, (await EventsAsync(client, created.Reference)).Single(e => e.Type == "ticket.split_from").Data.GetProperty("from").GetString());
    }

    [Fact]
    public async Task Splitting_is_refused_for_notes_and_for_messages_of_other_tickets()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Two things", Ct);
        var other = await client.CreateTicketAsync("Something else", Ct);
        var note = await (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Checked the logs.", @internal = true }, Ct)).ReadAsync<MessageDto>(Ct);
        var foreign = (await MessagesAsync(client, other.Reference))[0];

        var fromNote = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/split", new { messageId = note.Id }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, fromNote.StatusCode);
        Assert.Equal("message.internal", await CodeAsync(fromNote));
        var fromOther = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/split", new { messageId = foreign.Id }, Ct);
        Assert.Equal("message.unknown", await CodeAsync(fromOther));

        var tickets = await client.GetJsonAsync<JsonElement>($"/api/v1/tickets?customerId={ticket.CustomerId}", Ct);
        Assert.Single(tickets.GetProperty("items").EnumerateArray());
        Assert.DoesNotContain(await EventsAsync(client, ticket.Reference), e => e.Type == "ticket.split_out");
    }
}

public sealed class MergeSplitOnSqlite(SqliteApp app) : MergeSplitTests(app), IClassFixture<SqliteApp>;

public sealed class MergeSplitOnPostgres(PostgresApp app) : MergeSplitTests(app), IClassFixture<PostgresApp>;
