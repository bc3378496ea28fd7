using System.Text.Encodings.Web;
using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Loopdesk.Platform.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer ldk_…</c>. A token's agent and role are cached for a few seconds so
/// that a hot API does not pay a database read per request; revoking through this process evicts at once.
/// </summary>
public sealed class ApiTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    LoopdeskDb db, TimeProvider clock, IMemoryCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    private sealed record CachedToken(Guid TokenId, Guid AgentId, string Name, AgentRole Role, DateTimeOffset? ExpiresAt);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length is 0 or > 200) return AuthenticateResult.Fail("Malformed bearer token.");

        var hash = ApiToken.HashOf(secret);
        var now = clock.GetUtcNow();
        if (!cache.TryGetValue(CacheKey(hash), out CachedToken? found))
        {
            found = await (from t in db.ApiTokens.AsNoTracking()
                           join a in db.Agents.AsNoTracking() on t.AgentId equals a.Id
                           where t.Hash == hash && t.RevokedAt == null && a.Active
                           select new CachedToken(t.Id, a.Id, a.Name, a.Role, t.ExpiresAt)).SingleOrDefaultAsync(Context.RequestAborted);
            // only known tokens are cached: random ones must not grow the cache; each bad one costs one indexed read
            if (found is not null) cache.Set(CacheKey(hash), found, CacheFor);
        }
        if (found is null || (found.ExpiresAt is { } expires && expires <= now)) return AuthenticateResult.Fail("Unknown, expired or revoked token.");

        var principal = new System.Security.Claims.ClaimsPrincipal(Policies.IdentityFor(found.AgentId, found.Name, found.Role, SchemeName, found.TokenId));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }

    public static string CacheKey(string hash) => "token:" + hash;
}

/// <summary>Evicts cached token and role look-ups when a token is revoked or an agent changes.</summary>
public sealed class TokenCache(IMemoryCache cache)
{
    public void Forget(string hash) => cache.Remove(ApiTokenHandler.CacheKey(hash));
}
