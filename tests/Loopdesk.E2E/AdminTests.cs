using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>An admin's settings pages, in a real browser against the real host; every change is checked through the API.</summary>
public sealed class AdminTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private async Task<IPage> AdminAtAsync(string path)
    {
        var page = await host.SignedInPageAsync(WorkspaceHost.AdminEmail, WorkspaceHost.AdminPassword);
        await OpenAsync(page, path);
        return page;
    }

    private static async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(path);
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
    }

    /// <summary>A full-page screenshot from the top, so the fixed app bar does not cover the middle of it.</summary>
    private async Task ScreenshotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }");
        await host.ScreenshotAsync(page, name);
    }

    private static ILocator Field(IPage page, string label) => page.GetByLabel(label, new() { Exact = true });

    private static ILocator Button(IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    private static ILocator Error(IPage page) => page.Locator(".form-error[role=alert]");

    private static ILocator Ok(IPage page) => page.Locator(".form-ok[role=status]");

    private async Task<JsonElement[]> ListAsync(string path) => (await host.GetAsync<JsonElement>(path)).EnumerateArray().ToArray();

    private static JsonElement Named(JsonElement[] items, string name) => items.Single(i => i.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Admin_adds_a_team_and_a_taken_name_is_refused_next_to_the_form()
    {
        var name = "Returns " + Unique();
        var page = await AdminAtAsync("/admin/teams");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Description").FillAsync("Parcels coming back");
        await Field(page, "New tickets go").SelectOptionAsync(new SelectOptionValue { Label = "In turn (round robin)" });
        await Button(page, "Add team").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Team {name} added.");
        await Assertions.Expect(page.Locator("table.inbox")).ToContainTextAsync(name);

        var team = Named(await ListAsync("/api/v1/teams"), name);
        Assert.Equal("Parcels coming back", team.GetProperty("description").GetString());
        Assert.Equal("round-robin", team.GetProperty("routing").GetString());

        await Field(page, "Name").FillAsync(name);
        await Button(page, "Add team").ClickAsync();
        await Assertions.Expect(Error(page)).ToHaveTextAsync("A team with this name exists.");
        Assert.Single(await ListAsync("/api/v1/teams"), t => t.GetProperty("name").GetString() == name);
        await ScreenshotAsync(page, "admin-teams");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_team_changed_by_someone_else_meanwhile_is_not_overwritten()
    {
        var name = "Claims " + Unique();
        var created = await host.Api.PostAsJsonAsync("/api/v1/teams", new { name }, Ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();
        var page = await AdminAtAsync("/admin/teams");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Change {name}" }).ClickAsync();
        await Field(page, "Description").FillAsync("From the page");

        (await host.Api.PatchAsJsonAsync($"/api/v1/teams/{id}", new { description = "From a script" }, Ct)).EnsureSuccessStatusCode();
        await Button(page, "Save team").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("Someone else changed this team since you opened it, so nothing was saved");
        Assert.Equal("From a script", Named(await ListAsync("/api/v1/teams"), name).GetProperty("description").GetString());
        await Assertions.Expect(Field(page, "Description")).ToHaveValueAsync("From a script");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_an_agent_with_a_password_who_can_sign_in_and_then_changes_their_role()
    {
        var id = Unique();
        var name = $"Noor Haddad {id}";
        var email = $"noor.{id}@loopdesk.example";
        const string password = "a-long-enough-password";
        var page = await AdminAtAsync("/admin/agents");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Email").FillAsync(email);
        await Field(page, "Password").FillAsync(password);
        await Field(page, "Tier").SelectOptionAsync(new SelectOptionValue { Label = "Tier 2" });
        await Button(page, "Add staff member").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"{name} added.");
        var agent = Named(await ListAsync("/api/v1/agents"), name);
        Assert.Equal("agent", agent.GetProperty("role").GetString());
        Assert.Equal("tier2", agent.GetProperty("tier").GetString());

        // the password works
        var theirs = await host.SignedInPageAsync(email, password);
        await theirs.Context.CloseAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = $"Change {name}" }).ClickAsync();
        await Field(page, "Role").SelectOptionAsync(new SelectOptionValue { Label = "Supervisor" });
        await Button(page, "Save staff member").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"{name} saved.");
        Assert.Equal("supervisor", Named(await ListAsync("/api/v1/agents"), name).GetProperty("role").GetString());
        await ScreenshotAsync(page, "admin-agents");

        // a password the account rules refuse is said so, and nobody is added
        var shortOne = $"short.{id}@loopdesk.example";
        await Field(page, "Name").FillAsync("Too Short " + id);
        await Field(page, "Email").FillAsync(shortOne);
        await Field(page, "Password").FillAsync("short");
        await Button(page, "Add staff member").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("at least 10 characters");
        Assert.DoesNotContain(await ListAsync("/api/v1/agents"), a => a.GetProperty("email").GetString() == shortOne);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_sets_business_hours_on_a_calendar_and_bad_hours_are_refused()
    {
        var name = "Office " + Unique();
        var page = await AdminAtAsync("/admin/hours");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Time zone").FillAsync("Europe/Amsterdam");
        foreach (var day in new[] { "Monday", "Tuesday", "Wednesday", "Thursday" })
            await Field(page, $"{day} hours").FillAsync("09:00-17:30");
        await Field(page, "Friday hours").FillAsync("09:00-12:00, 13:00-16:00");
        await Field(page, "Holidays").FillAsync("2026-12-25\n2026-12-26");

        await Field(page, "Saturday hours").FillAsync("10 till 2");
        await Button(page, "Add calendar").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("Saturday: \"10 till 2\" is not hours like 09:00-17:30.");

        await Field(page, "Saturday hours").FillAsync("");
        await Field(page, "Time zone").FillAsync("Mars/Olympus");
        await Button(page, "Add calendar").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("\"Mars/Olympus\" is not a known time zone");
        Assert.DoesNotContain(await ListAsync("/api/v1/calendars"), c => c.GetProperty("name").GetString() == name);

        await Field(page, "Time zone").FillAsync("Europe/Amsterdam");
        await Button(page, "Add calendar").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Calendar {name} added.");
        var calendar = Named(await ListAsync("/api/v1/calendars"), name);
        Assert.Equal("Europe/Amsterdam", calendar.GetProperty("timeZoneId").GetString());
        var friday = calendar.GetProperty("hours").EnumerateArray().Where(h => h.GetProperty("day").GetString() == "friday")
            .Select(h => $"{h.GetProperty("start").GetString()}-{h.GetProperty("end").GetString()}").ToArray();
        Assert.Equal(["09:00-12:00", "13:00-16:00"], friday);
        Assert.Equal(5 + 1, calendar.GetProperty("hours").GetArrayLength());
        Assert.Equal(2, calendar.GetProperty("holidays").GetArrayLength());
        await ScreenshotAsync(page, "admin-hours");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_an_SLA_policy_and_one_without_targets_is_refused()
    {
        var name = "Urgent first " + Unique();
        var page = await AdminAtAsync("/admin/sla");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Position").FillAsync("5");
        await page.GetByLabel("Urgent", new() { Exact = true }).CheckAsync();
        await Button(page, "Add policy").ClickAsync();
        await Assertions.Expect(Error(page)).ToHaveTextAsync("A policy needs at least one target.");
        Assert.DoesNotContain(await ListAsync("/api/v1/sla-policies"), p => p.GetProperty("name").GetString() == name);

        await Field(page, "First reply within (hours)").FillAsync("0.5");
        await Field(page, "Resolved within (hours)").FillAsync("8");
        await Button(page, "Add policy").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Policy {name} added.");
        var policy = Named(await ListAsync("/api/v1/sla-policies"), name);
        Assert.Equal(1800, policy.GetProperty("firstReplySeconds").GetInt64());
        Assert.Equal(8 * 3600, policy.GetProperty("resolutionSeconds").GetInt64());
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("nextReplySeconds").ValueKind);
        Assert.Equal(["urgent"], policy.GetProperty("priorities").EnumerateArray().Select(p => p.GetString()).ToArray());
        Assert.Equal(5, policy.GetProperty("position").GetInt32());
        await ScreenshotAsync(page, "admin-sla");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_a_template_and_sees_it_filled_in_for_a_ticket()
    {
        var id = Unique();
        var created = await host.Api.PostAsJsonAsync("/api/v1/tickets", new
        {
            subject = "Wrong size", body = "The shoes are a size too small.", channel = "email",
            customer = new { name = "Mara Quist", email = $"mara.{id}@example.net" },
        }, Ct);
        created.EnsureSuccessStatusCode();
        var reference = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("reference").GetString()!;
        var key = $"exchange-{id}";
        var page = await AdminAtAsync("/admin/templates");
        await Field(page, "Key").FillAsync(key);
        await Field(page, "Name").FillAsync("Exchange offer " + id);
        await Field(page, "Preview for ticket").FillAsync(reference);

        await Field(page, "Words").FillAsync("Hello {{ customer.nickname }}");
        await Button(page, "Add template").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("customer.nickname");
        Assert.DoesNotContain(await ListAsync("/api/v1/templates"), t => t.GetProperty("key").GetString() == key);

        await Field(page, "Words").FillAsync("Hello {{ customer.first_name }}, we will exchange them under {{ ticket.reference }}.");
        await Button(page, "Add template").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Template Exchange offer {id} added.");
        await Assertions.Expect(page.Locator("[data-testid=template-preview]")).ToHaveTextAsync($"Hello Mara, we will exchange them under {reference}.");
        var template = (await ListAsync("/api/v1/templates")).Single(t => t.GetProperty("key").GetString() == key);
        Assert.False(template.GetProperty("shipped").GetBoolean());
        Assert.Equal("en", template.GetProperty("language").GetString());
        await ScreenshotAsync(page, "admin-templates");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_a_lexicon_phrase_and_switches_it_off()
    {
        var id = $"banned.e2e-{Unique()}";
        var page = await AdminAtAsync("/admin/lexicon");
        await Field(page, "Id").FillAsync(id);
        await Field(page, "Phrase").FillAsync("that is not my department");
        await Field(page, "Why it hurts").FillAsync("It hands the problem back to the customer.");
        await Field(page, "Try instead").FillAsync("Let me find the right person for you.");
        await Button(page, "Add phrase").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"{id} added.");
        Assert.True((await ListAsync("/api/v1/lexicon")).Single(e => e.GetProperty("id").GetString() == id).GetProperty("enabled").GetBoolean());

        await page.GetByRole(AriaRole.Button, new() { Name = $"Switch off {id}", Exact = true }).ClickAsync();
        await Assertions.Expect(Ok(page)).ToContainTextAsync($"{id} switched off");
        Assert.False((await ListAsync("/api/v1/lexicon")).Single(e => e.GetProperty("id").GetString() == id).GetProperty("enabled").GetBoolean());
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Switch on {id}", Exact = true })).ToBeVisibleAsync();
        await ScreenshotAsync(page, "admin-lexicon");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_a_chat_site_and_gets_its_script_tag_and_a_bad_origin_is_refused()
    {
        var name = "Outlet " + Unique();
        var page = await AdminAtAsync("/admin/chat");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Allowed origins").FillAsync("javascript:alert(1)");
        await Button(page, "Add site").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("is not an origin");
        Assert.DoesNotContain((await ListAsync("/api/v1/chat/sites")), s => s.GetProperty("name").GetString() == name);

        await Field(page, "Allowed origins").FillAsync("https://outlet.example");
        await Button(page, "Add site").ClickAsync();
        await Assertions.Expect(Ok(page)).ToContainTextAsync($"Added {name}");
        var site = Named(await ListAsync("/api/v1/chat/sites"), name);
        Assert.Equal(["https://outlet.example"], site.GetProperty("allowedOrigins").EnumerateArray().Select(o => o.GetString()));
        await Assertions.Expect(page.Locator("code.embed").Filter(new() { HasText = site.GetProperty("key").GetString()! })).ToContainTextAsync("/chat/widget.js");
        await ScreenshotAsync(page, "admin-chat");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_a_mailbox_whose_password_is_never_shown_and_its_failing_connection_test_says_why()
    {
        var id = Unique();
        var name = "Returns desk " + id;
        var secret = "imap-secret-" + id;
        var page = await AdminAtAsync("/admin/mailboxes");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Address").FillAsync($"returns-{id}@loopdesk.example");
        await page.GetByLabel("Fetch mail by IMAP").CheckAsync();
        await Field(page, "IMAP host").FillAsync("127.0.0.1");
        await Field(page, "IMAP port").FillAsync("1");
        await Field(page, "IMAP security").SelectOptionAsync("none");
        await Field(page, "IMAP username").FillAsync("returns");
        await Field(page, "IMAP password").FillAsync(secret);
        // plain IMAP to another machine is refused
        await Field(page, "IMAP host").FillAsync("imap.example.com");
        await Button(page, "Add mailbox").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("An unencrypted IMAP connection is only allowed to this machine");
        Assert.DoesNotContain(await ListAsync("/api/v1/mailboxes"), m => m.GetProperty("name").GetString() == name);

        await Field(page, "IMAP host").FillAsync("127.0.0.1");
        await Field(page, "IMAP password").FillAsync(secret);
        await Button(page, "Add mailbox").ClickAsync();
        await Assertions.Expect(Ok(page)).ToContainTextAsync($"Mailbox {name} added.");
        var mailbox = Named(await ListAsync("/api/v1/mailboxes"), name);
        Assert.True(mailbox.GetProperty("imap").GetProperty("hasSecret").GetBoolean());
        Assert.Equal(1, mailbox.GetProperty("imap").GetProperty("port").GetInt32());

        await page.GetByRole(AriaRole.Button, new() { Name = $"Test connection of {name}" }).ClickAsync();
        await Assertions.Expect(page.Locator(".checks-result")).ToContainTextAsync("IMAP failed:", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator(".checks-result")).ToContainTextAsync("Check the host, port, security");

        // the stored password is never rendered back, not even into the edit form
        await page.GetByRole(AriaRole.Button, new() { Name = $"Change {name}" }).ClickAsync();
        await Assertions.Expect(Field(page, "IMAP password")).ToHaveValueAsync("");
        await Assertions.Expect(page.Locator("#imap-password-hint")).ToHaveTextAsync("A password is stored; leave this empty to keep it.");
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        await ScreenshotAsync(page, "admin-mailboxes");

        // tidy: no poller keeps knocking on a port nobody listens on
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }).ClickAsync();
        await Assertions.Expect(Ok(page)).ToContainTextAsync($"Mailbox {name} deleted");
        Assert.DoesNotContain(await ListAsync("/api/v1/mailboxes"), m => m.GetProperty("name").GetString() == name);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_supervisor_writes_a_help_article_with_a_preview_and_a_stale_save_and_a_full_category_are_explained()
    {
        var id = Unique();
        var category = "Returns " + id;
        var title = "Send a parcel back " + id;
        var page = await host.SignedInPageAsync("sam.carter@loopdesk.example", WorkspaceHost.DemoPassword);
        await OpenAsync(page, "/admin/help");
        await Field(page, "Name").FillAsync(category);
        await Field(page, "Description").FillAsync("Parcels coming back");
        await Field(page, "Position").FillAsync("3");
        await Button(page, "Add category").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Category {category} added.");
        var made = Named(await ListAsync("/api/v1/help/categories"), category);
        Assert.Equal(3, made.GetProperty("position").GetInt32());
        var categoryId = made.GetProperty("id").GetString()!;

        await Field(page, "Title").FillAsync(title);
        await Field(page, "Category").SelectOptionAsync(new SelectOptionValue { Label = category });
        await Field(page, "Summary").FillAsync("Labels, pick-up and refunds.");
        await Field(page, "Intermediate text").FillAsync("## Pack it\n\nWrap it **well** and print the label.");
        await Assertions.Expect(page.Locator("[data-testid=article-preview] h2")).ToHaveTextAsync("Pack it");
        await Assertions.Expect(page.Locator("[data-testid=article-preview] strong")).ToHaveTextAsync("well");
        await Field(page, "Novice text").FillAsync("First put the item in its box. <script>alert(1)</script>");
        await page.GetByLabel("Novice", new() { Exact = true }).CheckAsync();
        await Assertions.Expect(page.Locator("[data-testid=article-preview]")).ToContainTextAsync("First put the item in its box.");
        await Assertions.Expect(page.Locator("[data-testid=article-preview] script")).ToHaveCountAsync(0);
        await page.GetByLabel("Published").UncheckAsync();
        await Button(page, "Add article").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Article {title} added as a draft.");
        await Assertions.Expect(page.Locator("table.inbox tr", new() { HasText = title })).ToContainTextAsync("(draft)");
        var article = (await ListAsync($"/api/v1/help/articles?category={categoryId}")).Single();
        Assert.False(article.GetProperty("published").GetBoolean());
        Assert.StartsWith("First put the item", article.GetProperty("noviceBody").GetString(), StringComparison.Ordinal);
        var articleId = article.GetProperty("id").GetString()!;

        // a category that still holds an article stays, and the page says what to do
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {category}", Exact = true }).ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync($"{category} still holds articles, so it was not deleted.");
        Assert.Single(await ListAsync("/api/v1/help/categories"), c => c.GetProperty("id").GetString() == categoryId);

        // someone else saves the article meanwhile: this save is refused and their version shown
        await page.GetByRole(AriaRole.Button, new() { Name = $"Change {title}", Exact = true }).ClickAsync();
        await Assertions.Expect(Field(page, "Title")).ToHaveValueAsync(title);
        await ScreenshotAsync(page, "admin-help");
        await Field(page, "Summary").FillAsync("From the page");
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/help/articles/{articleId}")
        {
            Content = JsonContent.Create(new { categoryId, title, body = "From a script", published = false }),
        })
        {
            put.Headers.TryAddWithoutValidation("If-Match", $"\"v{article.GetProperty("version").GetInt32()}\"");
            (await host.Api.SendAsync(put, Ct)).EnsureSuccessStatusCode();
        }
        await Button(page, "Save article").ClickAsync();
        await Assertions.Expect(Error(page)).ToContainTextAsync("Someone else changed this article since you opened it, so nothing was saved");
        await Assertions.Expect(Field(page, "Intermediate text")).ToHaveValueAsync("From a script");
        var stored = await host.GetAsync<JsonElement>($"/api/v1/help/articles/{articleId}");
        Assert.Equal("From a script", stored.GetProperty("body").GetString());
        Assert.Equal(JsonValueKind.Null, stored.GetProperty("summary").ValueKind);

        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {title}", Exact = true }).ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Article {title} deleted.");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {category}", Exact = true }).ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Category {category} deleted.");
        Assert.DoesNotContain(await ListAsync("/api/v1/help/categories"), c => c.GetProperty("id").GetString() == categoryId);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_adds_changes_and_deletes_a_status_page_service()
    {
        var name = "Payments " + Unique();
        var page = await AdminAtAsync("/admin/status");
        await Field(page, "Name").FillAsync(name);
        await Field(page, "Description").FillAsync("Card and bank payments");
        await Field(page, "Position").FillAsync("2");
        await Button(page, "Add service").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Service {name} added.");
        await Assertions.Expect(page.Locator("table.inbox tr", new() { HasText = name })).ToContainTextAsync("Operational");
        var service = Named(await ListAsync("/api/v1/status/services"), name);
        Assert.Equal("operational", service.GetProperty("state").GetString());
        Assert.Equal(2, service.GetProperty("position").GetInt32());

        await Field(page, "Name").FillAsync(name);
        await Button(page, "Add service").ClickAsync();
        await Assertions.Expect(Error(page)).ToHaveTextAsync("A service with that name exists.");
        Assert.Single(await ListAsync("/api/v1/status/services"), s => s.GetProperty("name").GetString() == name);

        await page.GetByRole(AriaRole.Button, new() { Name = $"Change {name}", Exact = true }).ClickAsync();
        // the form shows the service in the same render as its save button; typing before it would be overwritten
        await Assertions.Expect(Button(page, "Save service")).ToBeVisibleAsync();
        await Assertions.Expect(Field(page, "Description")).ToHaveValueAsync("Card and bank payments");
        await Field(page, "Description").FillAsync("Cards, bank transfers and invoices");
        await Button(page, "Save service").ClickAsync();
        await Assertions.Expect(Ok(page)).ToHaveTextAsync($"Service {name} saved.");
        Assert.Equal("Cards, bank transfers and invoices", Named(await ListAsync("/api/v1/status/services"), name).GetProperty("description").GetString());
        await ScreenshotAsync(page, "admin-status");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}", Exact = true }).ClickAsync();
        await Assertions.Expect(Ok(page)).ToContainTextAsync($"Service {name} deleted");
        Assert.DoesNotContain(await ListAsync("/api/v1/status/services"), s => s.GetProperty("name").GetString() == name);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_credits_page_shows_the_limits_in_force_and_the_settings_that_change_them()
    {
        var page = await host.SignedInPageAsync("sam.carter@loopdesk.example", WorkspaceHost.DemoPassword);
        await OpenAsync(page, "/credits");
        var limits = page.Locator("table.credit-limits");
        await Assertions.Expect(limits.Locator("tr", new() { HasText = "Agents" })).ToContainTextAsync("50.00 EUR");
        await Assertions.Expect(limits.Locator("tr", new() { HasText = "Agents" })).ToContainTextAsync("Loopdesk__Credits__Limits__Agent");
        await Assertions.Expect(limits.Locator("tr", new() { HasText = "Supervisors" })).ToContainTextAsync("500.00 EUR");
        await Assertions.Expect(limits.Locator("tr", new() { HasText = "Supervisors" })).ToContainTextAsync("Loopdesk:Credits:Limits:Supervisor");
        await Assertions.Expect(limits.Locator("input, select, button")).ToHaveCountAsync(0);
        await ScreenshotAsync(page, "credits");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Every_settings_page_passes_axe_without_serious_violations()
    {
        var page = await AdminAtAsync("/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Inboxes" }).GetByRole(AriaRole.Link, new() { Name = "Settings" })).ToBeVisibleAsync();
        await ScreenshotAsync(page, "admin-overview");
        var failures = new List<string>();
        foreach (var path in new[] { "/admin", "/admin/teams", "/admin/agents", "/admin/hours", "/admin/sla", "/admin/rules", "/admin/templates", "/admin/lexicon", "/admin/mailboxes", "/admin/inbound", "/admin/outbox", "/admin/chat", "/admin/help", "/admin/status" })
        {
            await OpenAsync(page, path);
            failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(page)).Select(v => $"{path}: {v}"));
        }
        // the forms that open on demand too
        await OpenAsync(page, "/admin/rules");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change Repeat contact" }).ClickAsync();
        await Assertions.Expect(page.Locator("#rule-form-title")).ToContainTextAsync("Change");
        await ScreenshotAsync(page, "admin-rules");
        failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(page)).Select(v => $"/admin/rules, a built-in rule: {v}"));
        await OpenAsync(page, "/admin/mailboxes");
        await page.GetByLabel("Fetch mail by IMAP").CheckAsync();
        await page.GetByLabel("Send replies by SMTP").CheckAsync();
        failures.AddRange((await WorkspaceHost.SeriousViolationsAsync(page)).Select(v => $"/admin/mailboxes, servers: {v}"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_agent_is_told_the_settings_are_not_for_their_role()
    {
        var page = await host.SignedInPageAsync("priya.shah@loopdesk.example", WorkspaceHost.DemoPassword);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Settings" })).ToHaveCountAsync(0);
        foreach (var path in new[] { "/admin", "/admin/mailboxes", "/admin/status" })
        {
            await page.GotoAsync(path);
            await WorkspaceHost.WaitForCircuitAsync(page);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This page is not for your role");
            await Assertions.Expect(page.Locator("input#mb-name, input#service-name")).ToHaveCountAsync(0);
        }
        // the help center is theirs to read, not to change (like the API)
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Inboxes" }).GetByRole(AriaRole.Link, new() { Name = "Help center" }).ClickAsync();
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Help center");
        await Assertions.Expect(page.GetByText("Supervisors and admins change the help center; you can read it here.")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("input#category-name, textarea#article-body")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add category" })).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
