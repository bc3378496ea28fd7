using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using OtpNet;

namespace Loopdesk.E2E;

/// <summary>
/// What needs settings the shared host does not have, each on a server of its own over an empty database: mandatory
/// two-factor sign-in, and an outbox whose failures park within seconds for the admin's queue pages.
/// </summary>
public sealed class OtherHostTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<IPage> PageAsync(OtherHost other)
    {
        var context = await host.Browser.NewContextAsync(new() { BaseURL = other.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return page;
    }

    [Fact]
    public async Task Where_two_factor_is_required_an_agent_without_it_is_kept_to_setting_it_up_and_then_works()
    {
        await using var other = await host.StartOtherAsync(new Dictionary<string, string> { ["Loopdesk__Workspace__RequireTwoFactor"] = "true" });
        var email = $"tove.{Guid.NewGuid().ToString("N")[..6]}@loopdesk.example";
        const string password = "a-long-test-password";
        (await other.Api.PostAsJsonAsync("/api/v1/agents", new { name = "Tove Lind", email, role = "agent", password }, Ct)).EnsureSuccessStatusCode();
        (await other.Api.PostAsJsonAsync("/api/v1/tickets", new { subject = "Router keeps rebooting", body = "Every ten minutes.", customer = new { email = "kim@example.org" } }, Ct))
            .EnsureSuccessStatusCode();

        var page = await PageAsync(other);
        await WorkspaceHost.SignInAsync(page, email, password);
        await page.WaitForURLAsync("**/profile");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Two-factor sign-in is required here");
        await host.ScreenshotAsync(page, "profile-two-factor-required");
        await NoSeriousViolationsAsync(page);

        // an inbox, by address or from the menu, leads back to the profile
        await page.GotoAsync("/inbox/unassigned");
        await page.WaitForURLAsync("**/profile");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator("table.inbox")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Inboxes" }).GetByRole(AriaRole.Link, new() { Name = "Unassigned" }).ClickAsync();
        await page.WaitForURLAsync("**/profile");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Your profile");

        await page.GetByRole(AriaRole.Button, new() { Name = "Set up two-factor sign-in" }).ClickAsync();
        var key = (await page.Locator(".totp-key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal);
        await page.GetByLabel("Enter the six-digit code the app shows").FillAsync(new Totp(Base32Encoding.ToBytes(key)).ComputeTotp());
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
        await Assertions.Expect(page.Locator(".form-ok", new() { HasText = "Two-factor" })).ToContainTextAsync("Two-factor sign-in is on");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);

        // set up: the inboxes open
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Inboxes" }).GetByRole(AriaRole.Link, new() { Name = "Unassigned" }).ClickAsync();
        await page.WaitForURLAsync("**/inbox/unassigned");
        await Assertions.Expect(page.Locator("table.inbox")).ToContainTextAsync("Router keeps rebooting");
        await page.GotoAsync("/inbox/mine");
        await WorkspaceHost.WaitForCircuitAsync(page);
        Assert.EndsWith("/inbox/mine", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_retries_and_discards_what_did_not_go_through()
    {
        await using var other = await host.StartOtherAsync(new Dictionary<string, string>
        {
            ["Loopdesk__Jobs__MaxAttempts"] = "2",
            ["Loopdesk__Jobs__RetryDelaySeconds"] = "1",
            ["Loopdesk__Rules__AllowPrivateWebhooks"] = "true",
        });
        // a webhook to a port nobody listens on: it fails twice and parks
        var marker = $"m{Guid.NewGuid():N}"[..12];
        (await other.Api.PostAsJsonAsync("/api/v1/rules", new
        {
            name = "Tell the shop",
            events = new[] { "ticket.created" },
            conditions = new[] { new { field = "ticket.subject", @operator = "contains", value = marker } },
            actions = new[] { new { type = "webhook", value = $"http://127.0.0.1:{FreePort()}/hooks/orders" } },
        }, Ct)).EnsureSuccessStatusCode();
        (await other.Api.PostAsJsonAsync("/api/v1/tickets", new { subject = $"Order never arrived {marker}", body = "Ordered a week ago.", customer = new { email = "kim@example.org" } }, Ct))
            .EnsureSuccessStatusCode();
        // mail that cannot be read, and mail from a staff address that is not a forward
        (await other.Api.PostAsJsonAsync("/api/v1/mailboxes", new { name = "Support", address = "support@shop.example", inboundSecret = "a-secret-of-sixteen-chars" }, Ct)).EnsureSuccessStatusCode();
        await MimeAsync(other, "this is not an email at all");
        await MimeAsync(other, $"From: {WorkspaceHost.AdminEmail}\r\nTo: support@shop.example\r\nSubject: Refund for order 1182\r\nMessage-ID: <{Guid.NewGuid():N}@example.org>\r\n\r\nPlease refund the customer.\r\n");
        for (var i = 0; i < 100 && (await other.Api.GetFromJsonAsync<JsonElement>("/api/v1/outbox?state=parked", Ct)).GetArrayLength() == 0; i++) await Task.Delay(200, Ct);

        var page = await PageAsync(other);
        await WorkspaceHost.SignInAsync(page, WorkspaceHost.AdminEmail, WorkspaceHost.AdminPassword);
        await page.WaitForURLAsync("**/inbox/mine");
        await page.GotoAsync("/admin");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.Locator(".admin-sections")).ToContainTextAsync("2 messages waiting");
        await Assertions.Expect(page.Locator(".admin-sections")).ToContainTextAsync("1 entry parked");

        await page.GetByRole(AriaRole.Link, new() { Name = "Outbox" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Outbox");
        var row = page.Locator("table.outbox tr", new() { HasText = "Call a webhook" });
        await Assertions.Expect(row).ToContainTextAsync("refused");
        await ShotAsync(page, "admin-outbox");
        await NoSeriousViolationsAsync(page);
        await row.GetByRole(AriaRole.Button, new() { Name = "Discard: Call a webhook", Exact = true }).ClickAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Discard for good: Call a webhook" }).ClickAsync();
        await Assertions.Expect(page.Locator(".form-ok")).ToHaveTextAsync("Call a webhook discarded.");
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("Nothing is parked");
        Assert.Equal(0, (await other.Api.GetFromJsonAsync<JsonElement>("/api/v1/outbox?state=parked", Ct)).GetArrayLength());

        await page.GotoAsync("/admin/inbound");
        await WorkspaceHost.WaitForCircuitAsync(page);
        var held = page.Locator("table.inbound tr", new() { HasText = "Refund for order 1182" });
        await Assertions.Expect(held).ToContainTextAsync("Held");
        await Assertions.Expect(page.Locator("table.inbound tr", new() { HasText = "Failed" })).ToHaveCountAsync(1);
        await ShotAsync(page, "admin-inbound");
        await NoSeriousViolationsAsync(page);
        await held.GetByRole(AriaRole.Button, new() { Name = "Discard: Refund for order 1182" }).ClickAsync();
        await Assertions.Expect(page.Locator(".form-ok")).ToContainTextAsync("It is kept, and makes no ticket");
        await Assertions.Expect(page.Locator("table.inbound tr", new() { HasText = "Refund for order 1182" })).ToHaveCountAsync(0);
        var ignored = await other.Api.GetFromJsonAsync<JsonElement>("/api/v1/inbound?state=ignored", Ct);
        Assert.Contains(ignored.EnumerateArray(), m => m.GetProperty("note").GetString()!.StartsWith("Discarded by", StringComparison.Ordinal));
        await page.Context.CloseAsync();
    }

    private static async Task MimeAsync(OtherHost other, string raw)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/inbound/mime?mailbox=support@shop.example")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(raw)) { Headers = { ContentType = new("message/rfc822") } },
        };
        request.Headers.Add("X-Loopdesk-Mailbox-Secret", "a-secret-of-sixteen-chars");
        using var client = new HttpClient { BaseAddress = new Uri(other.BaseUrl) };
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(request, Ct)).StatusCode);
    }

    private static async Task NoSeriousViolationsAsync(IPage page)
    {
        var violations = await WorkspaceHost.SeriousViolationsAsync(page);
        Assert.True(violations.Length == 0, string.Join("\n", violations));
    }

    private async Task ShotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }");
        await host.ScreenshotAsync(page, name);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
