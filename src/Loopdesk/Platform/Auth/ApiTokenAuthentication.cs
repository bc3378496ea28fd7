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

/// <summary>
/// Short-lived look-ups of tokens and staff, so a hot API does not read the database per request; every change of a
/// token or a staff member evicts its entries in this process at once (other processes follow within seconds).
/// </summary>
public sealed class StaffCache(IMemoryCache cache)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(10);

    public sealed record StaffStatus(bool Active, AgentRole Role);

    public void Forget(string tokenHash) => cache.Remove(ApiTokenHandler.CacheKey(tokenHash));

    public void ForgetAgent(Guid agentId)
    {
        cache.Remove(AgentKey(agentId));
        cache.Remove(AgentsByEmailKey);
    }

    public sealed record StaffAddress(Guid Id, string Name);

    /// <summary>The active staff members by email address (lower case), kept for a few seconds: mail from them is handled apart.</summary>
    public async Task<IReadOnlyDictionary<string, StaffAddress>> ActiveByEmailAsync(LoopdeskDb db, CancellationToken ct)
    {
        if (cache.TryGetValue(AgentsByEmailKey, out IReadOnlyDictionary<string, StaffAddress>? map) && map is not null) return map;
        var rows = await db.Agents.AsNoTracking().Where(a => a.Active).Select(a => new { a.Email, a.Id, a.Name }).ToListAsync(ct);
        map = rows.GroupBy(r => r.Email.ToLowerInvariant()).ToDictionary(g => g.Key, g => new StaffAddress(g.First().Id, g.First().Name), StringComparer.Ordinal);
        cache.Set(AgentsByEmailKey, map, CacheFor);
        return map;
    }

    private const string AgentsByEmailKey = "agents:by-email";

    /// <summary>Whether the staff member still exists and is active, and their role now.</summary>
    public async Task<StaffStatus?> StatusAsync(LoopdeskDb db, Guid agentId, CancellationToken ct)
    {
        if (cache.TryGetValue(AgentKey(agentId), out StaffStatus? status)) return status;
        status = await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => new StaffStatus(a.Active, a.Role)).FirstOrDefaultAsync(ct);
        if (status is not null) cache.Set(AgentKey(agentId), status, CacheFor);
        return status;
    }

    private static string AgentKey(Guid id) => "agent:" + id;
}
