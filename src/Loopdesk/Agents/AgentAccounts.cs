using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Agents;

/// <summary>Making staff accounts and their tokens: shared by the API, the CLI and the first-start bootstrap.</summary>
public sealed class AgentAccounts(LoopdeskDb db, UserManager<StaffUser> users, TimeProvider clock)
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
}
