using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Platform.Auth;

/// <summary>
/// First start without a UI: when LOOPDESK_ADMIN_EMAIL and LOOPDESK_ADMIN_PASSWORD are set, that admin is created
/// once; when LOOPDESK_ADMIN_TOKEN is set too, that token is made theirs once. Later starts change nothing.
/// </summary>
public sealed class AdminBootstrap(IServiceScopeFactory scopes, IConfiguration configuration, IOptions<IdentityOptions> identity, ILogger<AdminBootstrap> log)
    : IHostedService
{
    public const string EmailVariable = "LOOPDESK_ADMIN_EMAIL";
    public const string PasswordVariable = "LOOPDESK_ADMIN_PASSWORD";
    public const string TokenVariable = "LOOPDESK_ADMIN_TOKEN";
    public const int TokenLength = 24;

    /// <summary>The first admin the environment asks for; <see cref="Email"/> is normalized.</summary>
    public sealed record FirstAdmin(string Email, string Password, string? Token);

    /// <summary>
    /// The first admin the environment asks for, or null when it asks for none. All three variables are checked before
    /// anything is written, so a bad token cannot leave an admin made without it; a value that breaks its rule is a
    /// <see cref="ConfigurationException"/> naming the variable.
    /// </summary>
    public static FirstAdmin? Read(IConfiguration configuration, PasswordOptions passwords)
    {
        var email = configuration[EmailVariable];
        var password = configuration[PasswordVariable];
        var token = configuration[TokenVariable];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(password)) return null;
        var normalized = EmailAddress.Normalize(email, out var problem)
            ?? throw new ConfigurationException($"{EmailVariable} {problem}.");
        // the one password rule staff accounts have (length over composition rules)
        if (password.Length < passwords.RequiredLength)
            throw new ConfigurationException($"{PasswordVariable} must be at least {passwords.RequiredLength} characters.");
        if (string.IsNullOrWhiteSpace(token)) return new FirstAdmin(normalized, password, null);
        if (token.Length < TokenLength)
            throw new ConfigurationException($"{TokenVariable} must be at least {TokenLength} characters.");
        return new FirstAdmin(normalized, password, token);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Read(configuration, identity.Value.Password) is not { } wanted) return;

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var accounts = scope.ServiceProvider.GetRequiredService<AgentAccounts>();
        var admin = await db.Agents.SingleOrDefaultAsync(a => a.Email == wanted.Email, cancellationToken);
        if (admin is null)
        {
            var (created, verdict) = await accounts.CreateAsync("Administrator", wanted.Email, AgentRole.Admin, wanted.Password, cancellationToken);
            // the values were checked before the start; a refusal here is a rule Read does not know
            admin = created ?? throw new InvalidOperationException($"{EmailVariable}/{PasswordVariable}: {verdict.Message}");
            log.LogInformation("Created the first admin {Email}", wanted.Email);
        }
        if (wanted.Token is { } secret)
        {
            var hash = ApiToken.HashOf(secret);
            if (!await db.ApiTokens.AnyAsync(t => t.Hash == hash, cancellationToken))
            {
                await accounts.CreateTokenAsync(admin.Id, "bootstrap", null, secret, cancellationToken);
                log.LogInformation("Created the bootstrap API token for {Email}", wanted.Email);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
