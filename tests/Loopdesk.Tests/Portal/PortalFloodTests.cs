using System.Net;
using Loopdesk.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tests.Portal;

public class FloodSqliteApp : SqliteApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        PortalSettings.Apply(builder, 3);
    }
}

public class FloodPostgresApp : PostgresApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        PortalSettings.Apply(builder, 3);
    }
}

/// <summary>A flood of form posts from one address is cut off by the rate limit before anything is written.</summary>
public abstract class PortalFloodTests(LoopdeskApp app)
{
    [Fact]
    public async Task A_flood_of_requests_from_one_address_is_rate_limited_and_leaves_nothing_half_written()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = new PortalBrowser(app);
        var email = $"flood{Guid.NewGuid():N}@example.com";
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var r = await browser.SubmitAsync("/request", "/request", new Dictionary<string, string>
            {
                ["Name"] = "Flo Od", ["Email"] = email, ["Subject"] = $"Flood {i}", ["Description"] = "Again and again.", ["Category"] = "question",
            });
            statuses.Add(r.StatusCode);
        }
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // reading pages is not limited
        await browser.PageAsync("/help");
        var tickets = await PortalData.WithDbAsync(app, db => db.Tickets.Where(t => t.Subject.StartsWith("Flood ")).Where(t => db.CustomerIdentities.Any(c => c.Value == email && c.CustomerId == t.CustomerId)).CountAsync(ct));
        Assert.Equal(3, tickets);
    }
}

public sealed class PortalFloodOnSqlite(FloodSqliteApp app) : PortalFloodTests(app), IClassFixture<FloodSqliteApp>;

public sealed class PortalFloodOnPostgres(FloodPostgresApp app) : PortalFloodTests(app), IClassFixture<FloodPostgresApp>;
