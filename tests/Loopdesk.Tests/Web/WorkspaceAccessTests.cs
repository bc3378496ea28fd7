using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Platform.Auth;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Web.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Web;

/// <summary>Who reaches the workspace's pages, and how the browser and API halves of one host tell their callers no.</summary>
public abstract class WorkspaceAccessTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Browser()
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return client;
    }

    [Theory]
    [InlineData("/inbox", "%2Finbox")]
    [InlineData("/inbox/unassigned", "%2Finbox%2Funassigned")]
    [InlineData("/tickets/ABCD-2345", "%2Ftickets%2FABCD-2345")]
    public async Task A_signed_out_browser_is_sent_to_the_sign_in_page_and_back(string path, string back)
    {
        using var client = Browser();
        var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/signin?ReturnUrl={back}", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_api_still_answers_401_not_a_redirect_even_to_a_browser()
    {
        using var client = Browser();
        var response = await client.GetAsync("/api/v1/tickets", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_sign_in_page_is_a_plain_form_with_an_antiforgery_token()
    {
        using var client = Browser();
        var html = await client.GetStringAsync("/signin", Ct);
        Assert.Contains("<form method=\"post\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"__RequestVerificationToken\"", html, StringComparison.Ordinal);
        Assert.Contains("autocomplete=\"current-password\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signing_out_without_the_form_token_is_refused()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var response = await client.PostAsync("/signout", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("/inbox/team", "/inbox/team")]
    [InlineData("https://evil.example/", "/inbox")]
    [InlineData("//evil.example/", "/inbox")]
    [InlineData("/\\evil.example", "/inbox")]
    [InlineData("", "/inbox")]
    [InlineData(null, "/inbox")]
    public void After_sign_in_only_a_path_on_this_site_is_followed(string? returnUrl, string expected)
        => Assert.Equal(expected, SignIn.SafeReturn(returnUrl));

    [Fact]
    public async Task An_account_with_two_factor_sign_in_cannot_sign_in_to_the_api_with_its_password_alone()
    {
        var email = $"two.factor.{Guid.NewGuid():N}@example.org";
        const string password = "a-long-enough-password";
        using (var scope = app.Services.CreateScope())
        {
            var accounts = scope.ServiceProvider.GetRequiredService<AgentAccounts>();
            var (agent, verdict) = await accounts.CreateAsync("Two Factor", email, AgentRole.Agent, password, Ct);
            Assert.True(verdict.IsOk, verdict.Message);
            var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
            var user = await users.FindByIdAsync(agent!.Id.ToString());
            await users.ResetAuthenticatorKeyAsync(user!);
            await users.SetTwoFactorEnabledAsync(user!, true);
        }
        using var client = app.ClientWithToken(null);
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("auth.two_factor", problem.RootElement.GetProperty("code").GetString());
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("loopdesk=", StringComparison.Ordinal)));
    }
}

public sealed class WorkspaceAccessOnSqlite(SqliteApp app) : WorkspaceAccessTests(app), IClassFixture<SqliteApp>;
