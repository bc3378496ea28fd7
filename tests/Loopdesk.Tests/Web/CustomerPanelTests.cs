using Bunit;
using Loopdesk.Core.Agents;
using Loopdesk.Customers;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Web.Workspace;

namespace Loopdesk.Tests.Web;

/// <summary>The customer panel beside a ticket: repeat contacts stand out, and the agent edits the profile in place.</summary>
public abstract class CustomerPanelTests(LoopdeskApp app) : ComponentTests(app)
{
    private IRenderedComponent<CustomerPanel> Panel(Guid customerId)
        => Render<CustomerPanel>(p => p.Add(c => c.CustomerId, customerId));

    private static async Task ContactAsync(HttpClient client, string reference, string channel)
        => (await client.PostJsonAsync($"/api/v1/tickets/{reference}/contacts", new { channel }, Ct)).EnsureSuccessStatusCode();

    [Fact]
    public async Task Three_contacts_within_the_window_stand_out_and_two_do_not()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Still no refund", Ct);
        await ContactAsync(client, ticket.Reference, "phone");

        var two = Panel(ticket.CustomerId);
        await two.WaitForElementAsync("#customer-title", Patience);
        Assert.DoesNotContain(two.FindAll(".standout"), s => s.TextContent.Contains("contacts in", StringComparison.Ordinal));
        Assert.Contains("email: 1", two.Find(".chips").TextContent, StringComparison.OrdinalIgnoreCase);

        await ContactAsync(client, ticket.Reference, "chat");
        var three = Panel(ticket.CustomerId);
        await three.WaitForAssertionAsync(() => Assert.Equal(
            "3 contacts in 7 days: ask what is still open before anything else.",
            three.FindAll(".standout").Single(s => s.TextContent.Contains("contacts in", StringComparison.Ordinal)).TextContent.Trim()), Patience);
    }

    [Fact]
    public async Task Editing_saves_the_preferred_name_and_the_notes_and_shows_them()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Change my plan", Ct, name: "Margaret Okafor");
        var panel = Panel(ticket.CustomerId);
        await panel.WaitForElementAsync("#customer-title", Patience);

        await panel.FindAll("button").Single(b => b.TextContent.Trim() == "Edit customer").ClickAsync(new());
        await panel.Find("#cp-preferred").ChangeAsync("Maggie");
        await panel.Find("#cp-notes").ChangeAsync("Prefers a call after 5 pm.");
        await panel.FindAll("button").Single(b => b.TextContent.Trim() == "Save customer").ClickAsync(new());

        await panel.WaitForAssertionAsync(() => Assert.Empty(panel.FindAll("#cp-preferred")), Patience);
        Assert.Contains("Maggie", panel.Find(".facts").TextContent, StringComparison.Ordinal);
        Assert.Equal("Prefers a call after 5 pm.", panel.Find("p.entry-text").TextContent.Trim());
        Assert.Empty(panel.FindAll("[role=alert]"));
        var saved = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{ticket.CustomerId}", Ct);
        Assert.Equal("Maggie", saved.PreferredName);
        Assert.Equal("Prefers a call after 5 pm.", saved.Notes);
        Assert.Equal("Margaret Okafor", saved.Name);
    }
}

public sealed class CustomerPanelOnSqlite(SqliteApp app) : CustomerPanelTests(app), IClassFixture<SqliteApp>;

public sealed class CustomerPanelOnPostgres(PostgresApp app) : CustomerPanelTests(app), IClassFixture<PostgresApp>;
