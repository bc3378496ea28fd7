using System.Net;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Rules;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;

namespace Loopdesk.Tests.Rules;

/// <summary>What the rule tests share: rules, teams with a signed-in member, and reading rules back.</summary>
internal static class RuleKit
{
    /// <summary>A word no other test's ticket carries, for conditions that must match only this test's tickets.</summary>
    public static string Marker() => "m" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<RuleDto> CreateRuleAsync(HttpClient admin, object rule, CancellationToken ct)
    {
        var response = await admin.PostJsonAsync("/api/v1/rules", rule, ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<RuleDto>(ct);
    }

    public static Task<List<RuleDto>> ListAsync(HttpClient client, CancellationToken ct) => client.GetJsonAsync<List<RuleDto>>("/api/v1/rules", ct);

    public static async Task<RuleDto> BuiltinAsync(HttpClient client, string key, CancellationToken ct)
        => (await ListAsync(client, ct)).Single(r => r.Key == key);

    /// <summary>A team of its own and a new agent in it, signed in with a token of their own.</summary>
    public static async Task<(Guid TeamId, Guid MemberId, HttpClient Member)> TeamWithMemberAsync(LoopdeskApp app, HttpClient admin, CancellationToken ct)
    {
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Team {Marker()}" }, ct)).ReadAsync<TeamDto>(ct);
        var agent = await (await admin.PostJsonAsync("/api/v1/agents", new
        {
            name = "Team Member", email = $"member{Guid.NewGuid():N}@loopdesk.test", role = "agent", teamIds = new[] { team.Id },
        }, ct)).ReadAsync<AgentDto>(ct);
        var token = await (await admin.PostJsonAsync($"/api/v1/agents/{agent.Id}/tokens", new { name = "rules" }, ct)).ReadAsync<CreatedTokenDto>(ct);
        return (team.Id, agent.Id, app.ClientWithToken(token.Token));
    }

    public static HttpClient Admin(this LoopdeskApp app) => app.CreateClient(AgentRole.Admin);
}
