using Loopdesk.Data;

namespace Loopdesk.Search;

/// <summary>
/// On SQLite, indexes new tickets, messages and customers for search about once a second, many in one transaction
/// (<see cref="SqliteSearchIndex.IndexPendingAsync"/>); a backlog goes in batches one after the other.
/// </summary>
public sealed class SqliteSearchIndexer(IServiceScopeFactory scopes, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<SqliteSearchIndexer> log)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // the queue table comes with the migrations, which run while the host starts
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var taken = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
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
                taken = 0;
                log.LogWarning(e, "Indexing new rows for search failed; trying again");
            }
        }
    }
}
