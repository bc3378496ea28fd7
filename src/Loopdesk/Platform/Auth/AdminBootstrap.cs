using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Platform.Auth;

/// <summary>
/// First start without a UI: when LOOPDESK_ADMIN_EMAIL and LOOPDESK_ADMIN_PASSWORD are set, that admin is created
/// once; when LOOPDESK_ADMIN_TOKEN is set too, that token is made theirs once. Later starts change nothing.
/// </summary>
public sealed class AdminBootstrap(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<AdminBootstrap> log) : IHostedService
{
    public const string EmailVariable = "LOOPDESK_ADMIN_EMAIL";
    public const string PasswordVariable = "LOOPDESK_ADMIN_PASSWORD";
    public const string TokenVariable = "LOOPDESK_ADMIN_TOKEN";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var email = configuration[EmailVariable];
        var password = configuration[PasswordVariable];
        var secret = configuration[TokenVariable];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password)) return;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var accounts = scope.ServiceProvider.GetRequiredService<AgentAccounts>();
        var normalized = email.Trim().ToLowerInvariant();
        var admin = await db.Agents.SingleOrDefaultAsync(a => a.Email == normalized, cancellationToken);
        if (admin is null)
        {
            var (created, verdict) = await accounts.CreateAsync("Administrator", email, AgentRole.Admin, password, cancellationToken);
            if (created is null)
            {
                throw new InvalidOperationException($"{EmailVariable}/{PasswordVariable}: {verdict.Message}");
            }
            admin = created;
            log.LogInformation("Created the first admin {Email}", normalized);
        }
        if (!string.IsNullOrWhiteSpace(secret))
        {
            if (secret.Length < 24) throw new InvalidOperationException($"{TokenVariable} must be at least 24 characters.");
            var hash = ApiToken.HashOf(secret);
            if (!await db.ApiTokens.AnyAsync(t => t.Hash == hash, cancellationToken))
            {
                await accounts.CreateTokenAsync(admin.Id, "bootstrap", null, secret, cancellationToken);
                log.LogInformation("Created the bootstrap API token for {Email}", normalized);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
