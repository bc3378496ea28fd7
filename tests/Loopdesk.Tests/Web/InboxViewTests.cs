using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Loopdesk.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Loopdesk.Web.Workspace;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Web;

/// <summary>
/// What each inbox holds, in what order, and the count the menu shows beside it: tickets made and changed through the
/// API, the pages read as the browser gets them (prerendered HTML) by an agent signed in with a password. Inboxes that
/// belong to nobody in particular (unassigned, pending …) are shared by the tests of a class, so those tests look at
/// their own tickets and at how the counts moved.
/// </summary>
public abstract partial class InboxViewTests(LoopdeskApp app)
{
    private const string Password = "inbox-test-password-1";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task My_open_tickets_are_the_working_tickets_I_own_newest_first()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var (me, browser) = await AgentAsync("agent", []);
        using var _ = browser;
        var (other, otherBrowser) = await AgentAsync("agent", []);
        otherBrowser.Dispose();

        var isNew = await TicketAsync(admin, assignee: me);
        var open = await TicketAsync(admin, assignee: me, status: "open");
        var pending = await TicketAsync(admin, assignee: me, status: "pending");
        var onHold = await TicketAsync(admin, assignee: me, status: "on-hold");
        await TicketAsync(admin, assignee: me, status: "solved");
        await TicketAsync(admin, assignee: other, status: "open");
        await TicketAsync(admin);

