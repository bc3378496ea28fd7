using AngleSharp.Dom;
using Bunit;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Loopdesk.Web.Supervisor;

namespace Loopdesk.Tests.Web;

/// <summary>The supervisor board's figures on real data, its refresh on the clock, and reassigning from it.</summary>
public abstract class SupervisorBoardTests(LoopdeskApp app) : ComponentTests(app, AgentRole.Supervisor)
{
    private async Task<TeamDto> TeamAsync(string purpose)
    {
        using var admin = App.CreateClient(AgentRole.Admin);
        var created = await admin.PostJsonAsync("/api/v1/teams", new { name = $"{purpose} {Guid.NewGuid().ToString("N")[..6]}" }, Ct);
        return await created.ReadAsync<TeamDto>(Ct);
    }

    private async Task<AgentDto> AgentAsync(string name, Guid teamId, int capacity)
    {
        using var admin = App.CreateClient(AgentRole.Admin);
        var created = await admin.PostJsonAsync("/api/v1/agents", new { name, email = $"{Guid.NewGuid():N}@loopdesk.test", role = "agent" }, Ct);
        var agent = await created.ReadAsync<AgentDto>(Ct);
        var changed = await admin.PatchJsonAsync($"/api/v1/agents/{agent.Id}", new { teamIds = new[] { teamId }, ticketCapacity = capacity, presence = "away" }, Ct);
        return await changed.ReadAsync<AgentDto>(Ct);
    }

