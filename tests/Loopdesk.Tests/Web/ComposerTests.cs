using System.Text.Json;
using AngleSharp.Dom;
using Bunit;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Loopdesk.Web.Workspace;

namespace Loopdesk.Tests.Web;

/// <summary>The composer on a real ticket: the lexicon as the agent types, the override, templates filled in.</summary>
public abstract class ComposerTests(LoopdeskApp app) : ComponentTests(app)
{
    private const string Hurtful = "Please calm down, the parcel will come.";

    private async Task<JsonElement> TemplateAsync(string name, string body)
    {
        using var admin = App.CreateClient(AgentRole.Admin);
        var created = await admin.PostJsonAsync("/api/v1/templates", new { key = "t-" + Guid.NewGuid().ToString("N")[..8], language = "en", name, body }, Ct);
        return await created.ReadAsync<JsonElement>(Ct);
    }

    private async Task<(IRenderedComponent<Composer> Composer, TicketDto Ticket)> ComposerAsync(string subject, string? name = null)
    {
        await TemplateAsync("Thanks for waiting", "Thank you for waiting, {{ customer.first_name }}.");
        using var client = App.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync(subject, Ct, name: name);
        var data = await ReadAsync(db => TicketPageData.LoadAsync(db, ticket.Reference, User, Ct));
        var composer = Render<Composer>(p => p.Add(c => c.Data, data!));
        // the template picker shows once the templates are loaded: typing before that render would reach the old handlers
        await composer.WaitForElementAsync("#composer-template", Patience);
        return (composer, ticket);
    }

    private async Task<List<MessageDto>> AgentMessagesAsync(string reference)
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var messages = await client.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        return [.. messages.Where(m => m.AuthorKind == ActorKind.Agent)];
    }

    private static IElement Button(IRenderedComponent<Composer> composer, string text)
        => composer.FindAll("button").Single(b => b.TextContent.Trim() == text);

    [Fact]
    public async Task Findings_show_why_and_better_words_for_a_reply_and_never_for_a_note()
    {
        var (composer, _) = await ComposerAsync("Parcel late");

        await composer.Find("#composer-body").InputAsync(Hurtful);
        await composer.WaitForAssertionAsync(() =>
        {
            var finding = composer.Find(".findings li");
            Assert.Contains("calm down", finding.QuerySelector("mark")!.TextContent, StringComparison.Ordinal);
            Assert.Contains("feelings do not count", finding.TextContent, StringComparison.Ordinal);
            Assert.Contains("I can hear how frustrating this has been", finding.QuerySelector(".suggestion")!.TextContent, StringComparison.Ordinal);
        }, Patience);

        await composer.Find("#compose-note").ClickAsync(new());
        Assert.Empty(composer.FindAll(".findings"));
        await composer.Find("#composer-body").InputAsync("Courier says: " + Hurtful);
        // past the pause after typing, when a reply would have been checked
        await Task.Delay(TimeSpan.FromMilliseconds(750), Ct);
        Assert.Empty(composer.FindAll(".findings"));
        Assert.Equal("Add note", Button(composer, "Add note").TextContent.Trim());
    }

    [Fact]
    public async Task Sending_a_reply_with_findings_needs_the_override_and_the_override_is_recorded_with_the_message()
    {
        var (composer, ticket) = await ComposerAsync("Router drops again");
        await composer.Find("#composer-body").InputAsync(Hurtful);
        await composer.WaitForElementAsync(".findings", Patience);

        await Button(composer, "Send reply").ClickAsync(new());
        await composer.WaitForAssertionAsync(
            () => Assert.Contains("send it as written anyway", composer.Find("[role=alert]").TextContent, StringComparison.Ordinal), Patience);
        Assert.Empty(await AgentMessagesAsync(ticket.Reference));
        Assert.Equal(Hurtful, composer.Find("#composer-body").GetAttribute("value"));

        await composer.Find(".override input[type=checkbox]").ChangeAsync(true);
        await Button(composer, "Send reply").ClickAsync(new());
        await composer.WaitForAssertionAsync(() => Assert.Equal("", composer.Find("#composer-body").GetAttribute("value") ?? ""), Patience);
        var reply = Assert.Single(await AgentMessagesAsync(ticket.Reference));
        Assert.Equal(MessageDirection.Outbound, reply.Direction);
        Assert.False(reply.Internal);
        Assert.Equal(Hurtful, reply.Body);
        Assert.Equal(1, reply.LexiconOverrides);
        Assert.Empty(composer.FindAll("[role=alert]"));
    }

    [Fact]
    public async Task A_template_is_inserted_filled_in_for_the_customer_and_the_ticket()
    {
        var template = await TemplateAsync("Sorry for the wait", "Hello {{ customer.first_name }}, I am sorry you had to wait for {{ ticket.reference }}.");
        var (composer, ticket) = await ComposerAsync("Parcel never arrived", name: "Ana Lima");

        await composer.Find("#composer-template").ChangeAsync(template.GetProperty("id").GetString());

        await composer.WaitForAssertionAsync(() => Assert.Equal(
            $"Hello Ana, I am sorry you had to wait for {ticket.Reference}.", composer.Find("#composer-body").GetAttribute("value")), Patience);
        Assert.Empty(composer.FindAll("[role=alert]"));
    }
}

public sealed class ComposerOnSqlite(SqliteApp app) : ComposerTests(app), IClassFixture<SqliteApp>;

public sealed class ComposerOnPostgres(PostgresApp app) : ComposerTests(app), IClassFixture<PostgresApp>;
