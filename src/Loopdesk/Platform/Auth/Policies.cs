using System.Security.Claims;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Microsoft.AspNetCore.Authorization;

namespace Loopdesk.Platform.Auth;

/// <summary>The four authorization policies, one per minimum role. Every endpoint names one.</summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string Supervisor = "supervisor";
    public const string Agent = "agent";
    /// <summary>Any staff member, collaborators included.</summary>
    public const string Staff = "staff";

    public const string TokenIdClaim = "loopdesk:token";

    public static AuthorizationBuilder AddLoopdeskPolicies(this AuthorizationBuilder builder) => builder
        .AddPolicy(Admin, p => p.RequireRole(RoleName(AgentRole.Admin)))
        .AddPolicy(Supervisor, p => p.RequireRole(RoleName(AgentRole.Admin), RoleName(AgentRole.Supervisor)))
        .AddPolicy(Agent, p => p.RequireRole(RoleName(AgentRole.Admin), RoleName(AgentRole.Supervisor), RoleName(AgentRole.Agent)))
        .AddPolicy(Staff, p => p.RequireRole(Enum.GetValues<AgentRole>().Select(RoleName).ToArray()));

    public static string RoleName(AgentRole role) => Wire.Name(role);

    public static Guid AgentId(this ClaimsPrincipal user)
        => Guid.Parse(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("not signed in"));

    public static AgentRole Role(this ClaimsPrincipal user)
        => Enum.GetValues<AgentRole>().Where(r => user.IsInRole(RoleName(r))).DefaultIfEmpty(AgentRole.Collaborator).Max();

    public static bool IsAtLeast(this ClaimsPrincipal user, AgentRole role) => user.Role() >= role;

    public static Actor Actor(this ClaimsPrincipal user) => Core.Common.Actor.Agent(user.AgentId());

    public static ClaimsIdentity IdentityFor(Guid agentId, string name, AgentRole role, string scheme, Guid? tokenId = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, agentId.ToString()),
            new(ClaimTypes.Name, name),
            new(ClaimTypes.Role, RoleName(role)),
        };
        if (tokenId is not null) claims.Add(new Claim(TokenIdClaim, tokenId.Value.ToString()));
        return new ClaimsIdentity(claims, scheme);
    }
}
