using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>An agent's own inboxes: filters saved under a name, with a live count.</summary>
public sealed class SavedViewTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_agent_saves_a_view_sees_its_tickets_and_count_follow_new_ones_then_renames_and_deletes_it()
    {
        var page = await host.SignedInPageAsync("mei.chen@loopdesk.example", WorkspaceHost.DemoPassword);
        var tag = "vw" + Guid.NewGuid().ToString("N")[..8];
        await page.GetByRole(AriaRole.Link, new() { Name = "New view…" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("A view of your own");

        // a name is required, and said so
        await page.GetByRole(AriaRole.Button, new() { Name = "Save view" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Give the view a name");

        await page.GetByLabel("Name").FillAsync("Urgent refunds");
        await page.GetByLabel("Priority").SelectOptionAsync(new SelectOptionValue { Label = "Urgent" });
        await page.GetByLabel("Tag").FillAsync(tag);
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await host.ScreenshotAsync(page, "view-editor");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save view" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox/view/*");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Urgent refunds");
        await Assertions.Expect(page.Locator(".empty")).ToBeVisibleAsync();
        var navLink = page.Locator("nav a", new() { HasText = "Urgent refunds" });
        await Assertions.Expect(navLink.Locator(".count")).ToHaveTextAsync("0");

        // an urgent ticket with the tag arrives; a normal one does not belong
        foreach (var (subject, priority) in new[] { ("Refund not received", "urgent"), ("Refund question", "normal") })
        {
            var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
            {
                subject, body = "Where is my refund?", channel = "email", priority, tags = new[] { tag },
                customer = new { name = "Rui Costa", email = $"rui.{Guid.NewGuid():N}@example.net" },
            }, Ct);
            created.EnsureSuccessStatusCode();
        }
        await Assertions.Expect(page.Locator("tr[data-row]")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("tr[data-row]")).ToContainTextAsync("Refund not received");
        await Assertions.Expect(navLink.Locator(".count")).ToHaveTextAsync("1", new() { Timeout = 15_000 });
        await host.ScreenshotAsync(page, "saved-view");

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit this view" }).ClickAsync();
        await page.GetByLabel("Name").FillAsync("Urgent refunds (all)");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save view" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Urgent refunds (all)");
        await Assertions.Expect(page.Locator("nav a", new() { HasText = "Urgent refunds (all)" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit this view" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete view" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox/mine");
        await Assertions.Expect(page.Locator("nav a", new() { HasText = "Urgent refunds" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_view_belongs_to_its_agent_alone()
    {
        var owner = await host.SignedInPageAsync("felix.wagner@loopdesk.example", WorkspaceHost.DemoPassword);
        await owner.GotoAsync("/views/new");
        await WorkspaceHost.WaitForCircuitAsync(owner);
        await owner.GetByLabel("Name").FillAsync("Felix's private view");
        await owner.GetByRole(AriaRole.Button, new() { Name = "Save view" }).ClickAsync();
        await owner.WaitForURLAsync("**/inbox/view/*");
        var path = new Uri(owner.Url).AbsolutePath;
        var id = path.Split('/')[^1];

        var other = await host.SignedInPageAsync("ola.nordmann@loopdesk.example", WorkspaceHost.DemoPassword);
        await other.GotoAsync(path);
        await WorkspaceHost.WaitForCircuitAsync(other);
        await Assertions.Expect(other.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("No such inbox");
        await other.GotoAsync($"/views/{id}");
        await WorkspaceHost.WaitForCircuitAsync(other);
        await Assertions.Expect(other.Locator("main, #main")).ToContainTextAsync("does not exist, or is not yours");
        await Assertions.Expect(other.Locator("nav a", new() { HasText = "Felix's private view" })).ToHaveCountAsync(0);
        await owner.Context.CloseAsync();
        await other.Context.CloseAsync();
    }
}

/// <summary>Two tickets about one issue become one; one mail about two issues becomes two tickets.</summary>
public sealed class MergeSplitTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> TicketAsync(string email, string subject, string body)
    {
        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new { subject, body, channel = "email", customer = new { name = "Lena Vogel", email } }, Ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reference").GetString()!;
    }

    [Fact]
    public async Task An_agent_merges_a_duplicate_into_the_original_and_splits_a_second_issue_into_its_own_ticket()
    {
        var email = $"lena.{Guid.NewGuid():N}@example.net";
        var original = await TicketAsync(email, "Heating broken", "The heating has not worked since Friday.");
        var duplicate = await TicketAsync(email, "Still no heating", "Nobody answered; also my last bill was charged twice.");
        var page = await host.SignedInPageAsync("ola.nordmann@loopdesk.example", WorkspaceHost.DemoPassword);
        await page.GotoAsync($"/tickets/{duplicate}");
        await WorkspaceHost.WaitForCircuitAsync(page);

        await page.GetByLabel("Merge this ticket into").SelectOptionAsync(original);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Merge into {original}" }).ClickAsync();
        await page.WaitForURLAsync($"**/tickets/{original}");
        var timeline = page.Locator(".timeline");
        await Assertions.Expect(timeline).ToContainTextAsync("The heating has not worked");
        await Assertions.Expect(timeline).ToContainTextAsync("charged twice");
        await Assertions.Expect(timeline).ToContainTextAsync($"{duplicate} was merged into this ticket");
        await Assertions.Expect(page.Locator(".linked-tickets")).ToContainTextAsync($"Merged in {duplicate}");
        var merged = await host.GetAsync<JsonElement>($"/api/v1/tickets/{duplicate}");
        Assert.Equal("closed", merged.GetProperty("status").GetString());

        // the bill is another issue: its own ticket, for the same customer
        var entry = page.Locator(".entry", new() { HasText = "charged twice" });
        await entry.GetByRole(AriaRole.Button, new() { Name = "Split into a new ticket" }).ClickAsync();
        await Assertions.Expect(page.Locator(".reference")).Not.ToHaveTextAsync(original);
        await Assertions.Expect(page.Locator(".timeline")).ToContainTextAsync("charged twice");
        await Assertions.Expect(page.Locator(".linked-tickets")).ToContainTextAsync($"Split from {original}");
        var split = (await page.Locator(".reference").InnerTextAsync()).Trim();
        var splitTicket = await host.GetAsync<JsonElement>($"/api/v1/tickets/{split}");
        Assert.Equal((await host.GetAsync<JsonElement>($"/api/v1/tickets/{original}")).GetProperty("customerId").GetString(), splitTicket.GetProperty("customerId").GetString());
        await host.ScreenshotAsync(page, "ticket-split");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await page.Context.CloseAsync();
    }
}

/// <summary>The composer's nudges: offer a call after rounds of writing, and promises tracked until kept.</summary>
public sealed class ComposerExtrasTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_admin_writes_a_procedure_and_the_agent_ticks_its_steps_beside_the_composer()
    {
        var tag = "damaged" + Guid.NewGuid().ToString("N")[..6];
        var admin = await host.SignedInPageAsync(WorkspaceHost.AdminEmail, WorkspaceHost.AdminPassword);
        await admin.GotoAsync("/admin/procedures");
        await WorkspaceHost.WaitForCircuitAsync(admin);
        await admin.GetByLabel("Name").FillAsync($"Damaged delivery {tag}");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add procedure" }).ClickAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Alert)).ToContainTextAsync("at least one step");
        await admin.GetByLabel("Tags").FillAsync(tag);
        await admin.GetByLabel("Steps").FillAsync("Ask for a photo of the damage\nOffer a replacement or a refund\nBook the courier pickup");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add procedure" }).ClickAsync();
        await Assertions.Expect(admin.Locator(".settings-table")).ToContainTextAsync($"Damaged delivery {tag}");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(admin));
        await host.ScreenshotAsync(admin, "admin-procedures");
        await admin.Context.CloseAsync();

        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
        {
            subject = "Vase arrived broken", body = "The vase was in pieces.", channel = "email", tags = new[] { tag },
            customer = new { name = "Nina Kraus", email = $"nina.{Guid.NewGuid():N}@example.net" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var reference = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reference").GetString()!;
        var page = await host.SignedInPageAsync("mei.chen@loopdesk.example", WorkspaceHost.DemoPassword);
        await page.GotoAsync($"/tickets/{reference}");
        await WorkspaceHost.WaitForCircuitAsync(page);
        var checklist = page.GetByRole(AriaRole.Region, new() { Name = $"Procedure: Damaged delivery {tag}" });
        await checklist.GetByLabel("Ask for a photo of the damage").CheckAsync();
        await Assertions.Expect(checklist.Locator("li.done")).ToHaveCountAsync(1);
        await page.ReloadAsync();
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = $"Procedure: Damaged delivery {tag}" }).GetByLabel("Ask for a photo of the damage")).ToBeCheckedAsync();
        var lists = await host.GetAsync<JsonElement>($"/api/v1/tickets/{reference}/procedures");
        Assert.True(lists[0].GetProperty("steps")[0].GetProperty("done").GetBoolean());
        await host.ScreenshotAsync(page, "ticket-procedure");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_reply_carries_the_files_attached_in_the_composer()
    {
        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
        {
            subject = "Need the warranty form", body = "Could you send the form again?", channel = "email",
            customer = new { name = "Sara Lind", email = $"sara.{Guid.NewGuid():N}@example.net" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var reference = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reference").GetString()!;
        var page = await host.SignedInPageAsync("tom.becker@loopdesk.example", WorkspaceHost.DemoPassword);
        await page.GotoAsync($"/tickets/{reference}");
        await WorkspaceHost.WaitForCircuitAsync(page);

        var form = System.Text.Encoding.UTF8.GetBytes("Warranty form\nName: ____\n");
        await page.GetByLabel("Attach files").SetInputFilesAsync(new FilePayload { Name = "warranty-form.txt", MimeType = "text/plain", Buffer = form });
        await Assertions.Expect(page.GetByRole(AriaRole.List, new() { Name = "Attached files" })).ToContainTextAsync("warranty-form.txt");
        await page.Locator("#composer-body").FillAsync("Here is the form; fill it in and send it back when convenient.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        var entry = page.Locator(".entry-outbound", new() { HasText = "Here is the form" });
        await Assertions.Expect(entry.GetByRole(AriaRole.Link, new() { Name = "warranty-form.txt" })).ToBeVisibleAsync();

        var messages = await host.GetAsync<JsonElement>($"/api/v1/tickets/{reference}/messages");
        var reply = messages.EnumerateArray().Single(m => m.GetProperty("body").GetString()!.StartsWith("Here is the form", StringComparison.Ordinal));
        var file = reply.GetProperty("attachments").EnumerateArray().Single();
        Assert.Equal("warranty-form.txt", file.GetProperty("fileName").GetString());
        var download = await host.Api.GetAsync($"/api/v1/tickets/{reference}/files/{file.GetProperty("storageKey").GetString()}", Ct);
        Assert.Equal(form, await download.Content.ReadAsByteArrayAsync(Ct));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task After_three_rounds_of_writing_the_composer_offers_a_call_and_a_promise_is_tracked()
    {
        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
        {
            subject = "Printer still offline", body = "The printer is offline again.", channel = "email",
            customer = new { name = "Omar Haddad", email = $"omar.{Guid.NewGuid():N}@example.net" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var reference = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reference").GetString()!;
        for (var round = 1; round <= 3; round++)
        {
            if (round > 1)
                (await host.Api.PostAsJsonAsync($"/api/v1/tickets/{reference}/messages", new { body = $"Still offline (round {round}).", direction = "inbound" }, Ct)).EnsureSuccessStatusCode();
            (await host.Api.PostAsJsonAsync($"/api/v1/tickets/{reference}/messages", new { body = $"Please restart it and tell me what the screen says ({round}).", lexiconOverride = true }, Ct)).EnsureSuccessStatusCode();
        }

        var page = await host.SignedInPageAsync("priya.shah@loopdesk.example", WorkspaceHost.DemoPassword);
        await page.GotoAsync($"/tickets/{reference}");
        await WorkspaceHost.WaitForCircuitAsync(page);
        // the rule runs in the background; the page follows without a reload
        await page.GetByRole(AriaRole.Button, new() { Name = "Offer a call" }).ClickAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#composer-body")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("Would a quick call help"));

        await page.GetByText("Make a promise (tracked until kept)").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add promise" }).ClickAsync();
        await Assertions.Expect(page.Locator(".promise .form-error")).ToContainTextAsync("Say what you promise");
        await page.GetByLabel("Promise", new() { Exact = true }).FillAsync("Call Omar back with the engineer's visit time");
        await page.GetByLabel("By").FillAsync("2030-06-03T17:00");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add promise" }).ClickAsync();
        await Assertions.Expect(page.Locator(".commitments")).ToContainTextAsync("Call Omar back with the engineer's visit time");
        var promises = await host.GetAsync<JsonElement>($"/api/v1/tickets/{reference}/commitments");
        Assert.Contains(promises.EnumerateArray(), p => p.GetProperty("description").GetString() == "Call Omar back with the engineer's visit time");
        await host.ScreenshotAsync(page, "composer-offer-call");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await page.Context.CloseAsync();
    }
}
