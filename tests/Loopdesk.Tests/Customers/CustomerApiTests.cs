using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Customers;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Customers;

public abstract class CustomerApiTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string local) => $"{local}{Guid.NewGuid():N}@example.com";

    [Fact]
    public async Task A_customer_is_created_with_several_emails_and_phones_and_an_email_of_someone_else_is_409()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = Unique("maria");
        var response = await client.PostJsonAsync("/api/v1/customers", new
        {
            name = "Maria Costa", preferredName = "Mia", emails = new[] { email, Unique("m.costa") }, phones = new[] { "+351 21 123 4567" },
            language = "pt", timeZone = "Europe/Lisbon", expertise = "expert", vip = true, lifetimeValue = 1200.50m,
        }, Ct);
        var customer = await response.ReadAsync<CustomerDto>(Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(3, customer.Identities.Count);
        Assert.Equal(Core.Customers.ExpertiseLevel.Expert, customer.Expertise);

        var clash = await client.PostJsonAsync("/api/v1/customers", new { name = "Someone Else", emails = new[] { email.ToUpperInvariant() } }, Ct);
        var problem = await clash.ProblemAsync(HttpStatusCode.Conflict, Ct);
        Assert.Equal("emails", problem.Field());

        var badZone = await client.PostJsonAsync("/api/v1/customers", new { name = "Zoned Out", timeZone = "Mars/Olympus" }, Ct);
        Assert.Equal("timeZone", (await badZone.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
    }

    [Fact]
    public async Task Lookup_finds_the_person_by_email_by_phone_in_any_format_by_ticket_reference_and_by_name()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = Unique("lookup");
        var surname = "Quixotic" + Guid.NewGuid().ToString("N")[..6];
        var ticket = await client.CreateTicketAsync("Lookup", Ct, email: email, name: $"Lena {surname}");
        (await client.PatchJsonAsync($"/api/v1/customers/{ticket.CustomerId}", new { addPhones = new[] { "+44 20 7946 0958" } }, Ct)).EnsureSuccessStatusCode();

        foreach (var (q, by) in new[]
        {
            (email.ToUpperInvariant(), "email"), ("020 7946 0958", "phone"), ("+44 (20) 7946-0958", "phone"), ("0044 20 79460958", "phone"),
            (ticket.Reference.ToLowerInvariant(), "reference"), (surname.ToLowerInvariant(), "name"), (surname[..5], "name"),
        })
        {
            var hits = await client.GetJsonAsync<List<CustomerMatch>>($"/api/v1/customers/lookup?q={Uri.EscapeDataString(q)}", Ct);
            var hit = Assert.Single(hits);
            Assert.Equal(ticket.CustomerId, hit.Customer.Id);
            Assert.Equal(by, hit.MatchedBy);
        }
        Assert.Empty(await client.GetJsonAsync<List<CustomerMatch>>("/api/v1/customers/lookup?q=nobody-at-all%40example.com", Ct));
    }

    [Fact]
    public async Task A_social_handle_belongs_to_one_customer_and_finds_them()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var handle = "mastodon:@Anna" + Guid.NewGuid().ToString("N")[..8];
        var customer = await (await client.PostJsonAsync("/api/v1/customers", new { name = "Anna Social", handles = new[] { handle } }, Ct)).ReadAsync<CustomerDto>(Ct);
        var expected = handle.Replace("@", "", StringComparison.Ordinal).ToLowerInvariant();
        Assert.Contains(customer.Identities, i => i.Kind == Core.Customers.IdentityKind.Handle && i.Value == expected);

        var hit = Assert.Single(await client.GetJsonAsync<List<CustomerMatch>>($"/api/v1/customers/lookup?q={Uri.EscapeDataString(handle.ToUpperInvariant())}", Ct));
        Assert.Equal(("handle", customer.Id), (hit.MatchedBy, hit.Customer.Id));

        var other = await (await client.PostJsonAsync("/api/v1/customers", new { name = "Someone" }, Ct)).ReadAsync<CustomerDto>(Ct);
        var clash = await client.PatchJsonAsync($"/api/v1/customers/{other.Id}", new { addHandles = new[] { handle } }, Ct);
        Assert.Equal("addHandles", (await clash.ProblemAsync(HttpStatusCode.Conflict, Ct)).Field());
        var malformed = await client.PatchJsonAsync($"/api/v1/customers/{other.Id}", new { addHandles = new[] { "no network here" } }, Ct);
        Assert.Equal("addHandles", (await malformed.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
    }

    [Fact]
    public async Task A_new_ticket_by_phone_finds_the_customer_known_by_email()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var first = await client.CreateTicketAsync("Email first", Ct, email: Unique("both"), phone: "+1 (555) 010-4444");
        var byPhone = await client.CreateTicketAsync("Phone later", Ct, phone: "555.010.4444", channel: "phone");
        Assert.Equal(first.CustomerId, byPhone.CustomerId);
    }

    [Fact]
    public async Task Merging_moves_identities_tickets_and_contacts_and_leaves_a_pointer()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var targetTicket = await client.CreateTicketAsync("Target", Ct, email: Unique("target"));
        var sourceEmail = Unique("source");
        var sourceTicket = await client.CreateTicketAsync("Source", Ct, email: sourceEmail);

        var response = await client.PostJsonAsync($"/api/v1/customers/{targetTicket.CustomerId}/merge", new { sourceId = sourceTicket.CustomerId }, Ct);
        var merged = await response.ReadAsync<CustomerDto>(Ct);

        Assert.Contains(merged.Identities, i => i.Value == sourceEmail);
        var source = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{sourceTicket.CustomerId}", Ct);
        Assert.Equal(targetTicket.CustomerId, source.MergedIntoId);
        Assert.Empty(source.Identities);
        var moved = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{sourceTicket.Reference}", Ct);
        Assert.Equal(targetTicket.CustomerId, moved.CustomerId);
        var events = await client.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{sourceTicket.Reference}/events", Ct);
        Assert.Contains(events, e => e.Type == "ticket.customer_changed");
        var timeline = await client.GetJsonAsync<TimelinePage>($"/api/v1/customers/{targetTicket.CustomerId}/timeline", Ct);
        Assert.Contains(timeline.Items, e => e.TicketReference == sourceTicket.Reference && e.Kind == "contact");
        Assert.Contains(timeline.Items, e => e.TicketReference == targetTicket.Reference && e.Kind == "message");

        var byOldEmail = await client.CreateTicketAsync("Again", Ct, email: sourceEmail);
        Assert.Equal(targetTicket.CustomerId, byOldEmail.CustomerId);
        var list = await client.GetJsonAsync<CustomerPage>("/api/v1/customers?limit=100", Ct);
        Assert.DoesNotContain(list.Items, c => c.Id == sourceTicket.CustomerId);
    }

    [Fact]
    public async Task Updating_a_customer_takes_if_match_and_a_stale_one_is_412()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Profile", Ct);
        var customer = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{ticket.CustomerId}", Ct);

        var updated = await (await client.PatchJsonAsync($"/api/v1/customers/{customer.Id}", new { name = "Renamed Person", vip = true, notes = (string?)null },
            Ct, ifMatch: $"\"v{customer.Version}\"")).ReadAsync<CustomerDto>(Ct);
        Assert.Equal("Renamed Person", updated.Name);
        Assert.True(updated.Vip);

        var stale = await client.PatchJsonAsync($"/api/v1/customers/{customer.Id}", new { name = "Lost Update" }, Ct, ifMatch: $"\"v{customer.Version}\"");
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
        Assert.Equal("Renamed Person", (await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{customer.Id}", Ct)).Name);
    }

    [Fact]
    public async Task Customers_are_listed_newest_first_with_a_cursor()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await client.CreateTicketAsync($"List {i}", Ct)).CustomerId);
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var first = await client.GetJsonAsync<CustomerPage>("/api/v1/customers?limit=2", Ct);
        Assert.Equal([ids[2], ids[1]], first.Items.Select(c => c.Id));
        var second = await client.GetJsonAsync<CustomerPage>($"/api/v1/customers?limit=2&cursor={first.NextCursor}", Ct);
        Assert.Equal(ids[0], second.Items[0].Id);
    }
}

public sealed class CustomerApiOnSqlite(SqliteApp app) : CustomerApiTests(app), IClassFixture<SqliteApp>;

public sealed class CustomerApiOnPostgres(PostgresApp app) : CustomerApiTests(app), IClassFixture<PostgresApp>;
