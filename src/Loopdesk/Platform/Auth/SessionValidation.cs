using System.Security.Claims;
using Loopdesk.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace Loopdesk.Platform.Auth;

/// <summary>
/// Keeps a session cookie honest on every request: Identity's security-stamp check (a changed password ends other
/// sessions), then the staff member's current state — deactivated ends the session, a new role applies at once.
/// </summary>
public static class SessionValidation
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        await SecurityStampValidator.ValidatePrincipalAsync(context);
        if (context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier) is not { } id || !Guid.TryParse(id, out var agentId)) return;

        var services = context.HttpContext.RequestServices;
        var status = await services.GetRequiredService<StaffCache>()
            .StatusAsync(services.GetRequiredService<LoopdeskDb>(), agentId, context.HttpContext.RequestAborted);
        if (status is not { Active: true })
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }
        var role = Policies.RoleName(status.Role);
        if (context.Principal.IsInRole(role) && context.Principal.FindAll(ClaimTypes.Role).Count() == 1) return;

        var identity = new ClaimsIdentity(context.Principal.Claims.Where(c => c.Type != ClaimTypes.Role), context.Principal.Identity?.AuthenticationType);
        identity.AddClaim(new Claim(ClaimTypes.Role, role));
        context.ReplacePrincipal(new ClaimsPrincipal(identity));
        context.ShouldRenew = true;
    }
}
