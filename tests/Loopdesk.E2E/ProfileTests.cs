using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using OtpNet;

namespace Loopdesk.E2E;

/// <summary>Presence, working hours and two-factor sign-in, set by the agent on their profile.</summary>
public sealed class ProfileTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string Id, string Email, string Password)> NewAgentAsync(string name)
    {
        var email = $"{name.ToLowerInvariant().Replace(' ', '.')}.{Guid.NewGuid().ToString("N")[..6]}@loopdesk.example";
        const string password = "a-long-test-password";
        var created = await host.Api.PostAsJsonAsync("/api/v1/agents", new { name, email, role = "agent", password }, Ct);
        created.EnsureSuccessStatusCode();
        return ((await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!, email, password);
    }

    [Fact]
    public async Task An_agent_sets_presence_and_turns_on_two_factor_sign_in_which_then_asks_for_the_code()
    {
        var (id, email, password) = await NewAgentAsync("Ida Berg");
        var page = await host.SignedInPageAsync(email, password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Your account" }).ClickAsync();
        await page.GetByText("Profile, presence and sign-in").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Your profile");

        await page.GetByRole(AriaRole.Radio, new() { Name = "Away" }).CheckAsync();
        await Assertions.Expect(page.Locator(".form-ok")).ToHaveTextAsync("You are away.");
        Assert.Equal("away", (await host.GetAsync<JsonElement>($"/api/v1/agents/{id}")).GetProperty("presence").GetString());

        await page.GetByRole(AriaRole.Button, new() { Name = "Set up two-factor sign-in" }).ClickAsync();
        var key = (await page.Locator(".totp-key").InnerTextAsync()).Replace(" ", "", StringComparison.Ordinal);
        var totp = new Totp(Base32Encoding.ToBytes(key));
        await page.GetByLabel("Enter the six-digit code the app shows").FillAsync("000000" == totp.ComputeTotp() ? "111111" : "000000");
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That code is not right");
        await host.ScreenshotAsync(page, "profile");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));

        await page.GetByLabel("Enter the six-digit code the app shows").FillAsync(totp.ComputeTotp());
        await page.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
        await Assertions.Expect(page.Locator(".form-ok", new() { HasText = "Two-factor" })).ToContainTextAsync("Two-factor sign-in is on");

        // the password alone no longer opens the workspace (nor the API's password login)
        var context = await host.Browser.NewContextAsync(new() { BaseURL = host.BaseUrl });
        var fresh = await context.NewPageAsync();
        await WorkspaceHost.SignInAsync(fresh, email, password);
        await fresh.WaitForURLAsync("**/signin/two-factor*");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(fresh));
        await host.ScreenshotAsync(fresh, "signin-two-factor");
        await fresh.GetByLabel("Code").FillAsync("123456" == totp.ComputeTotp() ? "654321" : "123456");
        await fresh.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await Assertions.Expect(fresh.GetByRole(AriaRole.Alert)).ToContainTextAsync("That code is not right");
        await fresh.GetByLabel("Code").FillAsync(totp.ComputeTotp());
        await fresh.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
        await fresh.WaitForURLAsync("**/inbox/mine");
        using var api = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        var login = await api.PostAsJsonAsync("/api/v1/auth/login", new { email, password }, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, login.StatusCode);
        await context.CloseAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_agent_makes_a_personal_api_token_sees_its_secret_once_and_revokes_it()
    {
        var (_, email, password) = await NewAgentAsync("Jon Ek");
        var page = await host.SignedInPageAsync(email, password);
        await page.GotoAsync("/profile");
        await WorkspaceHost.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByText("You have no tokens.")).ToBeVisibleAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Reporting script");
        await page.GetByRole(AriaRole.Button, new() { Name = "Make a token" }).ClickAsync();
        var secret = (await page.Locator(".token-value").InnerTextAsync()).Trim();
        Assert.StartsWith("ldk_", secret, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("table.tokens")).ToContainTextAsync("Reporting script");

        using var api = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        api.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(email, (await api.GetFromJsonAsync<JsonElement>("/api/v1/me", Ct)).GetProperty("email").GetString());
        await page.EvaluateAsync("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }");
        await host.ScreenshotAsync(page, "profile-tokens");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke Reporting script" }).ClickAsync();
        await Assertions.Expect(page.Locator(".form-ok", new() { HasText = "revoked" })).ToContainTextAsync("Token Reporting script revoked");
        await Assertions.Expect(page.Locator(".token-value")).ToHaveCountAsync(0);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);
        await page.Context.CloseAsync();
    }
}
