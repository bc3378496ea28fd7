using Loopdesk.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Data;

/// <summary>Applies pending migrations before the server takes requests (and from <c>loopdesk migrate</c>).</summary>
public sealed class DatabaseMigrator(IServiceScopeFactory scopes, IOptions<LoopdeskOptions> options, ILogger<DatabaseMigrator> log) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Database.MigrateOnStart) return;
        await MigrateAsync(scopes, log, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task<int> MigrateAsync(IServiceScopeFactory scopes, ILogger log, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (!db.IsPostgres)
        {
            // WAL is a property of the file: readers never block the writer
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
        if (pending.Count > 0)
        {
            log.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(ct);
        }
        await Rules.ServiceRules.SeedAsync(scope.ServiceProvider, db, ct);
        return pending.Count;
    }
}
