using System.Net;
using System.Net.Http.Headers;
using Bunit;
using Loopdesk.Core.Agents;
using Loopdesk.Platform.Auth;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Web.Account;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tests.Web;

/// <summary>Personal API tokens on the profile page: made with the secret shown once, listed without it, revoked at once.</summary>
public abstract class ProfileTokenTests(LoopdeskApp app) : ComponentTests(app)
{
    private async Task<IRenderedComponent<Profile>> ProfileAsync()
    {
        var page = Render<Profile>();
        await page.WaitForElementAsync("#token-name", Patience);
        return page;
    }

    private static async Task MakeAsync(IRenderedComponent<Profile> page, string name, string? expires = null)
    {
        // each step on the renderer's thread, after the render the one before caused
        await page.InvokeAsync(() => page.Find("#token-name").Change(name));
        if (expires is not null) await page.InvokeAsync(() => page.Find("#token-expires").Change(expires));
        await page.InvokeAsync(() => page.FindAll("button").Single(b => b.TextContent.Trim() == "Make a token").Click());
    }

    [Fact]
    public async Task A_new_token_is_shown_once_works_for_the_api_and_stops_when_revoked()
    {
        var name = $"Script {Guid.NewGuid():N}"[..20];
        var page = await ProfileAsync();
        await MakeAsync(page, name);
        await page.WaitForElementAsync(".token-value", Patience);
        var secret = page.Find(".token-value").TextContent.Trim();
        Assert.StartsWith(ApiToken.SecretPrefix, secret, StringComparison.Ordinal);
        var row = page.FindAll("table.tokens tr").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal));
        Assert.Contains(secret[..10], row.TextContent, StringComparison.Ordinal);
        Assert.Contains("In use", row.TextContent, StringComparison.Ordinal);

        using var api = App.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);

        // the secret is not shown again: not after a reload of the page
        var again = await ProfileAsync();
        // the page reads its tokens after its first render: wait for the list before looking at it
        await again.WaitForAssertionAsync(() => Assert.Contains(name, again.Markup, StringComparison.Ordinal), Patience);
        Assert.DoesNotContain(secret, again.Markup, StringComparison.Ordinal);

        await again.InvokeAsync(() => again.FindAll("table.tokens tr").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal))
            .QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Revoke").Click());
        await again.WaitForAssertionAsync(() => Assert.Contains($"Token {name} revoked", again.Find(".form-ok").TextContent, StringComparison.Ordinal), Patience);
        Assert.Contains("Revoked", again.FindAll("table.tokens tr").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal)).TextContent, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_token_without_a_name_or_expiring_in_the_past_is_refused_and_nothing_is_made()
    {
        var me = App.AgentId(AgentRole.Agent);
        var before = await ReadAsync(db => db.ApiTokens.CountAsync(t => t.AgentId == me, Ct));
        var page = await ProfileAsync();

        await MakeAsync(page, "  ");
        await page.WaitForAssertionAsync(() => Assert.Contains("name", page.Find(".form-error").TextContent, StringComparison.OrdinalIgnoreCase), Patience);
        var yesterday = DateOnly.FromDateTime(App.Clock.GetUtcNow().UtcDateTime).AddDays(-1);
        await MakeAsync(page, "Old script", yesterday.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.WaitForAssertionAsync(() => Assert.Contains("That day has passed", page.Find(".form-error").TextContent, StringComparison.Ordinal), Patience);

        Assert.Empty(page.FindAll(".token-value"));
        Assert.Equal(before, await ReadAsync(db => db.ApiTokens.CountAsync(t => t.AgentId == me, Ct)));
    }

    [Fact]
    public async Task A_token_with_an_end_date_says_until_when_it_works()
    {
        var name = $"Until {Guid.NewGuid():N}"[..20];
        var day = DateOnly.FromDateTime(App.Clock.GetUtcNow().UtcDateTime).AddDays(30);
        var page = await ProfileAsync();
        await MakeAsync(page, name, day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await page.WaitForElementAsync(".token-value", Patience);
        // the list is read again after the token is shown: wait for the new row rather than race the reload
        await page.WaitForAssertionAsync(() => Assert.Contains(page.FindAll("table.tokens tr"), r => r.TextContent.Contains(name, StringComparison.Ordinal)), Patience);
        var row = page.FindAll("table.tokens tr").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal));
        Assert.Contains($"In use until {day.ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture)}", row.TextContent, StringComparison.Ordinal);
    }
}

public sealed class ProfileTokensOnSqlite(SqliteApp app) : ProfileTokenTests(app), IClassFixture<SqliteApp>;

public sealed class ProfileTokensOnPostgres(PostgresApp app) : ProfileTokenTests(app), IClassFixture<PostgresApp>;
