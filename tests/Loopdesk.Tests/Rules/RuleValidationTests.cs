using System.Net;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Rules;

/// <summary>What a rule may not say, and what a built-in rule's settings may not be: refused whole, with the rule and field named.</summary>
public abstract class RuleValidationTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Case(object Rule, string Code, string Field);

    private static readonly object[] NoConditions = [];

    private static object RuleWith(object[]? conditions = null, object[]? actions = null, string[]? events = null) => new
    {
        name = "Refused rule",
        events = events ?? ["ticket.created"],
        conditions = conditions ?? NoConditions,
        actions = actions ?? [new { type = "add_tag", value = "never" }],
    };

    private static Case Condition(string field, string op, string value, string code, string at)
        => new(RuleWith(conditions: [new { field, @operator = op, value }]), code, "conditions[0]." + at);

    private static Case Action(object action, string code, string at) => new(RuleWith(actions: [action]), code, "actions[0]." + at);

    private static Case Webhook(string url, string code) => Action(new { type = "webhook", value = url }, code, "value");

    private static Case Note(string body, string code) => Action(new { type = "add_note", body }, code, "body");

    private static readonly string IfBomb = string.Concat(Enumerable.Repeat("{% if customer.name %}", 6)) + "deep" + string.Concat(Enumerable.Repeat("{% endif %}", 6));

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["unknown field"] = Condition("ticket.colour", "is", "red", "rule.unknown_field", "field"),
        ["unknown operator"] = Condition("ticket.subject", "resembles", "refund", "rule.unknown_operator", "operator"),
        ["operator for text on a choice"] = Condition("ticket.priority", "contains", "high", "rule.unknown_operator", "operator"),
        ["operator for numbers on text"] = Condition("ticket.subject", "greater_than", "5", "rule.unknown_operator", "operator"),
        ["unknown action"] = Action(new { type = "delete_ticket", value = "now" }, "rule.unknown_action", "type"),
        ["unknown event"] = new(RuleWith(events: ["ticket.exploded"]), "rule.unknown_event", "events"),
        ["no events"] = new(RuleWith(events: []), "rule.no_events", "events"),
        ["no actions"] = new(RuleWith(actions: []), "rule.no_actions", "actions"),
        ["priority extreme in an action"] = Action(new { type = "set_priority", value = "extreme" }, "rule.invalid_value", "value"),
        ["priority extreme in a condition"] = Condition("ticket.priority", "is", "extreme", "rule.invalid_value", "value"),
        ["id that is not a guid in a condition"] = Condition("ticket.team_id", "is", "team-seven", "rule.invalid_value", "value"),
        ["id that is not a guid in an action"] = Action(new { type = "assign_team", value = "team-seven" }, "rule.invalid_value", "value"),
        ["number that is not a number"] = Condition("ticket.hours_since_created", "greater_than", "soon", "rule.invalid_value", "value"),
        ["flag that is not a flag"] = Condition("customer.vip", "is", "yes", "rule.invalid_value", "value"),
        ["webhook to ftp"] = Webhook("ftp://example.com/hook", "rule.invalid_webhook"),
        ["webhook with a password"] = Webhook("https://user:secret@example.com/hook", "rule.invalid_webhook"),
        ["webhook to 127.0.0.1"] = Webhook("http://127.0.0.1/hook", "rule.private_webhook"),
        ["webhook to localhost"] = Webhook("http://localhost:8080/hook", "rule.private_webhook"),
        ["webhook to ::1"] = Webhook("http://[::1]/hook", "rule.private_webhook"),
        ["webhook to 10.1.2.3"] = Webhook("http://10.1.2.3/hook", "rule.private_webhook"),
        ["webhook to 192.168.0.1"] = Webhook("http://192.168.0.1/hook", "rule.private_webhook"),
        ["webhook to localhost written fully qualified"] = Webhook("http://localhost./hook", "rule.private_webhook"),
        ["webhook to a name under localhost"] = Webhook("http://admin.localhost/hook", "rule.private_webhook"),
        ["webhook to the cloud metadata address"] = Webhook("http://169.254.169.254/latest/meta-data", "rule.private_webhook"),
        ["template with an unknown placeholder"] = Note("Hello {{ system }}", "template.unknown_placeholder"),
        ["template with handlebars each"] = Note("{{#each x}}{{this}}{{/each}}", "template.syntax"),
        ["template with conditions nested six deep"] = Note(IfBomb, "template.too_deep"),
        ["template with a loop"] = Note("{% for t in ticket.tags %}{{ t }}{% endfor %}", "template.unsupported_tag"),
        ["commitment due at once"] = Action(new { type = "create_commitment", body = "Call back", dueInSeconds = 0 }, "rule.invalid_value", "dueInSeconds"),
        ["commitment due in more than a year"] = Action(new { type = "create_commitment", body = "Call back", dueInSeconds = 31_536_001 }, "rule.invalid_value", "dueInSeconds"),
        ["commitment due past the end of the calendar"] = Action(new { type = "create_commitment", body = "Call back", dueInSeconds = long.MaxValue }, "rule.invalid_value", "dueInSeconds"),
        ["commitment without words"] = Action(new { type = "create_commitment", dueInSeconds = 3600 }, "rule.missing_value", "body"),
        ["assign to a team that does not exist"] = Action(new { type = "assign_team", value = Guid.NewGuid().ToString() }, "team.unknown", "value"),
        ["notify a team that does not exist"] = Action(new { type = "notify_team", value = Guid.NewGuid().ToString(), body = "Look" }, "team.unknown", "value"),
    };

    public static TheoryData<string> BadRules() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task A_bad_rule_is_422_naming_the_rule_and_field_and_nothing_is_saved(string name)
    {
        var bad = Cases[name];
        using var admin = app.Admin();
        var before = await RuleKit.ListAsync(admin, Ct);

        var response = await admin.PostJsonAsync("/api/v1/rules", bad.Rule, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal(bad.Code, problem.GetProperty("code").GetString());
        Assert.Equal(bad.Field, problem.Field());
        Assert.Equal(before.Select(r => (r.Id, r.Version)), (await RuleKit.ListAsync(admin, Ct)).Select(r => (r.Id, r.Version)));
    }

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task A_bad_change_to_a_custom_rule_is_422_and_leaves_it_as_it_was(string name)
    {
        var bad = Cases[name];
        using var admin = app.Admin();
        var rule = await RuleKit.CreateRuleAsync(admin, new
        {
            name = "Harmless",
            events = new[] { "ticket.created" },
            conditions = new object[] { new { field = "ticket.subject", @operator = "contains", value = RuleKit.Marker() } },
            actions = new object[] { new { type = "add_tag", value = "harmless" } },
        }, Ct);
        var body = JsonSerializer.SerializeToElement(bad.Rule, LoopdeskApp.JsonOptions);
        var change = new Dictionary<string, JsonElement>
        {
            ["events"] = body.GetProperty("events"), ["conditions"] = body.GetProperty("conditions"), ["actions"] = body.GetProperty("actions"),
        };

        var response = await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", change, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal(bad.Code, problem.GetProperty("code").GetString());
        Assert.Equal(bad.Field, problem.Field());
        var after = await admin.GetJsonAsync<RuleDto>($"/api/v1/rules/{rule.Id}", Ct);
        Assert.Equal(rule.Version, after.Version);
        Assert.Equal("harmless", Assert.Single(after.Actions).Value);
        await admin.DeleteAsync($"/api/v1/rules/{rule.Id}", Ct);
    }

    [Fact]
    public async Task A_webhook_to_a_public_address_is_accepted()
    {
        using var admin = app.Admin();
        var rule = await RuleKit.CreateRuleAsync(admin, RuleWith(
            conditions: [new { field = "ticket.subject", @operator = "contains", value = RuleKit.Marker() }],
            actions: [new { type = "webhook", value = "https://hooks.example.com/loopdesk" }]), Ct);
        Assert.Equal("https://hooks.example.com/loopdesk", Assert.Single(rule.Actions).Value);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/rules/{rule.Id}", Ct)).StatusCode);
    }

    private static readonly Dictionary<string, (object Change, string Code, string Field)> BuiltinCases = new()
    {
        ["unknown setting"] = (new { settings = new { colour = "red" } }, "rule.unknown_setting", "settings.colour"),
        ["setting of the wrong type"] = (new { settings = new { contacts = "three" } }, "rule.invalid_setting", "settings.contacts"),
        ["setting out of range"] = (new { settings = new { contacts = 1 } }, "rule.invalid_setting", "settings.contacts"),
        ["setting far out of range"] = (new { settings = new { windowSeconds = 1e12 } }, "rule.invalid_setting", "settings.windowSeconds"),
        ["fractional seconds"] = (new { settings = new { windowSeconds = 90.5 } }, "rule.invalid_setting", "settings.windowSeconds"),
        ["a tier that does not exist"] = (new { settings = new { tier = "boss" } }, "rule.invalid_setting", "settings.tier"),
        ["an id that is not a guid"] = (new { settings = new { teamId = "escalations" } }, "rule.invalid_setting", "settings.teamId"),
        ["a team that does not exist"] = (new { settings = new { teamId = Guid.NewGuid() } }, "team.unknown", "settings.teamId"),
        ["events"] = (new { events = new[] { "ticket.created" } }, "rule.builtin", "settings"),
        ["conditions"] = (new { conditions = new[] { new { field = "ticket.subject", @operator = "contains", value = "x" } } }, "rule.builtin", "settings"),
        ["actions"] = (new { actions = new[] { new { type = "add_tag", value = "x" } } }, "rule.builtin", "settings"),
    };

    public static TheoryData<string> BadBuiltinChanges() => [.. BuiltinCases.Keys];

    [Theory]
    [MemberData(nameof(BadBuiltinChanges))]
    public async Task A_bad_change_to_a_builtin_rule_is_422_and_changes_nothing(string name)
    {
        var (change, code, field) = BuiltinCases[name];
        using var admin = app.Admin();
        var before = await RuleKit.BuiltinAsync(admin, "repeat-contact", Ct);

        var response = await admin.PatchJsonAsync($"/api/v1/rules/{before.Id}", change, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(field, problem.Field());
        var after = await admin.GetJsonAsync<RuleDto>($"/api/v1/rules/{before.Id}", Ct);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(before.Events, after.Events);
        Assert.Equal(before.Settings.Keys.Order(), after.Settings.Keys.Order());
    }

    [Fact]
    public async Task A_custom_rule_has_no_settings()
    {
        using var admin = app.Admin();
        var rule = await RuleKit.CreateRuleAsync(admin, RuleWith(conditions: [new { field = "ticket.subject", @operator = "contains", value = RuleKit.Marker() }]), Ct);

        var response = await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { settings = new { contacts = 2 } }, Ct);

        Assert.Equal("rule.unknown_setting", (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        await admin.DeleteAsync($"/api/v1/rules/{rule.Id}", Ct);
    }

    [Fact]
    public async Task A_settings_change_takes_effect_on_the_next_event_without_a_restart()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(AgentRole.Agent);
        var rule = await RuleKit.BuiltinAsync(admin, "repeat-contact", Ct);

        // with the shipped three contacts, a second contact is not yet a repeat
        var before = await agent.CreateTicketAsync("Still no internet", Ct, name: "Pia Lund");
        await ContactAsync(agent, before);
        Assert.Equal(AgentTier.Tier1, (await Read(agent, before)).Tier);

        try
        {
            var changed = await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { settings = new { contacts = 2, windowSeconds = 3600 } }, Ct);
            var dto = await changed.ReadAsync<RuleDto>(Ct);
            Assert.Equal(2, dto.Settings["contacts"].GetInt32());
            Assert.Equal(3600, dto.Settings["windowSeconds"].GetInt32());
            Assert.Equal("senior", dto.Settings["tier"].GetString());
            Assert.Equal(rule.Version + 1, dto.Version);

            var ticket = await agent.CreateTicketAsync("Still no internet", Ct, name: "Pia Lund");
            Assert.Equal(AgentTier.Tier1, (await Read(agent, ticket)).Tier);
            await ContactAsync(agent, ticket);

            Assert.Equal(AgentTier.Senior, (await Read(agent, ticket)).Tier);
            var events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
            var escalated = Assert.Single(events, e => e.Type == "ticket.escalated");
            Assert.Equal(rule.Id, escalated.ActorId);
            Assert.Equal("senior", escalated.Data.GetProperty("to").GetString());
            Assert.Equal("Pia Lund contacted us 2 times in 1 hour about this unresolved ticket.", escalated.Data.GetProperty("reason").GetString());
        }
        finally
        {
            (await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { settings = rule.Settings }, Ct)).EnsureSuccessStatusCode();
        }
    }

    private static async Task ContactAsync(HttpClient agent, TicketDto ticket)
        => (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", summary = "Called again." }, Ct)).EnsureSuccessStatusCode();

    private static Task<TicketDto> Read(HttpClient client, TicketDto ticket) => client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
}

public sealed class RuleValidationOnSqlite(SqliteApp app) : RuleValidationTests(app), IClassFixture<SqliteApp>;

public sealed class RuleValidationOnPostgres(PostgresApp app) : RuleValidationTests(app), IClassFixture<PostgresApp>;
