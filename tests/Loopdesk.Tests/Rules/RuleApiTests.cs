using System.Diagnostics;
using System.Net;
using Loopdesk.Core.Common;
using Loopdesk.Core.Rules;
using Loopdesk.Core.Tickets;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Rules;

public abstract class RuleApiTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] BuiltinKeys =
    [
        "close-the-loop", "repeat-contact", "follow-up-routing", "rule-of-three", "resolved-means-agreed",
        "promises-kept", "silence-noticed", "language", "keep-informed", "know-the-customer",
    ];

    [Fact]
    public async Task The_ten_builtin_rules_are_listed_enabled_with_their_settings_explained()
    {
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);

        var rules = await RuleKit.ListAsync(agent, Ct);

        var builtins = rules.Where(r => r.Builtin).ToList();
        Assert.Equal(BuiltinKeys.Order(StringComparer.Ordinal), builtins.Select(r => r.Key!).Order(StringComparer.Ordinal));
        Assert.All(builtins, r =>
        {
            Assert.True(r.Enabled, r.Key);
            Assert.False(string.IsNullOrWhiteSpace(r.Name));
            Assert.NotNull(r.SettingsHelp);
            Assert.Equal(r.SettingsHelp!.Keys.Order(StringComparer.Ordinal), r.Settings.Keys.Order(StringComparer.Ordinal));
            Assert.All(r.SettingsHelp.Values, help => Assert.False(string.IsNullOrWhiteSpace(help.Description)));
        });
        var repeat = builtins.Single(r => r.Key == "repeat-contact");
        Assert.Equal(["contacts", "teamId", "tier", "windowSeconds"], repeat.Settings.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("count", repeat.SettingsHelp!["contacts"].Kind);
        Assert.Equal(3, repeat.SettingsHelp["contacts"].Default.GetInt32());
        Assert.Equal(["contact.recorded"], repeat.Events);
        // built-ins run first, in their order
        Assert.Equal(BuiltinKeys.Length, rules.TakeWhile(r => r.Builtin).Count());
    }

    [Fact]
    public async Task A_custom_rule_acts_on_a_matching_ticket_with_every_action_and_leaves_others_alone()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var team = await RuleKit.TeamWithMemberAsync(app, admin, Ct);
        using var member = team.Member;
        var marker = RuleKit.Marker();
        var rule = await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Refunds go to billing",
            events = new[] { "ticket.created" },
            conditions = new object[]
            {
                new { field = "ticket.subject", @operator = "contains", value = "refund" },
                new { field = "ticket.subject", @operator = "contains", value = marker },
            },
            actions = new object[]
            {
                new { type = "add_tag", value = "billing" },
                new { type = "set_priority", value = "high" },
                new { type = "add_note", body = "Refund request from {{ customer.name }} on {{ ticket.reference }}." },
                new { type = "send_reply", body = "Hello {{ customer.first_name }}, your refund request {{ ticket.reference }} is with our billing team." },
                new { type = "notify_team", value = team.TeamId.ToString(), body = "A refund was asked on {{ ticket.reference }}." },
                new { type = "create_commitment", body = "Decide on the refund for {{ customer.first_name }}", dueInSeconds = 86_400 },
            },
        }, Ct);
        Assert.False(rule.Builtin);
        Assert.True(rule.Enabled);
        Assert.Equal(6, rule.Actions.Count);

        var now = app.Clock.GetUtcNow();
        var ticket = await agent.CreateTicketAsync($"Refund please {marker}", Ct, name: "Greta Berg");

        var read = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Contains("billing", read.Tags);
        Assert.Equal(TicketPriority.High, read.Priority);

        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        var byRule = messages.Where(m => m.AuthorKind == ActorKind.System && m.AuthorId == rule.Id).ToList();
        var note = Assert.Single(byRule, m => m.Internal);
        Assert.Equal($"Refund request from Greta Berg on {ticket.Reference}.", note.Body);
        var reply = Assert.Single(byRule, m => !m.Internal);
        Assert.Equal(MessageDirection.Outbound, reply.Direction);
        Assert.Equal($"Hello Greta, your refund request {ticket.Reference} is with our billing team.", reply.Body);

        var notifications = await member.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct);
        var notice = Assert.Single(notifications, n => n.TicketId == ticket.Id);
        Assert.Equal($"A refund was asked on {ticket.Reference}.", notice.Text);

        var commitments = await agent.GetJsonAsync<List<CommitmentDto>>($"/api/v1/tickets/{ticket.Reference}/commitments", Ct);
        var commitment = Assert.Single(commitments);
        Assert.Equal("Decide on the refund for Greta", commitment.Description);
        Assert.Equal(now.AddDays(1), commitment.DueAt);
        Assert.Equal("open", commitment.State);

        var events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
        var ruleEvents = events.Where(e => e.ActorId == rule.Id).ToList();
        Assert.All(ruleEvents, e => Assert.Equal(ActorKind.System, e.ActorKind));
        Assert.Contains(ruleEvents, e => e.Type == "ticket.tags_changed");
        Assert.Contains(ruleEvents, e => e.Type == "ticket.priority_changed");
        Assert.Contains(ruleEvents, e => e.Type == "note.added");
        Assert.Contains(ruleEvents, e => e.Type == "message.added");
        Assert.Contains(ruleEvents, e => e.Type == "commitment.made");

        var runs = await agent.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{rule.Id}/runs", Ct);
        var run = Assert.Single(runs);
        Assert.Equal(ticket.Id, run.TicketId);
        Assert.Equal("ticket.created", run.Trigger);
        Assert.Equal(RuleOutcome.Applied, run.Outcome);
        foreach (var action in new[] { "add_tag", "set_priority", "add_note", "send_reply", "notify_team", "create_commitment" }) Assert.Contains(action, run.Detail);

        // a refund without this test's marker, and this marker without a refund: the rule stays out of it
        var other = await agent.CreateTicketAsync($"Where is my parcel {marker}", Ct);
        var otherRead = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{other.Reference}", Ct);
        Assert.DoesNotContain("billing", otherRead.Tags);
        Assert.Equal(TicketPriority.Normal, otherRead.Priority);
        var otherMessages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{other.Reference}/messages", Ct);
        Assert.DoesNotContain(otherMessages, m => m.AuthorId == rule.Id);
        var otherEvents = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{other.Reference}/events", Ct);
        Assert.DoesNotContain(otherEvents, e => e.ActorId == rule.Id);
        Assert.Empty(await agent.GetJsonAsync<List<CommitmentDto>>($"/api/v1/tickets/{other.Reference}/commitments", Ct));
        Assert.Single(await member.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct));
        Assert.Single(await agent.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{rule.Id}/runs", Ct));
    }

    [Fact]
    public async Task A_rule_that_fails_as_it_runs_is_logged_as_failed_and_the_change_that_started_it_still_saves()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var marker = RuleKit.Marker();
        // no one owns a new ticket, so the promise renders empty and cannot be made
        var rule = await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Owner promises",
            events = new[] { "ticket.created" },
            conditions = new object[] { new { field = "ticket.subject", @operator = "contains", value = marker } },
            actions = new object[] { new { type = "create_commitment", body = "{{ agent.name }}", dueInSeconds = 3600 } },
        }, Ct);

        var response = await agent.PostJsonAsync("/api/v1/tickets", new
        {
            subject = $"Broken promise {marker}", body = "Hello?", channel = "email", customer = new { email = $"c{Guid.NewGuid():N}@example.com" },
        }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var ticket = await response.ReadAsync<TicketDto>(Ct);
        Assert.Empty(await agent.GetJsonAsync<List<CommitmentDto>>($"/api/v1/tickets/{ticket.Reference}/commitments", Ct));
        var run = Assert.Single(await agent.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{rule.Id}/runs", Ct));
        Assert.Equal(RuleOutcome.Failed, run.Outcome);
        Assert.Equal(ticket.Id, run.TicketId);
        Assert.Contains("promise", run.Detail);
        // the other rules went on: the customer was still acknowledged
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        Assert.Single(messages, m => m.AuthorKind == ActorKind.System && !m.Internal);
    }

    [Fact]
    public async Task A_rule_matching_any_condition_acts_when_one_holds()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var (first, second) = (RuleKit.Marker(), RuleKit.Marker());
        await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Either word",
            events = new[] { "ticket.created" },
            match = "any",
            conditions = new object[]
            {
                new { field = "ticket.subject", @operator = "contains", value = first },
                new { field = "ticket.subject", @operator = "contains", value = second },
            },
            actions = new object[] { new { type = "add_tag", value = "either" } },
        }, Ct);

        var a = await agent.CreateTicketAsync($"Alpha {first}", Ct);
        var b = await agent.CreateTicketAsync($"Beta {second}", Ct);
        var neither = await agent.CreateTicketAsync("Gamma nothing to see", Ct);

        Assert.Contains("either", (await Read(agent, a)).Tags);
        Assert.Contains("either", (await Read(agent, b)).Tags);
        Assert.DoesNotContain("either", (await Read(agent, neither)).Tags);
    }

    [Fact]
    public async Task The_in_operator_matches_any_listed_value()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var marker = RuleKit.Marker();
        await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Pressing tickets",
            events = new[] { "ticket.created" },
            conditions = new object[]
            {
                new { field = "ticket.priority", @operator = "in", values = new[] { "high", "urgent" } },
                new { field = "ticket.subject", @operator = "contains", value = marker },
            },
            actions = new object[] { new { type = "add_tag", value = "pressing" } },
        }, Ct);

        var urgent = await CreateWithPriorityAsync(agent, $"Down {marker}", "urgent");
        var high = await CreateWithPriorityAsync(agent, $"Slow {marker}", "high");
        var low = await CreateWithPriorityAsync(agent, $"Typo {marker}", "low");

        Assert.Contains("pressing", (await Read(agent, urgent)).Tags);
        Assert.Contains("pressing", (await Read(agent, high)).Tags);
        Assert.DoesNotContain("pressing", (await Read(agent, low)).Tags);
    }

    [Fact]
    public async Task A_condition_on_a_custom_field_acts_when_the_field_is_set()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var field = "plan" + RuleKit.Marker();
        await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Enterprise plan",
            events = new[] { "ticket.custom_fields_changed" },
            conditions = new object[] { new { field = $"ticket.custom_fields.{field}", @operator = "is", value = "enterprise" } },
            actions = new object[] { new { type = "add_tag", value = "enterprise" }, new { type = "set_priority", value = "high" } },
        }, Ct);
        var big = await agent.CreateTicketAsync("Seats for the whole company", Ct);
        var small = await agent.CreateTicketAsync("Seat for me", Ct);

        (await agent.PatchJsonAsync($"/api/v1/tickets/{big.Reference}", new { customFields = new Dictionary<string, string> { [field] = "Enterprise" } }, Ct)).EnsureSuccessStatusCode();
        (await agent.PatchJsonAsync($"/api/v1/tickets/{small.Reference}", new { customFields = new Dictionary<string, string> { [field] = "free" } }, Ct)).EnsureSuccessStatusCode();

        var bigRead = await Read(agent, big);
        Assert.Contains("enterprise", bigRead.Tags);
        Assert.Equal(TicketPriority.High, bigRead.Priority);
        var smallRead = await Read(agent, small);
        Assert.DoesNotContain("enterprise", smallRead.Tags);
        Assert.Equal(TicketPriority.Normal, smallRead.Priority);
    }

    [Fact]
    public async Task A_condition_on_the_customer_being_a_vip_acts_for_vips_only()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var marker = RuleKit.Marker();
        await RuleKit.CreateRuleAsync(admin, new
        {
            name = "VIPs first",
            events = new[] { "ticket.created" },
            conditions = new object[]
            {
                new { field = "customer.vip", @operator = "is", value = "true" },
                new { field = "ticket.subject", @operator = "contains", value = marker },
            },
            actions = new object[] { new { type = "set_priority", value = "urgent" } },
        }, Ct);
        var vipEmail = $"vip{Guid.NewGuid():N}@example.com";
        (await agent.PostJsonAsync("/api/v1/customers", new { name = "Very Important", emails = new[] { vipEmail }, vip = true }, Ct)).EnsureSuccessStatusCode();

        var vip = await agent.CreateTicketAsync($"Invoice {marker}", Ct, email: vipEmail);
        var regular = await agent.CreateTicketAsync($"Invoice {marker}", Ct);

        Assert.Equal(TicketPriority.Urgent, (await Read(agent, vip)).Priority);
        Assert.Equal(TicketPriority.Normal, (await Read(agent, regular)).Priority);
    }

    [Fact]
    public async Task Switching_a_rule_off_stops_it_at_once_and_switching_it_on_starts_it_again()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var marker = RuleKit.Marker();
        var rule = await RuleKit.CreateRuleAsync(admin, TagRule(marker, "switched"), Ct);
        Assert.Contains("switched", (await Read(agent, await agent.CreateTicketAsync($"One {marker}", Ct))).Tags);

        var off = await (await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { enabled = false }, Ct)).ReadAsync<RuleDto>(Ct);
        Assert.False(off.Enabled);
        Assert.DoesNotContain("switched", (await Read(agent, await agent.CreateTicketAsync($"Two {marker}", Ct))).Tags);

        (await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { enabled = true }, Ct)).EnsureSuccessStatusCode();
        Assert.Contains("switched", (await Read(agent, await agent.CreateTicketAsync($"Three {marker}", Ct))).Tags);
        Assert.Equal(2, (await agent.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{rule.Id}/runs", Ct)).Count);
    }

    [Fact]
    public async Task A_stale_if_match_is_412_and_changes_nothing()
    {
        using var admin = app.Admin();
        var rule = await RuleKit.CreateRuleAsync(admin, TagRule(RuleKit.Marker(), "stale"), Ct);
        var current = await admin.GetAsync($"/api/v1/rules/{rule.Id}", Ct);
        var etag = current.Headers.ETag!.ToString();
        Assert.Equal($"\"v{rule.Version}\"", etag);

        var renamed = await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { name = "Renamed once" }, Ct, ifMatch: etag);
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);

        var stale = await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { name = "Renamed twice" }, Ct, ifMatch: etag);
        var problem = await stale.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
        Assert.Equal($"\"v{rule.Version + 1}\"", problem.GetProperty("currentETag").GetString());
        Assert.Equal("Renamed once", (await admin.GetJsonAsync<RuleDto>($"/api/v1/rules/{rule.Id}", Ct)).Name);
    }

    [Fact]
    public async Task A_custom_rule_is_deleted_but_a_builtin_one_cannot_be()
    {
        using var admin = app.Admin();
        var rule = await RuleKit.CreateRuleAsync(admin, TagRule(RuleKit.Marker(), "gone"), Ct);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/rules/{rule.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/api/v1/rules/{rule.Id}", Ct)).StatusCode);
        Assert.DoesNotContain(await RuleKit.ListAsync(admin, Ct), r => r.Id == rule.Id);

        var builtin = await RuleKit.BuiltinAsync(admin, "close-the-loop", Ct);
        var refused = await admin.DeleteAsync($"/api/v1/rules/{builtin.Id}", Ct);
        Assert.Equal("rule.builtin", (await refused.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        Assert.Contains(await RuleKit.ListAsync(admin, Ct), r => r.Id == builtin.Id && r.Enabled);
    }

    [Fact]
    public async Task A_rule_that_would_start_itself_is_refused_when_saved()
    {
        using var admin = app.Admin();
        var before = await RuleKit.ListAsync(admin, Ct);

        var response = await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = "Tag on tags",
            events = new[] { "ticket.tags_changed" },
            actions = new object[] { new { type = "add_tag", value = "again" } },
        }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("rule.loops", problem.GetProperty("code").GetString());
        Assert.Equal("actions[0]", problem.Field());
        Assert.Equal(before.Select(r => r.Id), (await RuleKit.ListAsync(admin, Ct)).Select(r => r.Id));

        // a rule that is fine on its own events is refused when moved onto the event its action records
        var innocent = await RuleKit.CreateRuleAsync(admin, TagRule(RuleKit.Marker(), "innocent"), Ct);
        var moved = await admin.PatchJsonAsync($"/api/v1/rules/{innocent.Id}", new { events = new[] { "ticket.created", "ticket.tags_changed" } }, Ct);
        Assert.Equal("rule.loops", (await moved.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        var after = await admin.GetJsonAsync<RuleDto>($"/api/v1/rules/{innocent.Id}", Ct);
        Assert.Equal(["ticket.created"], after.Events);
        Assert.Equal(innocent.Version, after.Version);
    }

    [Fact]
    public async Task Two_rules_that_feed_each_other_each_run_once_per_chain()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(Core.Agents.AgentRole.Agent);
        var marker = RuleKit.Marker();
        var tagger = await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Priority changes tag",
            events = new[] { "ticket.priority_changed" },
            conditions = new object[] { new { field = "ticket.subject", @operator = "contains", value = marker } },
            actions = new object[] { new { type = "add_tag", value = "reprioritised" } },
        }, Ct);
        var prioritiser = await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Tag changes priority",
            events = new[] { "ticket.tags_changed" },
            conditions = new object[] { new { field = "ticket.subject", @operator = "contains", value = marker } },
            actions = new object[] { new { type = "set_priority", value = "high" } },
        }, Ct);

        // started by a priority change: tagger, then prioritiser, then nobody (tagger is already in the chain)
        var byPriority = await agent.CreateTicketAsync($"Loop one {marker}", Ct);
        var clock = Stopwatch.StartNew();
        var patched = await agent.PatchJsonAsync($"/api/v1/tickets/{byPriority.Reference}", new { priority = "urgent" }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var one = await Read(agent, byPriority);
        Assert.Contains("reprioritised", one.Tags);
        Assert.Equal(TicketPriority.High, one.Priority);

        // started by a tag change: prioritiser, then tagger, then nobody
        var byTags = await agent.CreateTicketAsync($"Loop two {marker}", Ct);
        clock.Restart();
        patched = await agent.PatchJsonAsync($"/api/v1/tickets/{byTags.Reference}", new { tags = new[] { "customer-said" } }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var two = await Read(agent, byTags);
        Assert.Equal(["customer-said", "reprioritised"], two.Tags.Order(StringComparer.Ordinal));
        Assert.Equal(TicketPriority.High, two.Priority);

        foreach (var ticket in new[] { byPriority, byTags })
        {
            var events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
            Assert.True(events.Count < 20, $"{events.Count} events");
            Assert.Single(events, e => e.ActorId == tagger.Id);
            Assert.Single(events, e => e.ActorId == prioritiser.Id);
        }
        var taggerRuns = await agent.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{tagger.Id}/runs", Ct);
        var prioritiserRuns = await agent.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{prioritiser.Id}/runs", Ct);
        foreach (var ticket in new[] { byPriority, byTags })
        {
            Assert.Single(taggerRuns, r => r.TicketId == ticket.Id);
            Assert.Single(prioritiserRuns, r => r.TicketId == ticket.Id);
        }
    }

    private static object TagRule(string marker, string tag) => new
    {
        name = $"Tag {tag}",
        events = new[] { "ticket.created" },
        conditions = new object[] { new { field = "ticket.subject", @operator = "contains", value = marker } },
        actions = new object[] { new { type = "add_tag", value = tag } },
    };

    private static Task<TicketDto> Read(HttpClient client, TicketDto ticket) => client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);

    private static async Task<TicketDto> CreateWithPriorityAsync(HttpClient client, string subject, string priority)
    {
        var response = await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject, body = "Please help.", channel = "email", priority, customer = new { email = $"c{Guid.NewGuid():N}@example.com" },
        }, Ct);
        return await response.ReadAsync<TicketDto>(Ct);
    }
}

public sealed class RuleApiOnSqlite(SqliteApp app) : RuleApiTests(app), IClassFixture<SqliteApp>;

public sealed class RuleApiOnPostgres(PostgresApp app) : RuleApiTests(app), IClassFixture<PostgresApp>;
