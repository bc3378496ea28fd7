using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Agents;

public sealed record LoginRequest([property: Required, MaxLength(254)] string Email, [property: Required, MaxLength(200)] string Password);

public static class AuthEndpoints
{
    public static RouteGroupBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/auth").WithTags("Sign-in");
        auth.MapPost("/login", LoginAsync).AllowAnonymous().WithName("Login")
            .WithSummary("Sign in with a password").WithDescription("Sets the session cookie the workspace uses. 401 for a wrong email or password.");
        auth.MapPost("/logout", LogoutAsync).RequireAuthorization(Policies.Staff).WithName("Logout").WithSummary("Sign out")
            .WithDescription("Any staff member, collaborators included. Ends the session cookie; API tokens stay valid until revoked.");
        app.MapGet("/me", MeAsync).RequireAuthorization(Policies.Staff).WithTags("Sign-in").WithName("Me").WithSummary("Who am I")
            .WithDescription("Any staff member, collaborators included: the staff member the cookie or API token belongs to, with role, teams and presence.");
        return auth;
    }

    private static async Task<Results<Ok<AgentDto>, ProblemHttpResult>> LoginAsync(
        LoginRequest body, SignInManager<StaffUser> signIn, LoopdeskDb db, CancellationToken ct)
    {
        var (agent, result) = await PasswordSignInAsync(signIn, db, body.Email, body.Password, ct);
        if (result.IsLockedOut) return Problems.Create(401, "unauthorized", "Sign-in failed.", "Too many failed attempts; try again later.", null, "auth.locked_out");
        if (result.RequiresTwoFactor)
            return Problems.Create(401, "unauthorized", "Sign-in needs a second step.", "This account uses two-factor sign-in: sign in on the workspace, or use an API token.", null, "auth.two_factor");
        if (!result.Succeeded || agent is null) return Problems.Create(401, "unauthorized", "Sign-in failed.", "Wrong email or password.", null, "auth.failed");
        return TypedResults.Ok(AgentEndpoints.ToDto(agent));
    }

    /// <summary>The password step the API and the workspace's sign-in page share: active staff only, lockout counted.</summary>
    public static async Task<(Core.Agents.Agent? Agent, SignInResult Result)> PasswordSignInAsync(
        SignInManager<StaffUser> signIn, LoopdeskDb db, string email, string password, CancellationToken ct)
    {
        var normalized = email.Trim().ToLowerInvariant();
        var agent = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Email == normalized && a.Active, ct);
        var user = agent is null ? null : await signIn.UserManager.FindByIdAsync(agent.Id.ToString());
        if (agent is null || user is null) return (null, SignInResult.Failed);
        return (agent, await signIn.PasswordSignInAsync(user, password, isPersistent: true, lockoutOnFailure: true));
    }

    private static async Task<NoContent> LogoutAsync(SignInManager<StaffUser> signIn)
    {
        await signIn.SignOutAsync();
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<AgentDto>, ProblemHttpResult>> MeAsync(ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        var id = user.AgentId();
        var agent = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        return agent is null ? Problems.NotFound("agent") : TypedResults.Ok(AgentEndpoints.ToDto(agent));
    }
}
