using System.Net;
using System.Text.RegularExpressions;
using Loopdesk.Incidents;
using Loopdesk.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Loopdesk.Tests.Incidents;

/// <summary>What the status tests do as a visitor (forms with their anti-forgery token) and as a supervisor.</summary>
public static partial class StatusKit
{
    /// <summary>Posts a form of a public page as a browser does: reads the page (for its token and cookie), then submits.</summary>
    public static async Task<(HttpStatusCode Status, string Html)> SubmitAsync(HttpClient browser, string url, string formName, IDictionary<string, string>? fields, CancellationToken ct)
    {
        var page = await browser.GetStringAsync(url, ct);
        var token = Token().Match(page);
        Assert.True(token.Success, $"no anti-forgery token on {url}");
        var form = new Dictionary<string, string>(fields ?? new Dictionary<string, string>())
        {
            ["_handler"] = formName,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        };
        using var response = await browser.PostAsync(url, new FormUrlEncodedContent(form), ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    public static Task<(HttpStatusCode Status, string Html)> SubscribeAsync(HttpClient browser, string email, CancellationToken ct)
        => SubmitAsync(browser, "/status/subscribe", "subscribe", new Dictionary<string, string> { ["Email"] = email }, ct);

    public static async Task<IncidentDto> CreateIncidentAsync(HttpClient supervisor, object body, CancellationToken ct)
    {
        var response = await supervisor.PostJsonAsync("/api/v1/incidents", body, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<IncidentDto>(ct);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex Token();
}

/// <summary>SQLite with room for many subscriptions from the test client's one address.</summary>
public sealed class RoomySqliteApp : SqliteApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Loopdesk:Status:SubscriptionsPerHour", "1000");
    }
}

public sealed class RoomyPostgresApp : PostgresApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Loopdesk:Status:SubscriptionsPerHour", "1000");
    }
}
