using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Agents;

/// <summary>Making staff accounts and their tokens: shared by the API, the CLI and the first-start bootstrap.</summary>
public sealed class AgentAccounts(LoopdeskDb db, UserManager<StaffUser> users, TimeProvider clock, StaffCache staffCache)
{
    public async Task<(Agent? Agent, Verdict Verdict)> CreateAsync(string name, string email, AgentRole role, string? password, CancellationToken ct)
    {
        var normalized = EmailAddress.Normalize(email, out var problem);
        if (normalized is null) return (null, Verdict.Deny("agent.invalid_email", $"The email {problem}.", "email"));
        if (await db.Agents.AnyAsync(a => a.Email == normalized, ct)) return (null, Verdict.Deny("agent.email_taken", "An agent with this email exists.", "email"));
        var now = clock.GetUtcNow();
        var agent = new Agent(name, normalized, role, now);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Agents.Add(agent);
        await db.SaveChangesAsync(ct);
        var user = new StaffUser { Id = agent.Id, UserName = normalized, Email = normalized, EmailConfirmed = true };
        var result = password is null ? await users.CreateAsync(user) : await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            var description = string.Join(" ", result.Errors.Select(e => e.Description));
            return (null, Verdict.Deny("agent.invalid_password", description, "password"));
        }
        await tx.CommitAsync(ct);
        return (agent, Verdict.Ok);
    }

    public async Task<(ApiToken Token, string Secret)> CreateTokenAsync(Guid agentId, string name, DateTimeOffset? expiresAt, string? secret, CancellationToken ct)
    {
        var (token, plain) = ApiToken.Create(agentId, name, clock.GetUtcNow(), expiresAt, secret);
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return (token, plain);
    }

    /// <summary>A staff member's tokens, oldest first, without their secrets.</summary>
    public Task<List<TokenDto>> TokensAsync(Guid agentId, CancellationToken ct)
        => db.ApiTokens.AsNoTracking().Where(t => t.AgentId == agentId).OrderBy(t => t.CreatedAt)
            .Select(t => new TokenDto(t.Id, t.AgentId, t.Name, t.Hint, t.CreatedAt, t.ExpiresAt, t.RevokedAt)).ToListAsync(ct);

    /// <summary>Revokes a token of the agent's own (or anyone's, for an admin) at once; false when there is no such token for them.</summary>
    public async Task<bool> RevokeTokenAsync(Guid tokenId, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct)
    {
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId, ct);
        if (token is null || (token.AgentId != user.AgentId() && !user.IsAtLeast(AgentRole.Admin))) return false;
        token.Revoke(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        staffCache.Forget(token.Hash);
        return true;
    }
}