        var (rows, count) = await InboxAsync(browser, "mine");
        Assert.Equal([onHold, pending, open, isNew], rows);
        Assert.Equal("4", count);
    }

    [Fact]
    public async Task My_team_merges_the_working_tickets_of_every_team_I_belong_to_newest_first()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var support = await TeamAsync(admin);
        var billing = await TeamAsync(admin);
        var sales = await TeamAsync(admin);
        var (_, browser) = await AgentAsync("agent", [support, billing]);
        using var __ = browser;

        // interleaved in time over two teams and three statuses, so the page has to merge them
        var first = await TicketAsync(admin, team: support);
        var second = await TicketAsync(admin, team: billing, status: "open");
        await TicketAsync(admin, team: support, status: "solved");
        var third = await TicketAsync(admin, team: support, status: "pending");
        await TicketAsync(admin, team: sales, status: "open");
        var fourth = await TicketAsync(admin, team: billing);
        var fifth = await TicketAsync(admin, team: billing, status: "on-hold");
        await TicketAsync(admin);

        var (rows, count) = await InboxAsync(browser, "team");
        Assert.Equal([fifth, fourth, third, second, first], rows);
        Assert.Equal("5", count);
    }

    [Fact]
    public async Task The_shared_inboxes_hold_what_the_docs_say_and_their_counts_follow()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var (me, browser) = await AgentAsync("agent", []);
        using var _ = browser;
        var before = await CountsAsync(browser);

        var unassignedNew = await TicketAsync(admin);
        var unassignedOpen = await TicketAsync(admin, status: "open");
        var ownedNew = await TicketAsync(admin, assignee: me);
        var pending = await TicketAsync(admin, status: "pending");
        var onHold = await TicketAsync(admin, assignee: me, status: "on-hold");
        var solved = await TicketAsync(admin, status: "solved");
        var closed = await TicketAsync(admin, status: "closed");
        var followUp = await TicketAsync(admin, followUpOf: solved);
        var solvedFollowUp = await TicketAsync(admin, followUpOf: closed, status: "solved");
        var internalChannel = await TicketAsync(admin, channel: "internal");
        var internalType = await TicketAsync(admin, type: "internal-request", assignee: me, status: "pending");
        var internalSolved = await TicketAsync(admin, channel: "internal", status: "solved");

        var all = new[] { unassignedNew, unassignedOpen, ownedNew, pending, onHold, solved, closed, followUp, solvedFollowUp, internalChannel, internalType, internalSolved };
        var expected = new Dictionary<string, string[]>
        {
            ["unassigned"] = [internalChannel, followUp, unassignedOpen, unassignedNew],
            ["pending"] = [internalType, onHold, pending],
            ["awaiting"] = [internalSolved, solvedFollowUp, solved],
            ["follow-ups"] = [followUp],
            ["internal"] = [internalType, internalChannel],
        };
        var after = await CountsAsync(browser);
        foreach (var (view, tickets) in expected)
        {
            var (rows, _) = await InboxAsync(browser, view);
            Assert.Equal(tickets, rows.Where(all.Contains));
            Assert.Equal(Count(before[view]) + tickets.Length, Count(after[view]));
        }
    }

    [Fact]
    public async Task Breaching_soon_holds_new_and_open_tickets_with_a_target_due_within_two_hours_or_missed()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var policy = await admin.PostAsJsonAsync("/api/v1/sla-policies", new
        {
            name = $"Urgent {Guid.NewGuid():N}",
            priorities = new[] { "urgent" },
            firstReplySeconds = 3 * 3600,
            resolutionSeconds = 4 * 3600,
        }, LoopdeskApp.JsonOptions, Ct);
        Assert.Equal(HttpStatusCode.Created, policy.StatusCode);
        var (_, browser) = await AgentAsync("agent", []);
        using var _ = browser;
        var before = Count((await CountsAsync(browser))["breaching"]);

        var urgent = await TicketAsync(admin, priority: "urgent");
        var urgentOpen = await TicketAsync(admin, priority: "urgent", status: "open");
        var paused = await TicketAsync(admin, priority: "urgent", status: "pending");
        var uncovered = await TicketAsync(admin);
        var mine = new[] { urgent, urgentOpen, paused, uncovered };

        // first reply due in three hours: not yet
        var (rows, count) = await InboxAsync(browser, "breaching");
        Assert.DoesNotContain(rows, mine.Contains);
        Assert.Equal(before, Count(count));

        app.Clock.Advance(TimeSpan.FromMinutes(70));
        (rows, count) = await InboxAsync(browser, "breaching");
        Assert.Equal([urgentOpen, urgent], rows.Where(mine.Contains));
        Assert.Equal(before + 2, Count(count));

        // missed is still in the inbox; and a ticket whose first reply and resolution are both missed counts once
        app.Clock.Advance(TimeSpan.FromHours(3));
        (rows, count) = await InboxAsync(browser, "breaching");
        Assert.Equal([urgentOpen, urgent], rows.Where(mine.Contains));
        Assert.Equal(before + 2, Count(count));
    }

    [Fact]
    public async Task A_collaborator_sees_and_counts_only_the_tickets_shared_with_them()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var (collaborator, browser) = await AgentAsync("collaborator", []);
        using var _ = browser;

        var shared = await TicketAsync(admin);
        var sharedPending = await TicketAsync(admin, status: "pending");
        await TicketAsync(admin);
        await TicketAsync(admin, status: "pending");
        foreach (var reference in new[] { shared, sharedPending })
        {
            var response = await admin.PatchJsonAsync($"/api/v1/tickets/{reference}", new { shareWith = collaborator }, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var (rows, count) = await InboxAsync(browser, "unassigned");
        Assert.Equal([shared], rows);
        Assert.Equal("1", count);
        (rows, count) = await InboxAsync(browser, "pending");
        Assert.Equal([sharedPending], rows);
        Assert.Equal("1", count);
        (rows, count) = await InboxAsync(browser, "awaiting");
        Assert.Empty(rows);
        Assert.Equal("0", count);
    }

    [Fact]
    public async Task A_saved_view_lists_and_counts_the_tickets_its_filters_pick()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var (me, browser) = await AgentAsync("agent", []);
        using var _ = browser;
        var newHigh = await TicketAsync(admin, assignee: me, priority: "high");
        var pendingHigh = await TicketAsync(admin, assignee: me, priority: "high", status: "pending");
        await TicketAsync(admin, assignee: me, priority: "high", status: "solved");
        await TicketAsync(admin, assignee: me);
        var openHigh = await TicketAsync(admin, assignee: me, priority: "high", status: "open");
        await TicketAsync(admin, priority: "high");

        Guid id;
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            var view = new SavedView(me, "My urgent work", app.Clock.GetUtcNow())
            {
                Statuses = [TicketStatus.New, TicketStatus.Open, TicketStatus.Pending],
                Priority = TicketPriority.High,
                Owner = OwnerFilter.Me,
            };
            db.SavedViews.Add(view);
            await db.SaveChangesAsync(Ct);
            id = view.Id;
        }

        var (rows, count) = await InboxAsync(browser, $"view/{id}");
        Assert.Equal([openHigh, pendingHigh, newHigh], rows);
        Assert.Equal("3", count);
    }

    [Fact]
    public async Task Agents_share_the_counts_of_the_common_inboxes_until_a_ticket_changes()
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var (_, first) = await AgentAsync("agent", []);
        var (_, second) = await AgentAsync("agent", []);
        using var _1 = first;
        using var _2 = second;
        var shared = app.Services.GetRequiredService<SharedCounts>();

        var before = await CountsAsync(first);
        var counted = shared.Counted;
        var same = await CountsAsync(second);
        Assert.Equal(counted, shared.Counted);
        Assert.All(SharedCounts.Keys, key => Assert.Equal(before[key], same[key]));

        await TicketAsync(admin);
        var after = await CountsAsync(second);
        Assert.Equal(counted + 1, shared.Counted);
        Assert.Equal(Count(before["unassigned"]) + 1, Count(after["unassigned"]));
    }

    [Fact]
    public void A_count_past_the_cap_shows_as_the_cap_and_more()
    {
        Assert.Equal("0", InboxViews.Label(0));
        Assert.Equal("999", InboxViews.Label(InboxViews.CountCap));
        Assert.Equal("999+", InboxViews.Label(InboxViews.CountCap + 1));
    }

    /// <summary>A new staff member with a password, in the given teams, and a browser signed in as them.</summary>
    private async Task<(Guid Id, HttpClient Browser)> AgentAsync(string role, Guid[] teams)
    {
        using var admin = app.CreateClient(Core.Agents.AgentRole.Admin);
        var email = $"inbox.{Guid.NewGuid():N}@loopdesk.test";
        var created = await admin.PostAsJsonAsync("/api/v1/agents", new { name = "Inbox Tester", email, role, teamIds = teams, password = Password }, LoopdeskApp.JsonOptions, Ct);
        var agent = await created.ReadAsync<AgentDto>(Ct);
        // the cookie is carried by hand: it expires by the test's clock, which a cookie jar would hold to be long past
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var signIn = await browser.PostAsJsonAsync("/api/v1/auth/login", new { email, password = Password }, Ct);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        browser.DefaultRequestHeaders.Add("Cookie", string.Join("; ", signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        return (agent.Id, browser);
    }

    private static async Task<Guid> TeamAsync(HttpClient admin)
    {
        var response = await admin.PostJsonAsync("/api/v1/teams", new { name = $"Team {Guid.NewGuid():N}"[..20] }, Ct);
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return doc.RootElement.GetProperty("id").GetGuid();
    }

    private readonly Dictionary<string, string> _customerEmails = [];

    /// <summary>A ticket a minute after the last one (so newest-first has one answer), brought to the state asked for; its reference.</summary>
    private async Task<string> TicketAsync(HttpClient admin, Guid? assignee = null, string? status = null, Guid? team = null, string? priority = null,
        string channel = "email", string? type = null, string? followUpOf = null)
    {
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        // a follow-up comes from the customer of the ticket it follows
        var email = followUpOf is null ? $"c{Guid.NewGuid():N}@example.com" : _customerEmails[followUpOf];
        var response = await admin.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Inbox test",
            body = "Please help.",
            channel,
            type = type ?? "question",
            priority = priority ?? "normal",
            teamId = team,
            followUpOf,
            customer = new { name = "Inbox Customer", email },
        }, Ct);
        var ticket = await response.ReadAsync<TicketDto>(Ct);
        _customerEmails[ticket.Reference] = email;
        // the router may give a team's ticket to one of its people; the test says who owns it
        var change = new Dictionary<string, object?> { ["assigneeId"] = assignee };
        if (status is "solved" or "closed") change["status"] = "open";
        else if (status is not null) change["status"] = status;
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", change, Ct)).StatusCode);
        if (status is "solved" or "closed")
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, Ct)).StatusCode);
        }
        if (status is "closed")
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "closed" }, Ct)).StatusCode);
        }
        return ticket.Reference;
    }

    /// <summary>The references an inbox page lists, in order, and the count the menu shows beside it.</summary>
    private static async Task<(List<string> Rows, string? Count)> InboxAsync(HttpClient browser, string view)
    {
        var response = await browser.GetAsync($"/inbox/{view}", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /inbox/{view}: {(int)response.StatusCode}");
        var rows = RowLink().Matches(html).Select(m => m.Groups[1].Value).ToList();
        return (rows, MenuCount(html, $"/inbox/{view}"));
    }

    private static async Task<Dictionary<string, string?>> CountsAsync(HttpClient browser)
    {
        var html = await browser.GetStringAsync("/inbox/mine", Ct);
        return InboxViews.All.ToDictionary(v => v.Key, v => MenuCount(html, $"/inbox/{v.Key}"));
    }

    private static string? MenuCount(string html, string path)
    {
        var at = html.IndexOf($"href=\"{path}\"", StringComparison.Ordinal);
        if (at < 0) return null;
        var end = html.IndexOf("</a>", at, StringComparison.Ordinal);
        var match = CountSpan().Match(html[at..end]);
        return match.Success ? match.Groups[1].Value : null;
    }

    private static int Count(string? shown) => int.Parse(shown ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("<tr[^>]*data-href=\"/tickets/([^\"]+)\"")]
    private static partial Regex RowLink();

    [GeneratedRegex("class=\"count\"[^>]*>([^<]*)<")]
    private static partial Regex CountSpan();
}

public sealed class InboxViewsOnSqlite(SqliteApp app) : InboxViewTests(app), IClassFixture<SqliteApp>;

public sealed class InboxViewsOnPostgres(PostgresApp app) : InboxViewTests(app), IClassFixture<PostgresApp>;
