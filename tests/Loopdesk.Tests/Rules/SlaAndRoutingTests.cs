using System.Net;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Service;
using Loopdesk.Service;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Rules;

/// <summary>
/// Service levels in business time (calendars, policies, pauses, warnings and breaches on the ticket) and routing to
/// one owner. Policies here cover only the priority "urgent" or one organization, so other tests' tickets are untouched.
/// </summary>
public abstract class SlaAndRoutingTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewEmail() => $"c{Guid.NewGuid():N}@example.com";

    private static string Unique(string name) => $"{name} {Guid.NewGuid():N}"[..(name.Length + 9)];

    private static async Task<TicketDto> UrgentTicketAsync(HttpClient client, string subject)
    {
        var response = await client.PostJsonAsync("/api/v1/tickets", new { subject, body = "It is down.", priority = "urgent", customer = new { email = NewEmail() } }, Ct);
        return await response.ReadAsync<TicketDto>(Ct);
    }

    private static async Task<TicketSlaDto> SlaAsync(HttpClient client, string reference) => await client.GetJsonAsync<TicketSlaDto>($"/api/v1/tickets/{reference}/sla", Ct);

    [Fact]
    public async Task A_policy_on_business_hours_sets_due_times_pauses_while_waiting_and_records_warning_and_breach()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var hours = Enum.GetValues<DayOfWeek>().Where(d => d is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            .SelectMany(d => new[] { new { day = d.ToString().ToLowerInvariant(), start = "09:00", end = "12:00" }, new { day = d.ToString().ToLowerInvariant(), start = "13:00", end = "17:00" } })
            .ToArray();
        var calendar = await (await admin.PostJsonAsync("/api/v1/calendars", new { name = Unique("Office"), timeZoneId = "Europe/Amsterdam", hours, holidays = Array.Empty<string>() }, Ct))
            .ReadAsync<CalendarDto>(Ct);
        var policy = await (await admin.PostJsonAsync("/api/v1/sla-policies", new
        {
            name = Unique("Urgent"), priorities = new[] { "urgent" }, calendarId = calendar.Id,
            firstReplySeconds = 7200, resolutionSeconds = 4 * 3600, warnBeforeSeconds = 1800, position = 1,
        }, Ct)).ReadAsync<SlaPolicyDto>(Ct);
        Assert.True(BusinessCalendarRow(calendar, out var business));

        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await UrgentTicketAsync(agent, "Checkout is down");
        var created = app.Clock.GetUtcNow();
        var sla = await SlaAsync(agent, ticket.Reference);
        Assert.Equal(policy.Name, sla.Policy);
        var first = sla.Clocks.Single(c => c.Metric == "first-reply");
        Assert.Equal(business.Add(created, TimeSpan.FromHours(2)), first.DueAt);
        // the acknowledgement states the honest time: the due time of the first reply
        var ack = (await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)).Single(m => m.AuthorKind == Core.Common.ActorKind.System);
        Assert.Contains("You will hear from one of us", ack.Body, StringComparison.Ordinal);

        // waiting on the customer pauses the clocks; the time used is kept
        app.Clock.Advance(TimeSpan.FromMinutes(30));
        (await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "pending" }, Ct)).EnsureSuccessStatusCode();
        var paused = (await SlaAsync(agent, ticket.Reference)).Clocks.Single(c => c.Metric == "first-reply");
        Assert.Equal("paused", paused.State);
        Assert.Null(paused.DueAt);
        var usedBefore = paused.UsedSeconds;
        await app.AdvanceAsync(TimeSpan.FromDays(2));
        Assert.DoesNotContain(await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct), e => e.Type.StartsWith("sla.", StringComparison.Ordinal));

        (await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "open" }, Ct)).EnsureSuccessStatusCode();
        var resumed = (await SlaAsync(agent, ticket.Reference)).Clocks.Single(c => c.Metric == "first-reply");
        Assert.Equal(usedBefore, resumed.UsedSeconds);
        var resumedAt = app.Clock.GetUtcNow();
        Assert.Equal(business.Add(resumedAt, TimeSpan.FromSeconds(7200 - usedBefore)), resumed.DueAt);

        // half an hour of business time before the due time: "will breach"; after it: breached
        var warnAt = business.Add(resumedAt, TimeSpan.FromSeconds(7200 - usedBefore - 1800));
        await app.AdvanceAsync(warnAt - app.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        var events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
        var warning = Assert.Single(events, e => e.Type == "sla.warning");
        Assert.Equal("first-reply", warning.Data.GetProperty("metric").GetString());
        Assert.DoesNotContain(events, e => e.Type == "sla.breached");
        await app.AdvanceAsync(resumed.DueAt!.Value - app.Clock.GetUtcNow() + TimeSpan.FromSeconds(1));
        events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
        Assert.Single(events, e => e.Type == "sla.breached" && e.Data.GetProperty("metric").GetString() == "first-reply");
        Assert.Equal("breached", (await SlaAsync(agent, ticket.Reference)).Clocks.Single(c => c.Metric == "first-reply").State);

        // our reply stops first reply (late); the customer's next message starts next reply only if the policy has one
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Sorry, we are on it.", lexiconOverride = true }, Ct)).EnsureSuccessStatusCode();
        var stopped = (await SlaAsync(agent, ticket.Reference)).Clocks.Single(c => c.Metric == "first-reply");
        Assert.NotNull(stopped.StoppedAt);
        Assert.NotNull(stopped.BreachedAt);
    }

    private static bool BusinessCalendarRow(CalendarDto dto, out BusinessCalendar calendar)
    {
        var ok = CalendarRow.Parse(dto.TimeZoneId, dto.Hours, dto.Holidays, out var parsed).IsOk;
        calendar = parsed!;
        return ok;
    }

    [Fact]
    public async Task A_reply_in_time_meets_first_reply_and_the_customers_next_message_starts_next_reply()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var org = await (await admin.PostJsonAsync("/api/v1/organizations", new { name = Unique("Acme") }, Ct)).ReadAsync<global::Loopdesk.Organizations.OrganizationDto>(Ct);
        (await admin.PostJsonAsync("/api/v1/sla-policies", new
        {
            name = Unique("Acme"), organizationId = org.Id, firstReplySeconds = 3600, nextReplySeconds = 1800, position = 2,
        }, Ct)).EnsureSuccessStatusCode();
        var email = NewEmail();
        var customer = await (await admin.PostJsonAsync("/api/v1/customers", new { name = "Acme Buyer", emails = new[] { email }, organizationId = org.Id }, Ct))
            .ReadAsync<global::Loopdesk.Customers.CustomerDto>(Ct);
        Assert.Equal(org.Id, customer.OrganizationId);
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Bulk order", Ct, email: email);

        app.Clock.Advance(TimeSpan.FromMinutes(20));
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Happy to help with the order.", lexiconOverride = true }, Ct)).EnsureSuccessStatusCode();
        var clocks = (await SlaAsync(agent, ticket.Reference)).Clocks;
        Assert.Equal("met", clocks.Single(c => c.Metric == "first-reply").State);
        Assert.DoesNotContain(clocks, c => c.Metric == "next-reply");

        app.Clock.Advance(TimeSpan.FromMinutes(5));
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "One more question.", direction = "inbound" }, Ct)).EnsureSuccessStatusCode();
        var next = (await SlaAsync(agent, ticket.Reference)).Clocks.Single(c => c.Metric == "next-reply");
        Assert.Equal(app.Clock.GetUtcNow().AddMinutes(30), next.DueAt);
    }

    [Theory]
    [InlineData("Mars/Olympus", "09:00", "17:00", "09:00", "17:00", "calendar.unknown_time_zone")]
    [InlineData("Europe/Amsterdam", "09:00", "13:00", "12:00", "17:00", "calendar.overlapping_hours")]
    [InlineData("Europe/Amsterdam", "17:00", "09:00", "18:00", "19:00", "calendar.invalid_interval")]
    public async Task A_calendar_with_an_unknown_zone_or_overlapping_hours_is_refused(string zone, string s1, string e1, string s2, string e2, string code)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var before = (await admin.GetJsonAsync<List<CalendarDto>>("/api/v1/calendars", Ct)).Count;
        var response = await admin.PostJsonAsync("/api/v1/calendars", new
        {
            name = Unique("Bad"), timeZoneId = zone,
            hours = new[] { new { day = "monday", start = s1, end = e1 }, new { day = "monday", start = s2, end = e2 } },
        }, Ct);
        Assert.Equal(code, (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        Assert.Equal(before, (await admin.GetJsonAsync<List<CalendarDto>>("/api/v1/calendars", Ct)).Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    public async Task An_sla_target_of_zero_or_less_is_refused(long seconds)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var response = await admin.PostJsonAsync("/api/v1/sla-policies", new { name = Unique("Broken"), firstReplySeconds = seconds }, Ct);
        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("sla.invalid_target", problem.GetProperty("code").GetString());
        Assert.Equal("firstReplySeconds", problem.Field());
        Assert.DoesNotContain(await admin.GetJsonAsync<List<SlaPolicyDto>>("/api/v1/sla-policies", Ct), p => p.Name.StartsWith("Broken", StringComparison.Ordinal));
    }

    private async Task<(TeamDto Team, List<Guid> Agents)> TeamWithAgentsAsync(string routing, int agents, Action<int, Dictionary<string, object>>? configure = null)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = Unique("Route"), routing }, Ct)).ReadAsync<TeamDto>(Ct);
        var ids = new List<Guid>();
        for (var i = 0; i < agents; i++)
        {
            var agent = await (await admin.PostJsonAsync("/api/v1/agents", new { name = $"Router {i}", email = $"r{Guid.NewGuid():N}@loopdesk.test", role = "agent" }, Ct))
                .ReadAsync<AgentDto>(Ct);
            var change = new Dictionary<string, object> { ["teamIds"] = new[] { team.Id }, ["presence"] = "online" };
            configure?.Invoke(i, change);
            (await admin.PatchJsonAsync($"/api/v1/agents/{agent.Id}", change, Ct)).EnsureSuccessStatusCode();
            ids.Add(agent.Id);
        }
        return (team, ids);
    }

    private async Task<TicketDto> TeamTicketAsync(Guid teamId, string subject, string? email = null, string[]? tags = null)
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var response = await agent.PostJsonAsync("/api/v1/tickets", new { subject, body = "Please help.", teamId, tags = tags ?? [], customer = new { email = email ?? NewEmail() } }, Ct);
        return await response.ReadAsync<TicketDto>(Ct);
    }

    [Fact]
    public async Task Least_loaded_routing_gives_a_new_ticket_to_the_online_member_with_least_open_work()
    {
        var (team, agents) = await TeamWithAgentsAsync("least-loaded", 3, (i, c) => { if (i == 2) c["presence"] = "offline"; });
        var owners = new List<Guid?>();
        for (var i = 0; i < 4; i++) owners.Add((await TeamTicketAsync(team.Id, $"Routed {i}")).AssigneeId);

        Assert.All(owners, o => Assert.Contains(o!.Value, agents.Take(2)));
        Assert.Equal(2, owners.Count(o => o == agents[0]));
        Assert.Equal(2, owners.Count(o => o == agents[1]));
    }

    [Fact]
    public async Task Round_robin_takes_turns_skips_a_full_agent_and_prefers_matching_skills()
    {
        var (team, agents) = await TeamWithAgentsAsync("round-robin", 3, (i, c) =>
        {
            if (i == 1) c["ticketCapacity"] = 0;
            if (i == 2) c["skills"] = new[] { "billing" };
        });
        var a = await TeamTicketAsync(team.Id, "Turn one");
        var b = await TeamTicketAsync(team.Id, "Turn two");
        Assert.NotEqual(a.AssigneeId, b.AssigneeId);
        Assert.DoesNotContain(agents[1], new[] { a.AssigneeId!.Value, b.AssigneeId!.Value });

        var billing = await TeamTicketAsync(team.Id, "Invoice wrong", tags: ["billing"]);
        Assert.Equal(agents[2], billing.AssigneeId);
    }

    [Fact]
    public async Task A_returning_customer_stays_with_their_owner_and_manual_teams_are_left_alone()
    {
        var (team, agents) = await TeamWithAgentsAsync("least-loaded", 2);
        var email = NewEmail();
        var first = await TeamTicketAsync(team.Id, "First question", email);
        var owner = first.AssigneeId!.Value;
        for (var i = 0; i < 3; i++) await TeamTicketAsync(team.Id, $"Other {i}");

        var second = await TeamTicketAsync(team.Id, "Second question", email);
        Assert.Equal(owner, second.AssigneeId);

        var (manual, _) = await TeamWithAgentsAsync("manual", 1);
        Assert.Null((await TeamTicketAsync(manual.Id, "Nobody routes me")).AssigneeId);
        Assert.Contains(owner, agents);
    }

    [Fact]
    public async Task A_rule_sends_tickets_to_a_team_by_keyword_and_routing_picks_the_owner()
    {
        var (team, agents) = await TeamWithAgentsAsync("least-loaded", 1);
        var word = "zorblax" + Guid.NewGuid().ToString("N")[..6];
        using var admin = app.CreateClient(AgentRole.Admin);
        (await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = $"Route {word}",
            events = new[] { "ticket.created" },
            conditions = new[] { new { field = "ticket.subject", @operator = "contains", value = word } },
            actions = new[] { new { type = "assign_team", value = team.Id.ToString() } },
        }, Ct)).EnsureSuccessStatusCode();
        using var agent = app.CreateClient(AgentRole.Agent);

        var routed = await agent.CreateTicketAsync($"My {word} broke", Ct);

        var now = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{routed.Reference}", Ct);
        Assert.Equal(team.Id, now.TeamId);
        Assert.Equal(agents[0], now.AssigneeId);
    }
}

public sealed class SlaAndRoutingOnSqlite(SqliteApp app) : SlaAndRoutingTests(app), IClassFixture<SqliteApp>;

public sealed class SlaAndRoutingOnPostgres(PostgresApp app) : SlaAndRoutingTests(app), IClassFixture<PostgresApp>;
