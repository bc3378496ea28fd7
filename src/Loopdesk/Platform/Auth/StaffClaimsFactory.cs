using System.Security.Claims;
using Loopdesk.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Platform.Auth;

/// <summary>Puts the agent's name and role into the session cookie, the same claims a bearer token carries.</summary>
public sealed class StaffClaimsFactory(UserManager<StaffUser> users, IOptions<IdentityOptions> options, LoopdeskDb db)
    : UserClaimsPrincipalFactory<StaffUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(StaffUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        var agent = await db.Agents.AsNoTracking().SingleAsync(a => a.Id == user.Id);
        identity.AddClaim(new Claim(ClaimTypes.Role, Policies.RoleName(agent.Role)));
        return identity;
    }
}
