using Loopdesk.Platform;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Data;

/// <summary>
/// Keeps PostgreSQL's planner statistics up with tables that are growing fast from small, as a new installation's do
/// when the first burst of mail or an import comes in. Autovacuum analyzes a table once a tenth of it has changed, and
/// looks only once a minute: meanwhile a table that went from a hundred rows to thirty thousand is still planned as the
/// small table it was, and the plans Npgsql's prepared statements keep are made for that table (a sequential scan
/// where an index lookup was wanted, a join started from the wrong side). Every few seconds this analyzes the tables
/// whose changes since their last analysis reach half their rows (and at least <see cref="MinChanges"/>): a table that
/// only grows is analyzed each time it has doubled, which also has PostgreSQL plan its statements again. Analyzing
/// more often than that cost more than it gave (the messages' text and search columns make an analysis of a few
/// thousand messages take a quarter of a second). Large, steady tables it leaves to autovacuum.
/// </summary>
public sealed class PostgresStatistics(IServiceScopeFactory scopes, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<PostgresStatistics> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Fewer changed rows than this never call for an analysis of their own.</summary>
    public const int MinChanges = 1_000;

    private bool _allowed = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // the tables come with the migrations, which run while the host starts
        if (!await lifetime.StartedAsync(stoppingToken)) return;
        while (_allowed && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
                await using var scope = scopes.CreateAsyncScope();
                await AnalyzeGrownAsync(scope.ServiceProvider.GetRequiredService<LoopdeskDb>(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Refreshing the planner's statistics failed; trying again");
            }
        }
    }

    /// <summary>Analyzes the tables of Loopdesk's schema whose changes since their last analysis reach half their rows; returns their names.</summary>
    public async Task<IReadOnlyList<string>> AnalyzeGrownAsync(LoopdeskDb db, CancellationToken ct)
    {
        var grown = await db.Database.SqlQueryRaw<string>("""
            SELECT relname AS "Value" FROM pg_stat_user_tables
            WHERE schemaname = current_schema() AND n_mod_since_analyze >= {0} AND n_mod_since_analyze >= n_live_tup / 2
            ORDER BY relname
            """, MinChanges).ToListAsync(ct);
        foreach (var table in grown)
        {
            try
            {
                // the name comes from the catalog, quoted as an identifier
                var sql = "ANALYZE \"" + table.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
                await db.Database.ExecuteSqlRawAsync(sql, ct);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.InsufficientPrivilege)
            {
                // only a table's owner may: a database user that did not create the tables leaves them to autovacuum
                log.LogInformation("Not allowed to analyze {Table}; leaving the planner's statistics to autovacuum", table);
                _allowed = false;
                break;
            }
        }
        if (grown.Count > 0) log.LogDebug("Analyzed {Tables}", string.Join(", ", grown));
        return grown;
    }
}
