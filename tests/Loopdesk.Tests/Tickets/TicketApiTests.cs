using System.Net;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Tickets;

public abstract class TicketApiTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Creating_a_ticket_answers_201_with_reference_location_and_etag_and_finds_the_customer_again()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = $"anna{Guid.NewGuid():N}@Example.com";
        var response = await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Router drops every night",
            body = "Since Monday the line drops at 8pm.",
            channel = "email",
            customer = new { name = "Anna Keller", email, phone = "+49 30 1234567" },
            priority = "high",
            type = "problem",
            tags = new[] { "Network", "network", "router" },
        }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = await response.ReadAsync<TicketDto>(Ct);
        Assert.Matches("^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$", ticket.Reference);
        Assert.Equal(TicketStatus.New, ticket.Status);
        Assert.Equal(TicketPriority.High, ticket.Priority);
        Assert.Equal(["network", "router"], ticket.Tags);
        Assert.Equal($"/api/v1/tickets/{ticket.Reference}", response.Headers.Location?.ToString());
        Assert.Equal($"\"v{ticket.Version}\"", response.Headers.ETag?.ToString());

        var second = await client.CreateTicketAsync("Another question", Ct, email: email.ToUpperInvariant());
        Assert.Equal(ticket.CustomerId, second.CustomerId);
        var customer = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{ticket.CustomerId}", Ct);
        Assert.Equal(email.ToLowerInvariant(), customer.Email);
        Assert.Equal("+49301234567", customer.Phone);
    }

    [Fact]
    public async Task Simultaneous_first_contacts_from_one_new_customer_make_one_customer_and_every_ticket()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = $"burst{Guid.NewGuid():N}@example.com";

        var tickets = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => client.CreateTicketAsync($"Burst {i}", Ct, email: email)));

        Assert.Single(tickets.Select(t => t.CustomerId).Distinct());
        Assert.Equal(12, tickets.Select(t => t.Reference).Distinct().Count());
        var listed = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?customerId={tickets[0].CustomerId}&limit=100", Ct);
        Assert.Equal(12, listed.Items.Count);
    }

    [Fact]
    public async Task A_ticket_is_read_by_reference_in_any_case_with_its_etag()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var created = await client.CreateTicketAsync("Invoice missing", Ct);

        var response = await client.GetAsync($"/api/v1/tickets/{created.Reference.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal)}", Ct);
        var ticket = await response.ReadAsync<TicketDto>(Ct);

        Assert.Equal(created.Id, ticket.Id);
        Assert.Equal($"\"v{ticket.Version}\"", response.Headers.ETag?.ToString());
    }

    [Fact]
    public async Task Stale_if_match_is_412_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var created = await client.CreateTicketAsync("Router drops", Ct);

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{created.Reference}", new { priority = "high" }, Ct, ifMatch: "\"v999\"");

        var problem = await response.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
        Assert.Equal("If-Match", problem.Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{created.Reference}", Ct);
        Assert.Equal(TicketPriority.Normal, after.Priority);
        Assert.Equal(created.Version, after.Version);
    }

    [Fact]
    public async Task A_current_if_match_applies_the_change_records_events_and_bumps_the_etag()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var created = await client.CreateTicketAsync("Router drops", Ct);

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{created.Reference}",
            new { priority = "urgent", status = "pending", tags = new[] { "vip" }, customFields = new Dictionary<string, string> { ["plan"] = "pro" } },
            Ct, ifMatch: $"\"v{created.Version}\"");

        var updated = await response.ReadAsync<TicketDto>(Ct);
        Assert.Equal(TicketPriority.Urgent, updated.Priority);
        Assert.Equal(TicketStatus.Pending, updated.Status);
        Assert.Equal("pro", updated.CustomFields["plan"]);
        Assert.Equal($"\"v{updated.Version}\"", response.Headers.ETag?.ToString());
        Assert.True(updated.Version > created.Version);

        var events = await client.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{created.Reference}/events", Ct);
        Assert.Equal("ticket.created", events[0].Type);
        var status = Assert.Single(events, e => e.Type == "ticket.status_changed");
        Assert.Equal("new", status.Data.GetProperty("from").GetString());
        Assert.Equal("pending", status.Data.GetProperty("to").GetString());
        Assert.Equal(app.AgentId(AgentRole.Agent), status.ActorId);
        Assert.Contains(events, e => e.Type == "ticket.priority_changed");
        Assert.Contains(events, e => e.Type == "ticket.tags_changed");
        Assert.Contains(events, e => e.Type == "ticket.custom_fields_changed");
    }

    [Fact]
    public async Task Closed_to_pending_is_422_and_leaves_the_ticket_closed()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var created = await client.CreateTicketAsync("Done deal", Ct);
        (await client.PatchJsonAsync($"/api/v1/tickets/{created.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        (await client.PatchJsonAsync($"/api/v1/tickets/{created.Reference}", new { status = "closed" }, Ct)).EnsureSuccessStatusCode();
        var closed = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{created.Reference}", Ct);

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{created.Reference}", new { status = "pending", priority = "high" }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("ticket.invalid_transition", problem.GetProperty("code").GetString());
        Assert.Equal("status", problem.Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{created.Reference}", Ct);
        Assert.Equal(TicketStatus.Closed, after.Status);
        Assert.Equal(TicketPriority.Normal, after.Priority);
        Assert.Equal(closed.Version, after.Version);
    }

    [Fact]
    public async Task An_agent_reply_opens_a_new_ticket_and_an_inbound_reply_reopens_a_pending_one()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var created = await client.CreateTicketAsync("Order stuck", Ct);

        var reply = await client.PostJsonAsync($"/api/v1/tickets/{created.Reference}/messages", new { body = "Sorry for the wait; I am on it." }, Ct);
        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);
        var afterReply = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{created.Reference}", Ct);
        Assert.Equal(TicketStatus.Open, afterReply.Status);
        Assert.NotNull(afterReply.FirstRepliedAt);

        (await client.PatchJsonAsync($"/api/v1/tickets/{created.Reference}", new { status = "pending" }, Ct)).EnsureSuccessStatusCode();
        (await client.PostJsonAsync($"/api/v1/tickets/{created.Reference}/messages", new { body = "Here is the order number: 123", direction = "inbound" }, Ct)).EnsureSuccessStatusCode();
        var afterCustomer = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{created.Reference}", Ct);
        Assert.Equal(TicketStatus.Open, afterCustomer.Status);

        var messages = (await client.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{created.Reference}/messages", Ct)).ByPeople();
        Assert.Equal(3, messages.Count);
        Assert.Equal(Core.Common.ActorKind.Customer, messages[2].AuthorKind);
    }

    [Fact]
    public async Task A_new_messages_location_reads_it_again_and_only_on_its_own_ticket()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Where is my reply", Ct);
        var other = await client.CreateTicketAsync("Another matter", Ct);

        var response = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Here is your answer." }, Ct);
        var created = await response.ReadAsync<MessageDto>(Ct);
        var location = response.Headers.Location!.ToString();

        var again = await client.GetJsonAsync<MessageDto>(location, Ct);
        Assert.Equal((created.Id, "Here is your answer."), (again.Id, again.Body));
        await (await client.GetAsync($"/api/v1/tickets/{other.Reference}/messages/{created.Id}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await client.GetAsync($"/api/v1/tickets/{ticket.Reference}/messages/{Guid.NewGuid()}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
    }

    [Fact]
    public async Task Message_html_is_sanitized_before_it_is_stored()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var created = await client.CreateTicketAsync("Hostile html", Ct);

        var response = await client.PostJsonAsync($"/api/v1/tickets/{created.Reference}/messages", new
        {
            body = "See below",
            html = "<p onclick=\"steal()\">Hello<script>alert(1)</script><img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a></p>",
        }, Ct);

        var message = await response.ReadAsync<MessageDto>(Ct);
        Assert.Contains("Hello", message.Html);
        Assert.DoesNotContain("script", message.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onerror", message.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onclick", message.Html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", message.Html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Listing_filters_by_status_tag_and_customer_and_pages_with_a_cursor_newest_first()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = $"pager{Guid.NewGuid():N}@example.com";
        var made = new List<TicketDto>();
        for (var i = 0; i < 5; i++)
        {
            made.Add(await client.CreateTicketAsync($"Paging {i}", Ct, email: email));
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var customerId = made[0].CustomerId;
        (await client.PatchJsonAsync($"/api/v1/tickets/{made[1].Reference}", new { status = "on-hold", tags = new[] { "waiting-on-vendor" } }, Ct)).EnsureSuccessStatusCode();

        var first = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?customerId={customerId}&limit=2", Ct);
        Assert.Equal([made[4].Reference, made[3].Reference], first.Items.Select(t => t.Reference));
        Assert.NotNull(first.NextCursor);
        var second = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?customerId={customerId}&limit=2&cursor={first.NextCursor}", Ct);
        Assert.Equal([made[2].Reference, made[1].Reference], second.Items.Select(t => t.Reference));
        var third = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?customerId={customerId}&limit=2&cursor={second.NextCursor}", Ct);
        Assert.Equal([made[0].Reference], third.Items.Select(t => t.Reference));
        Assert.Null(third.NextCursor);

        var onHold = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?customerId={customerId}&status=on-hold", Ct);
        Assert.Equal([made[1].Reference], onHold.Items.Select(t => t.Reference));
        var tagged = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?tag=waiting-on-vendor", Ct);
        Assert.Equal([made[1].Reference], tagged.Items.Select(t => t.Reference));
    }

    [Fact]
    public async Task Team_and_assignee_filters_show_a_teams_inbox()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Billing {Guid.NewGuid():N}" }, Ct)).ReadAsync<Teams.TeamDto>(Ct);
        var inTeam = await admin.CreateTicketAsync("Refund please", Ct);
        await admin.CreateTicketAsync("Not billing", Ct);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{inTeam.Reference}", new { teamId = team.Id, assigneeId = app.AgentId(AgentRole.Agent), status = "open" }, Ct)).EnsureSuccessStatusCode();

        var inbox = await admin.GetJsonAsync<TicketPage>($"/api/v1/tickets?teamId={team.Id}&status=open", Ct);
        Assert.Equal([inTeam.Reference], inbox.Items.Select(t => t.Reference));
        var mine = await admin.GetJsonAsync<TicketPage>($"/api/v1/tickets?assigneeId={app.AgentId(AgentRole.Agent)}&teamId={team.Id}", Ct);
        Assert.Equal([inTeam.Reference], mine.Items.Select(t => t.Reference));

        var cleared = await (await admin.PatchJsonAsync($"/api/v1/tickets/{inTeam.Reference}", new { assigneeId = (Guid?)null }, Ct)).ReadAsync<TicketDto>(Ct);
        Assert.Null(cleared.AssigneeId);
        Assert.Equal(team.Id, cleared.TeamId);
    }

    [Fact]
    public async Task A_contact_logged_by_an_agent_shows_on_the_customers_timeline_with_the_messages()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Phone follow-up", Ct, body: "First email");
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var contact = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", summary = "Called about the delay" }, Ct);
        Assert.Equal(HttpStatusCode.Created, contact.StatusCode);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Thanks for the call", channel = "email" }, Ct);

        var timeline = await client.GetJsonAsync<TimelinePage>($"/api/v1/customers/{ticket.CustomerId}/timeline", Ct);

        Assert.Equal("message", timeline.Items[0].Kind);
        Assert.Equal("Thanks for the call", timeline.Items[0].Text);
        Assert.Equal("contact", timeline.Items[1].Kind);
        Assert.Equal(Core.Common.Channel.Phone, timeline.Items[1].Channel);
        Assert.Equal("Called about the delay", timeline.Items[1].Text);
        Assert.Contains(timeline.Items, e => e.Kind == "message" && e.Text == "First email");
        Assert.All(timeline.Items, e => Assert.Equal(ticket.Reference, e.TicketReference));
    }

    [Fact]
    public async Task Admins_may_import_history_with_occurred_at()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var then = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var response = await admin.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Imported",
            body = "From the old help desk",
            customer = new { email = $"old{Guid.NewGuid():N}@example.com" },
            occurredAt = then,
        }, Ct);

        var ticket = await response.ReadAsync<TicketDto>(Ct);
        Assert.Equal(then, ticket.CreatedAt);
        var events = await admin.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
        Assert.Equal(then, events.Single(e => e.Type == "ticket.created").OccurredAt);
        Assert.Equal(app.Clock.GetUtcNow(), events.Single(e => e.Type == "ticket.created").RecordedAt);
    }
}

public sealed class TicketApiOnSqlite(SqliteApp app) : TicketApiTests(app), IClassFixture<SqliteApp>;

public sealed class TicketApiOnPostgres(PostgresApp app) : TicketApiTests(app), IClassFixture<PostgresApp>;
