using Loopdesk.Data;
using Loopdesk.Platform;

namespace Loopdesk.Search;

/// <summary>
/// The search index's background upkeep, about once a second (<see cref="ISearchIndex.CatchUpAsync"/>): on SQLite new
/// tickets, messages and customers are indexed, many in one transaction (<see cref="SqliteSearchIndex.IndexPendingAsync"/>);
/// on PostgreSQL the word list takes the words of new rows (<see cref="PostgresSearchIndex.SweepAsync"/>). On SQLite a
/// backlog goes in batches one after the other; on PostgreSQL a batch a second.
/// </summary>
public sealed class SearchIndexer(ISearchIndex index, IServiceScopeFactory scopes, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<SearchIndexer> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // the queue table comes with the migrations, which run while the host starts
        if (!await lifetime.StartedAsync(stoppingToken)) return;
        var more = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // more is waiting: go on at once
            if (!more)
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
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                more = await index.CatchUpAsync(scope.ServiceProvider.GetRequiredService<LoopdeskDb>(), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                more = false;
                log.LogWarning(e, "Indexing new rows for search failed; trying again");
            }
        }
    }
}
