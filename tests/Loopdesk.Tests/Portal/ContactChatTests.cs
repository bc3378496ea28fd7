using Loopdesk.Chat;
using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Loopdesk.Portal;
using Loopdesk.Service;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Portal;

/// <summary>
/// The contact page's live chat, read from the chat site rather than from the setting alone: its team's agents online and
/// whether any has room, its business hours and next opening; on both databases.
/// </summary>
public abstract class ContactChatTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<ChatOffer> OfferAsync()
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var contact = scope.ServiceProvider.GetRequiredService<ContactInfo>();
        return (await contact.ReadAsync(db, Ct)).Chat!;
    }

    private static async Task SetAgentAsync(HttpClient admin, Guid id, object change)
        => (await admin.PatchJsonAsync($"/api/v1/agents/{id}", change, Ct)).EnsureSuccessStatusCode();

    private async Task<ChatSite> SaveSiteAsync(string? key, ChatSiteRequest request)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var (site, problem) = await ChatEndpoints.SaveSiteAsync(db, key, request, null, app.Clock.GetUtcNow(), Ct);
        Assert.Null(problem);
        return site!;
    }

    [Fact]
    public async Task The_contact_page_reports_the_chat_sites_team_online_its_room_and_its_next_opening()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var agentId = app.AgentId(AgentRole.Agent);
        var supervisorId = app.AgentId(AgentRole.Supervisor);
        await SetAgentAsync(admin, supervisorId, new { presence = "online" });
        await SetAgentAsync(admin, agentId, new { presence = "online" });

        // no chat site yet: every online staff member counts, in the portal's hours (around the clock: no calendar)
        var before = await OfferAsync();
        Assert.Null(before.Site);
        Assert.True(before.OnlineNow);
        Assert.True(before.AgentsOnline >= 2);

        // a site of one team: only that team's online agents count
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = "Chat desk " + Guid.NewGuid().ToString("N")[..8] }, Ct)).ReadAsync<TeamDto>(Ct);
        await SetAgentAsync(admin, agentId, new { teamIds = new[] { team.Id }, chatCapacity = 2 });
        var request = new ChatSiteRequest { Name = "A shop", AllowedOrigins = ["https://shop.example"], TeamId = team.Id };
        var site = await SaveSiteAsync(null, request);
        var open = await OfferAsync();
        Assert.Equal(site.Key, open.Site);
        Assert.True(open.OnlineNow);
        Assert.Equal(1, open.AgentsOnline);
        Assert.False(open.Busy);

        // online, but no room for another chat
        await SetAgentAsync(admin, agentId, new { chatCapacity = 0 });
        var busy = await OfferAsync();
        Assert.True(busy.OnlineNow);
        Assert.True(busy.Busy);

        // nobody of the team online: not offered now, and no opening time to promise
        await SetAgentAsync(admin, agentId, new { presence = "offline", chatCapacity = 2 });
        var nobody = await OfferAsync();
        Assert.False(nobody.OnlineNow);
        Assert.Null(nobody.NextOpen);

        // the site's business hours are closed now (a Monday 09:00 UTC): the next opening is the calendar's
        await SetAgentAsync(admin, agentId, new { presence = "online" });
        // the portal's own hours (its first calendar) are in another zone than the chat site's
        (await admin.PostJsonAsync("/api/v1/calendars", new
        {
            name = "Office " + Guid.NewGuid().ToString("N")[..8], timeZoneId = "Europe/Amsterdam", hours = new[] { new { day = "monday", start = "08:00", end = "17:00" } },
        }, Ct)).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var calendar = await (await admin.PostJsonAsync("/api/v1/calendars", new
        {
            name = "Weekend chat " + Guid.NewGuid().ToString("N")[..8], timeZoneId = "America/New_York", hours = new[] { new { day = "saturday", start = "10:00", end = "14:00" } },
        }, Ct)).ReadAsync<CalendarDto>(Ct);
        await SaveSiteAsync(site.Key, new ChatSiteRequest { Name = "A shop", AllowedOrigins = ["https://shop.example"], TeamId = team.Id, CalendarId = calendar.Id });
        var closed = await OfferAsync();
        Assert.False(closed.OnlineNow);
        var now = app.Clock.GetUtcNow();
        Assert.NotNull(closed.NextOpen);
        Assert.Equal(DayOfWeek.Saturday, closed.NextOpen!.Value.UtcDateTime.DayOfWeek);
        Assert.Equal(15, closed.NextOpen.Value.UtcDateTime.Hour); // 10:00 in New York, before its summer time
        Assert.Equal("America/New_York", closed.TimeZone);
        Assert.InRange(closed.NextOpen.Value - now, TimeSpan.Zero, TimeSpan.FromDays(7));

        using var browser = new PortalBrowser(app);
        var html = await browser.PageAsync("/contact");
        Assert.Contains("Chat is not staffed right now.", html);
        Assert.Contains("It opens again Saturday 10:00", html); // in the chat site's zone, not the portal's

        // a switched-off site is not asked: back to counting all online staff
        await SaveSiteAsync(site.Key, new ChatSiteRequest { Name = "A shop", AllowedOrigins = ["https://shop.example"], TeamId = team.Id, Enabled = false });
        Assert.Null((await OfferAsync()).Site);
    }
}

public sealed class ContactChatOnSqlite(PortalSqliteApp app) : ContactChatTests(app), IClassFixture<PortalSqliteApp>;

public sealed class ContactChatOnPostgres(PortalPostgresApp app) : ContactChatTests(app), IClassFixture<PortalPostgresApp>;