    private static async Task<TicketDto> TicketAsync(HttpClient client, string subject, Guid teamId)
    {
        var created = await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject, body = $"About {subject}.", channel = "chat", teamId,
            customer = new { name = "Board Customer", email = $"c{Guid.NewGuid():N}@example.com" },
        }, Ct);
        return await created.ReadAsync<TicketDto>(Ct);
    }

    private static async Task<TicketDto> ChangeAsync(HttpClient client, string reference, object change)
        => await (await client.PatchJsonAsync($"/api/v1/tickets/{reference}", change, Ct)).ReadAsync<TicketDto>(Ct);

    private static string Figure(IRenderedComponent<SupervisorBoard> board, string team, string figure)
        => board.Find($"tr[data-queue=\"{team}\"] [data-figure={figure}]").TextContent.Trim();

    private static IElement Card(IRenderedComponent<SupervisorBoard> board, string name) => board.Find($"li[data-agent=\"{name}\"]");

    [Fact]
    public async Task A_queue_counts_its_teams_tickets_by_state_and_tells_how_long_the_oldest_unanswered_one_waits()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var team = await TeamAsync("Returns");
        await TicketAsync(client, "Label missing", team.Id);
        App.Clock.Advance(TimeSpan.FromHours(2));
        var answered = await TicketAsync(client, "Refund status", team.Id);
        (await client.PostJsonAsync($"/api/v1/tickets/{answered.Reference}/messages", new { body = "Thank you, I am looking into your refund now.", direction = "outbound" }, Ct)).EnsureSuccessStatusCode();
        await ChangeAsync(client, answered.Reference, new { assigneeId = App.AgentId(AgentRole.Agent) });
        var waiting = await TicketAsync(client, "Exchange size", team.Id);
        await ChangeAsync(client, waiting.Reference, new { status = "pending" });

        var board = Render<SupervisorBoard>();

        await board.WaitForElementAsync($"tr[data-queue=\"{team.Name}\"]", Patience);
        Assert.Equal("1", Figure(board, team.Name, "new"));
        Assert.Equal("1", Figure(board, team.Name, "open"));
        Assert.Equal("1", Figure(board, team.Name, "unassigned"));
        Assert.Equal("1", Figure(board, team.Name, "pending"));
        Assert.Equal("2 h ago", Figure(board, team.Name, "oldest"));
        Assert.Contains(board.FindAll(".board-unassigned tr[data-ticket]"), r => r.TextContent.Contains("Label missing", StringComparison.Ordinal));
        var queues = board.FindAll("tr[data-queue]");
        Assert.Equal("No team", queues[^1].GetAttribute("data-queue"));
    }

    [Fact]
    public async Task An_agent_card_shows_presence_teams_and_working_tickets_against_capacity()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var team = await TeamAsync("Billing");
        var agent = await AgentAsync("Rhea Load", team.Id, capacity: 4);
        foreach (var subject in new[] { "Invoice one", "Invoice two", "Invoice three" })
        {
            var ticket = await TicketAsync(client, subject, team.Id);
            await ChangeAsync(client, ticket.Reference, new { assigneeId = agent.Id });
            // a solved ticket is no longer work
            if (subject == "Invoice three") await ChangeAsync(client, ticket.Reference, new { status = "solved" });
        }

        var board = Render<SupervisorBoard>();
        await board.WaitForElementAsync("li[data-agent=\"Rhea Load\"]", Patience);
        var card = Card(board, "Rhea Load");
        Assert.Contains("Away", card.QuerySelector(".presence")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(team.Name, card.QuerySelector(".agent-teams")!.TextContent.Trim());
        Assert.Equal("2 of 4 tickets", card.QuerySelector("[data-figure=load]")!.TextContent.Trim());
        Assert.Equal("width: 50%", card.QuerySelector(".load-bar span")!.GetAttribute("style"));
        Assert.DoesNotContain(board.FindAll("li[data-agent]"), c => c.GetAttribute("data-agent") == "Test collaborator");

        using var admin = App.CreateClient(AgentRole.Admin);
        (await admin.PatchJsonAsync($"/api/v1/agents/{agent.Id}", new { ticketCapacity = 1 }, Ct)).EnsureSuccessStatusCode();
        var again = Render<SupervisorBoard>();
        await again.WaitForElementAsync("li[data-agent=\"Rhea Load\"]", Patience);
        Assert.Equal("2 of 1 tickets, over capacity", Card(again, "Rhea Load").QuerySelector("[data-figure=load]")!.TextContent.Trim());
        Assert.Contains("over", Card(again, "Rhea Load").QuerySelector(".load-bar")!.ClassList);
    }

    [Fact]
    public async Task A_breaching_tickets_time_left_is_business_time_in_its_policys_hours()
    {
        using var admin = App.CreateClient(AgentRole.Admin);
        var hours = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" }
            .SelectMany(day => new[] { new { day, start = "09:00", end = "12:00" }, new { day, start = "13:00", end = "17:00" } }).ToArray();
        var calendar = await (await admin.PostJsonAsync("/api/v1/calendars", new { name = $"Lunch break {Guid.NewGuid():N}", timeZoneId = "UTC", hours }, Ct))
            .ReadAsync<Loopdesk.Service.CalendarDto>(Ct);
        (await admin.PostJsonAsync("/api/v1/sla-policies", new
        {
            name = $"Problems {Guid.NewGuid():N}", types = new[] { "problem" }, calendarId = calendar.Id, firstReplySeconds = 3600, position = 0,
        }, Ct)).EnsureSuccessStatusCode();
        // the next working day at 11:30: an hour of business time runs until 13:30, over the lunch break
        var now = App.Clock.GetUtcNow();
        var at = new DateTimeOffset(now.UtcDateTime.Date.AddHours(11.5), TimeSpan.Zero);
        while (at <= now || at.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) at = at.AddDays(1);
        App.Clock.Advance(at - now);
        using var client = App.CreateClient(AgentRole.Agent);
        var created = await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Invoice totals are wrong", body = "The totals do not add up.", type = "problem",
            customer = new { name = "Board Customer", email = $"c{Guid.NewGuid():N}@example.com" },
        }, Ct);
        var ticket = await created.ReadAsync<TicketDto>(Ct);
        App.Clock.Advance(TimeSpan.FromMinutes(10));

        var board = Render<SupervisorBoard>();

        // due at 13:30: an hour and fifty minutes away on the clock, fifty minutes of the team's working time
        await board.WaitForElementAsync($".board-breaching tr[data-ticket=\"{ticket.Reference}\"]", Patience);
        var left = board.Find($".board-breaching tr[data-ticket=\"{ticket.Reference}\"] td.left");
        Assert.Equal("50 min left first reply", string.Join(' ', left.TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        Assert.Contains("13:30", left.GetAttribute("title"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_board_reads_everything_again_every_ten_seconds()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var team = await TeamAsync("Live");
        await TicketAsync(client, "First in the queue", team.Id);
        var board = Render<SupervisorBoard>();
        await board.WaitForElementAsync($"tr[data-queue=\"{team.Name}\"]", Patience);
        Assert.Equal("1", Figure(board, team.Name, "new"));

        await TicketAsync(client, "Second in the queue", team.Id);
        Assert.Equal("1", Figure(board, team.Name, "new"));
        App.Clock.Advance(SupervisorBoard.RefreshEvery);

        await board.WaitForAssertionAsync(() => Assert.Equal("2", Figure(board, team.Name, "new")), Patience);
    }

    [Fact]
    public async Task Reassigning_a_ticket_changed_since_the_board_showed_it_is_refused_and_then_works_on_the_fresh_row()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var team = await TeamAsync("Stale");
        var ticket = await TicketAsync(client, "Changed meanwhile", team.Id);
        var board = Render<SupervisorBoard>();
        var select = $"#owner-unassigned-{ticket.Reference}";
        await board.WaitForElementAsync(select, Patience);

        await ChangeAsync(client, ticket.Reference, new { priority = "high" });
        await board.Find(select).ChangeAsync(App.AgentId(AgentRole.Agent).ToString());
        await ReassignButton(board, ticket.Reference).ClickAsync(new());

        await board.WaitForAssertionAsync(() => Assert.StartsWith(
            $"Someone else changed {ticket.Reference} since the board showed it, so it was not reassigned.", board.Find("[role=alert]").TextContent.Trim(),
            StringComparison.Ordinal), Patience);
        var unchanged = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Null(unchanged.AssigneeId);
        Assert.Equal(Core.Tickets.TicketPriority.High, unchanged.Priority);

        // the board now shows the ticket as it is, and the same choice goes through
        await ReassignButton(board, ticket.Reference).ClickAsync(new());
        await board.WaitForAssertionAsync(
            () => Assert.Equal($"{ticket.Reference} now belongs to Test agent.", board.Find("[role=status].form-ok").TextContent.Trim()), Patience);
        Assert.Empty(board.FindAll("p.form-error"));
        Assert.Equal(App.AgentId(AgentRole.Agent), (await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).AssigneeId);
    }

    private static IElement ReassignButton(IRenderedComponent<SupervisorBoard> board, string reference)
        => board.Find($"tr[data-ticket=\"{reference}\"]").QuerySelectorAll("button").Single(b => b.TextContent.Contains("Reassign", StringComparison.Ordinal));
}

public sealed class SupervisorBoardOnSqlite(SqliteApp app) : SupervisorBoardTests(app), IClassFixture<SqliteApp>;

public sealed class SupervisorBoardOnPostgres(PostgresApp app) : SupervisorBoardTests(app), IClassFixture<PostgresApp>;
