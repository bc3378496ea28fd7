using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Tests.Infrastructure;

namespace Loopdesk.Tests.Jobs;

/// <summary>With the default settings a rule's webhook may only call a public http(s) address: the rule is refused when saved.</summary>
public abstract class WebhookAddressTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://127.0.0.1/hook", "rule.private_webhook")]
    [InlineData("http://127.0.0.1:8080/hook", "rule.private_webhook")]
    [InlineData("http://localhost/hook", "rule.private_webhook")]
    [InlineData("http://LOCALHOST:5080/hook", "rule.private_webhook")]
    [InlineData("http://shop.localhost/hook", "rule.private_webhook")]
    [InlineData("http://10.0.0.1/hook", "rule.private_webhook")]
    [InlineData("http://192.168.1.20/hook", "rule.private_webhook")]
    [InlineData("http://172.16.0.5/hook", "rule.private_webhook")]
    [InlineData("http://169.254.169.254/latest/meta-data", "rule.private_webhook")]
    [InlineData("http://[::1]/hook", "rule.private_webhook")]
    [InlineData("http://[fd00::1]/hook", "rule.private_webhook")]
    [InlineData("http://0.0.0.0/hook", "rule.private_webhook")]
    [InlineData("http://127.1/hook", "rule.private_webhook")]
    [InlineData("http://2130706433/hook", "rule.private_webhook")]
    [InlineData("http://0x7f000001/hook", "rule.private_webhook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook", "rule.private_webhook")]
    [InlineData("http://[::ffff:10.0.0.1]/hook", "rule.private_webhook")]
    [InlineData("http://localhost./hook", "rule.private_webhook")]
    [InlineData("http://shop.localhost./hook", "rule.private_webhook")]
    [InlineData("ftp://example.com/hook", "rule.invalid_webhook")]
    [InlineData("file:///etc/passwd", "rule.invalid_webhook")]
    [InlineData("/relative/hook", "rule.invalid_webhook")]
    [InlineData("https://user:secret@example.com/hook", "rule.invalid_webhook")]
    public async Task A_webhook_to_this_machine_a_private_network_or_not_over_http_is_refused_when_the_rule_is_saved(string url, string code)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var response = await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = "Call out",
            events = new[] { TicketEventTypes.Created },
            actions = new[] { new { type = "webhook", value = url } },
        }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal("actions[0].value", problem.Field());
    }

    [Fact]
    public async Task A_webhook_to_a_public_https_address_is_accepted()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var response = await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = "Call the shop",
            enabled = false,
            events = new[] { TicketEventTypes.Created },
            actions = new[] { new { type = "webhook", value = "https://hooks.example.com/loopdesk" } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Changing_a_rule_to_a_private_webhook_is_refused_too()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var rule = await (await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = "Call the shop later",
            enabled = false,
            events = new[] { TicketEventTypes.Created },
            actions = new[] { new { type = "webhook", value = "https://hooks.example.com/loopdesk" } },
        }, Ct)).ReadAsync<Loopdesk.Rules.RuleDto>(Ct);

        var response = await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { actions = new[] { new { type = "webhook", value = "http://10.0.0.1/hook" } } }, Ct);
        Assert.Equal("rule.private_webhook", (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
    }
}

public sealed class WebhookAddressesOnSqlite(SqliteApp app) : WebhookAddressTests(app), IClassFixture<SqliteApp>;

public sealed class WebhookAddressesOnPostgres(PostgresApp app) : WebhookAddressTests(app), IClassFixture<PostgresApp>;
