using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>A supervisor's live board, in a real browser against the real host.</summary>
public sealed class SupervisorTests(WorkspaceHost host)
{
    private const string Supervisor = "sam.carter@loopdesk.example";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A team of its own, so that the test's figures are its own on a server other tests write to.</summary>
    private async Task<(string Id, string Name)> TeamAsync(string purpose)
    {
        var name = $"{purpose} {Guid.NewGuid().ToString("N")[..6]}";
        var created = await host.Api.PostAsJsonAsync("/api/v1/teams", new { name }, Ct);
        created.EnsureSuccessStatusCode();
        return ((await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!, name);
    }

    private async Task<string> TicketAsync(string subject, string teamId)
    {
        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
        {
            subject, body = $"About {subject}.", channel = "chat", teamId,
            customer = new { name = "Board Customer", email = $"board.{Guid.NewGuid():N}@example.net" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reference").GetString()!;
    }

    private async Task<string?> AssigneeAsync(string reference)
        => (await host.GetAsync<JsonElement>($"/api/v1/tickets/{reference}")).GetProperty("assigneeId").GetString();

    private async Task<string> AgentIdAsync(string name)
        => (await host.GetAsync<JsonElement>("/api/v1/agents")).EnumerateArray().First(a => a.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

    private async Task<IPage> BoardAsync()
    {
        var page = await host.SignedInPageAsync(Supervisor, WorkspaceHost.DemoPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Supervisor board" }).ClickAsync();
        await page.WaitForURLAsync("**/supervisor");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Supervisor board");
        return page;
    }

    private static ILocator Queue(IPage page, string team) => page.Locator($"tr[data-queue=\"{team}\"]");

    private static ILocator Figure(ILocator row, string name) => row.Locator($"[data-figure={name}]");

    [Fact]
    public async Task The_board_shows_a_new_ticket_in_its_teams_queue_as_unassigned_and_follows_a_change_made_elsewhere_without_a_reload()
    {
        var (teamId, team) = await TeamAsync("Returns");
        var reference = await TicketAsync("Return label missing", teamId);
        var page = await BoardAsync();

        var queue = Queue(page, team);
        await Assertions.Expect(Figure(queue, "new")).ToHaveTextAsync("1");
        await Assertions.Expect(Figure(queue, "unassigned")).ToHaveTextAsync("1");
        await Assertions.Expect(Figure(queue, "oldest")).ToHaveTextAsync("just now");
        await Assertions.Expect(page.Locator(".board-unassigned").Locator($"tr[data-ticket=\"{reference}\"]")).ToContainTextAsync("Return label missing");
        await host.ScreenshotAsync(page, "supervisor");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));

        // someone else takes the ticket through the API; the open board follows within its 10-second refresh
        var tom = await AgentIdAsync("Tom Becker");
        var changed = await host.Api.PatchAsJsonAsync($"/api/v1/tickets/{reference}", new { assigneeId = tom }, Ct);
        changed.EnsureSuccessStatusCode();
        await TicketAsync("Second return label missing", teamId);
        await Assertions.Expect(Figure(queue, "new")).ToHaveTextAsync("2", new() { Timeout = 15_000 });
        await Assertions.Expect(Figure(queue, "unassigned")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator($".board-unassigned tr[data-ticket=\"{reference}\"]")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_supervisor_reassigns_a_ticket_with_the_select_and_the_button_using_only_the_keyboard()
    {
        var (teamId, _) = await TeamAsync("Keyboard");
        var reference = await TicketAsync("Warranty question by keyboard", teamId);
        var page = await BoardAsync();
        var row = page.Locator($".board-unassigned tr[data-ticket=\"{reference}\"]");
        await Assertions.Expect(row).ToBeVisibleAsync();

        var select = page.GetByLabel($"New owner of {reference}").Last;
        await select.FocusAsync();
        await select.SelectOptionAsync(new SelectOptionValue { Label = "Tom Becker" });
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Reassign {reference}" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");

        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = reference })).ToHaveTextAsync($"{reference} now belongs to Tom Becker.");
        Assert.Equal(await AgentIdAsync("Tom Becker"), await AssigneeAsync(reference));
        await Assertions.Expect(row).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_supervisor_drags_a_ticket_onto_a_person_and_it_becomes_theirs()
    {
        var (teamId, _) = await TeamAsync("Dragging");
        var reference = await TicketAsync("Warranty question by drag", teamId);
        var page = await BoardAsync();
        var row = page.Locator($".board-unassigned tr[data-ticket=\"{reference}\"]");
        await Assertions.Expect(row).ToBeVisibleAsync();

        // the people stay in view beside the lists, so the drag needs no scrolling on the way
        await row.Locator(".subject").DragToAsync(page.Locator(".agent-card[data-agent=\"Lucia Romero\"]"));

        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = reference })).ToHaveTextAsync($"{reference} now belongs to Lucia Romero.");
        Assert.Equal(await AgentIdAsync("Lucia Romero"), await AssigneeAsync(reference));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_agent_is_told_the_board_is_not_for_their_role_and_is_not_offered_it()
    {
        var page = await host.SignedInPageAsync("priya.shah@loopdesk.example", WorkspaceHost.DemoPassword);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Supervisor board" })).ToHaveCountAsync(0);
        await page.GotoAsync("/supervisor");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This page is not for your role");
        await Assertions.Expect(page.Locator(".board")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
