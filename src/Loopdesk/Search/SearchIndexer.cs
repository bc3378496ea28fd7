using Loopdesk.Data;

namespace Loopdesk.Search;

/// <summary>
/// On SQLite, indexes new tickets, messages and customers for search about once a second, many in one transaction
/// (<see cref="SqliteSearchIndex.IndexPendingAsync"/>); a backlog goes in batches one after the other.
/// </summary>
public sealed class SqliteSearchIndexer(IServiceScopeFactory scopes, TimeProvider clock, ILogger<SqliteSearchIndexer> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var taken = 0;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                taken = await SqliteSearchIndex.IndexPendingAsync(scope.ServiceProvider.GetRequiredService<LoopdeskDb>(), SqliteSearchIndex.Batch, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Indexing new rows for search failed; trying again");
            }
            // a full batch means more is waiting: go on at once
            if (taken < SqliteSearchIndex.Batch)
            {
                try
                {
                    await Task.Delay(Interval, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
