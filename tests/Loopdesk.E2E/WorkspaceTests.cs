using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>An agent's day in the workspace, in a real browser against the real host.</summary>
public sealed class WorkspaceTests(WorkspaceHost host)
{
    private const string Agent = "priya.shah@loopdesk.example";
    private const string Colleague = "Tom Becker";

    /// <summary>A customer who calls in, with a ticket of their own (the seeded ones are random).</summary>
    private async Task<(string Reference, string Phone)> CallerWithTicketAsync(string name, string subject, string body)
    {
        var digits = Random.Shared.Next(1000, 9999);
        var phone = $"+44 20 7946 {digits}";
        var email = $"{name.ToLowerInvariant().Replace(' ', '.')}.{digits}@example.net";
        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
        {
            subject, body, channel = "email",
            customer = new { name, email, phone },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var ticket = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return (ticket.GetProperty("reference").GetString()!, phone);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<JsonElement> TicketAsync(string reference) => await host.GetAsync<JsonElement>($"/api/v1/tickets/{reference}");

    private async Task<JsonElement[]> MessagesAsync(string reference)
        => (await host.GetAsync<JsonElement>($"/api/v1/tickets/{reference}/messages")).EnumerateArray().ToArray();

    private async Task<string> AgentIdAsync(string name)
        => (await host.GetAsync<JsonElement>("/api/v1/agents")).EnumerateArray().First(a => a.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

    [Fact]
    public async Task A_wrong_password_is_refused_with_a_clear_message_and_the_right_one_opens_the_inbox()
    {
        var context = await host.Browser.NewContextAsync(new() { BaseURL = host.BaseUrl });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/inbox/unassigned");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await page.GetByLabel("Email").FillAsync(Agent);
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong email or password.");
        await host.ScreenshotAsync(page, "signin-refused");

        await page.GetByLabel("Email").FillAsync(Agent);
        await page.GetByLabel("Password").FillAsync(WorkspaceHost.DemoPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox/**");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));

        await page.GetByRole(AriaRole.Button, new() { Name = "Your account" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Sign out") }).ClickAsync();
        await page.WaitForURLAsync("**/signin");
        await page.GotoAsync("/inbox/mine");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await context.CloseAsync();
    }

    [Fact]
    public async Task Agent_finds_the_caller_by_phone_reads_the_timeline_replies_with_a_template_overrides_the_lexicon_notes_and_reassigns()
    {
        var template = await host.Api.PostAsJsonAsync("/api/v1/templates", new
        {
            key = "sorry-for-the-wait-" + Guid.NewGuid().ToString("N")[..6], language = "en", name = "Sorry for the wait",
            body = "Hello {{ customer.first_name }}, I am sorry you had to wait for us.",
        }, Ct);
        template.EnsureSuccessStatusCode();
        var (reference, phone) = await CallerWithTicketAsync("Ana Lima", "Parcel never arrived", "My parcel was due on Monday and it is still not here.");
        var page = await host.SignedInPageAsync(Agent, WorkspaceHost.DemoPassword);
        await page.GotoAsync("/inbox/team");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("tr[data-row]").First).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "inbox");

        // the phone call: she gives her number in another format than we stored it
        var spoken = "020 7946 " + phone[^4..];
        await page.Keyboard.PressAsync("/");
        await page.Keyboard.TypeAsync(spoken);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/search?q=*");
        var match = page.Locator(".results li", new() { HasText = "matched by phone" });
        await Assertions.Expect(match).ToContainTextAsync("Ana Lima");
        await host.ScreenshotAsync(page, "search-by-phone");
        await match.GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByRole(AriaRole.Table).GetByRole(AriaRole.Link, new() { Name = reference }).ClickAsync();

        // the timeline holds her words; the reference is large enough to read back to her
        await Assertions.Expect(page.Locator(".reference")).ToHaveTextAsync(reference);
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync("My parcel was due on Monday");
        await Assertions.Expect(page.Locator(".customer-panel")).ToContainTextAsync(phone.Replace(" ", "", StringComparison.Ordinal));

        // a template, filled in for her
        await page.GetByLabel("Insert a template").SelectOptionAsync(new SelectOptionValue { Label = "Sorry for the wait" });
        await Assertions.Expect(page.Locator("#composer-body")).ToHaveValueAsync("Hello Ana, I am sorry you had to wait for us.");

        // words that hurt are found as she types, with the reason and a better phrasing
        await page.Locator("#composer-body").PressSequentiallyAsync(" Please calm down, it will come.");
        var findings = page.Locator(".findings");
        await Assertions.Expect(findings).ToContainTextAsync("calm down");
        await Assertions.Expect(findings.Locator(".suggestion")).Not.ToBeEmptyAsync();
        await host.ScreenshotAsync(page, "composer-lexicon");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("send it as written anyway");
        Assert.DoesNotContain(await MessagesAsync(reference), m => m.GetProperty("authorKind").GetString() == "agent");

        await page.GetByLabel("Send it as written anyway").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        await Assertions.Expect(page.Locator(".entry-outbound").First).ToContainTextAsync("Please calm down");
        var reply = (await MessagesAsync(reference)).Single(m => m.GetProperty("authorKind").GetString() == "agent" && m.GetProperty("direction").GetString() == "outbound");
        Assert.Equal(1, reply.GetProperty("lexiconOverrides").GetInt32());

        // n for a note that only colleagues see
        await page.EvaluateAsync("() => document.activeElement?.blur()");
        await page.Keyboard.PressAsync("n");
        await Assertions.Expect(page.Locator("#compose-note")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Locator("#composer-body").FillAsync("Courier says the parcel is in the depot; call her back tomorrow.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(page.Locator(".entry-note")).ToContainTextAsync("Courier says");
        Assert.Contains(await MessagesAsync(reference), m => m.GetProperty("internal").GetBoolean());

        // hand it to a colleague
        await page.GetByLabel("Owner").SelectOptionAsync(new SelectOptionValue { Label = Colleague });
        await page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(page.Locator(".form-ok")).ToHaveTextAsync("Saved.");
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync($"Assigned to {Colleague}");
        Assert.Equal(await AgentIdAsync(Colleague), (await TicketAsync(reference)).GetProperty("assigneeId").GetString());
        await host.ScreenshotAsync(page, "ticket");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Two_agents_on_one_ticket_see_each_other_both_edits_apply_and_a_clash_on_one_field_is_refused_with_a_clear_message()
    {
        var (reference, _) = await CallerWithTicketAsync("Bo Jensen", "Invoice twice", "I was charged twice for March.");
        var first = await host.SignedInPageAsync(Agent, WorkspaceHost.DemoPassword);
        var second = await host.SignedInPageAsync("lucia.romero@loopdesk.example", WorkspaceHost.DemoPassword);
        foreach (var page in new[] { first, second })
        {
            await page.GotoAsync($"/tickets/{reference}");
            await WorkspaceHost.WaitForCircuitAsync(page);
            await Assertions.Expect(page.Locator(".reference")).ToHaveTextAsync(reference);
        }

        // each sees the other, and sees when the other starts a reply
        await Assertions.Expect(second.Locator(".presence")).ToContainTextAsync("Priya Shah is viewing this ticket");
        await Assertions.Expect(first.Locator(".presence")).ToContainTextAsync("Lucia Romero is viewing this ticket");
        await first.Locator("#composer-body").FillAsync("Hello Bo, I am looking at your invoice now.");
        await Assertions.Expect(second.Locator(".presence")).ToContainTextAsync("Priya Shah is replying");

        // different fields edited at once: both changes apply
        await second.GetByLabel("Status").SelectOptionAsync(new SelectOptionValue { Label = "Pending" });
        await first.GetByLabel("Priority").SelectOptionAsync(new SelectOptionValue { Label = "Urgent" });
        await first.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(first.Locator(".form-ok")).ToHaveTextAsync("Saved.");
        await Assertions.Expect(second.GetByLabel("Priority")).ToHaveValueAsync("Urgent");
        await Assertions.Expect(second.GetByLabel("Status")).ToHaveValueAsync("Pending");
        await second.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(second.Locator(".form-ok")).ToHaveTextAsync("Saved.");
        var both = await TicketAsync(reference);
        Assert.Equal(("pending", "urgent"), (both.GetProperty("status").GetString(), both.GetProperty("priority").GetString()));

        // the same field edited at once: the page says so at once, and the later save is refused instead of overwriting
        await second.GetByLabel("Priority").SelectOptionAsync(new SelectOptionValue { Label = "Low" });
        await first.GetByLabel("Priority").SelectOptionAsync(new SelectOptionValue { Label = "High" });
        await first.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(first.Locator(".form-ok")).ToHaveTextAsync("Saved.");
        await Assertions.Expect(second.Locator(".form-warning")).ToContainTextAsync("Someone else changed the priority of this ticket while you were editing");
        await second.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(second.GetByRole(AriaRole.Alert)).ToContainTextAsync("Someone else changed the priority of this ticket since you opened it, so nothing was saved");
        await host.ScreenshotAsync(second, "ticket-stale-save");

        Assert.Equal("high", (await TicketAsync(reference)).GetProperty("priority").GetString());
        // the refused page now shows the other agent's change
        await Assertions.Expect(second.GetByLabel("Priority")).ToHaveValueAsync("High");
        await first.Context.CloseAsync();
        await second.Context.CloseAsync();
    }

    [Fact]
    public async Task New_tickets_and_replies_appear_without_a_reload_and_after_a_dropped_connection()
    {
        var page = await host.SignedInPageAsync(Agent, WorkspaceHost.DemoPassword);
        // keeps the page's sockets at hand, so the test can cut the live connection the way a network drop does
        await page.Context.AddInitScriptAsync("""
            (() => {
              const Native = window.WebSocket;
              window.__sockets = [];
              window.WebSocket = class extends Native { constructor(...a) { super(...a); window.__sockets.push(this); } };
            })();
            """);
        await page.GotoAsync("/inbox/unassigned");
        await WorkspaceHost.WaitForCircuitAsync(page);
        var subject = "Live " + Guid.NewGuid().ToString("N")[..8];
        var (reference, _) = await CallerWithTicketAsync("Eva Novak", subject, "Is anyone there?");
        await Assertions.Expect(page.Locator("tr[data-row]", new() { HasText = subject })).ToBeVisibleAsync(new() { Timeout = 15_000 });

        await page.Locator("tr[data-row]", new() { HasText = subject }).GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(page.Locator(".reference")).ToHaveTextAsync(reference);
        var reply = await host.Api.PostAsJsonAsync($"/api/v1/tickets/{reference}/messages",
            new { body = "Hello? I am still waiting for an answer.", direction = "inbound" }, Ct);
        reply.EnsureSuccessStatusCode();
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync("I am still waiting", new() { Timeout = 15_000 });

        // the connection drops; a reply arrives meanwhile; once back, the page shows it without a refresh
        await page.Context.SetOfflineAsync(true);
        var sockets = await page.EvaluateAsync<int>("() => { window.__sockets.forEach(s => s.close()); return window.__sockets.length; }");
        var during = await host.Api.PostAsJsonAsync($"/api/v1/tickets/{reference}/messages",
            new { body = "Written while you were offline.", direction = "inbound" }, Ct);
        during.EnsureSuccessStatusCode();
        await Task.Delay(2000, Ct);
        Assert.DoesNotContain("Written while you were offline", await page.Locator(".timeline").InnerTextAsync());
        await page.Context.SetOfflineAsync(false);
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync("Written while you were offline", new() { Timeout = 30_000 });
        // it came over a new connection, not the one that was cut
        Assert.True(await page.EvaluateAsync<bool>($"() => window.__sockets.length > {sockets} && window.__sockets.at(-1).readyState === 1"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_page_passes_axe_without_serious_violations_in_light_dark_and_on_a_phone()
    {
        var (reference, phone) = await CallerWithTicketAsync("Chidi Okafor", "Cannot log in", "The app says my password is wrong.");
        var page = await host.SignedInPageAsync(Agent, WorkspaceHost.DemoPassword);
        var customer = (await host.GetAsync<JsonElement>("/api/v1/customers/lookup?q=" + Uri.EscapeDataString(phone)))[0].GetProperty("customer").GetProperty("id").GetString();
        var pages = new List<(string Path, string Name)>
        {
            ($"/tickets/{reference}", "ticket-page"),
            ("/search?q=" + Uri.EscapeDataString("Chidi"), "search"),
            ($"/customers/{customer}", "customer"),
        };
        foreach (var view in new[] { "mine", "unassigned", "team", "pending", "breaching", "awaiting", "follow-ups", "internal" })
            pages.Add(($"/inbox/{view}", $"inbox-{view}"));

        var failures = new List<string>();
        foreach (var (path, name) in pages)
        {
            await page.GotoAsync(path);
            await WorkspaceHost.WaitForCircuitAsync(page);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(page)).Select(v => $"{path}: {v}"));
            await host.ScreenshotAsync(page, name);
        }
        // the dark theme passes too
        await page.GotoAsync($"/tickets/{reference}");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use the dark theme" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Use the light theme" })).ToBeVisibleAsync();
        failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(page)).Select(v => $"dark ticket: {v}"));
        await host.ScreenshotAsync(page, "ticket-dark");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use the light theme" }).ClickAsync();

        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync($"/tickets/{reference}");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("#composer-body")).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "ticket-phone");
        failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(page)).Select(v => $"phone ticket: {v}"));

        var anonymous = await host.Browser.NewPageAsync(new() { BaseURL = host.BaseUrl });
        await anonymous.GotoAsync("/signin");
        await host.ScreenshotAsync(anonymous, "signin");
        failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(anonymous)).Select(v => $"/signin: {v}"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        await page.Context.CloseAsync();
        await anonymous.Context.CloseAsync();
    }
}
