using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Loopdesk.Data;
using Loopdesk.Platform;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Loopdesk.Jobs;

/// <summary>
/// Runs due jobs. Each process claims a batch by writing its name and a lease on the rows (on PostgreSQL with
/// <c>FOR UPDATE SKIP LOCKED</c>, so several processes share one database and never take the same job), runs the
/// handlers, and deletes each job in the transaction that saves its handler's changes. A failed job is tried again
/// with growing delays and parked after the last attempt. A process that dies leaves its lease to run out, after which
/// another process takes the job: delivery is at least once, and consumers get the job id to drop a repeat.
/// </summary>
public sealed class JobRunner : BackgroundService
{
    private readonly IServiceScopeFactory _scopes;
    private readonly Dictionary<string, IJobHandler> _handlers;
    private readonly TimeProvider _clock;
    private readonly JobOptions _options;
    private readonly ILogger<JobRunner> _log;
    private readonly LoopdeskMetrics _metrics;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _claimGate = new(1, 1);

    public JobRunner(IServiceScopeFactory scopes, IEnumerable<IJobHandler> handlers, TimeProvider clock, IOptions<LoopdeskOptions> options,
        ILogger<JobRunner> log, LoopdeskMetrics metrics)
    {
        _scopes = scopes;
        _handlers = handlers.ToDictionary(h => h.Kind, StringComparer.Ordinal);
        _clock = clock;
        _options = options.Value.Jobs;
        _log = log;
        _metrics = metrics;
        var name = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
        Name = name.Length > 64 ? name[^64..] : name;
    }

    /// <summary>This process's name on the jobs it holds.</summary>
    public string Name { get; }

    /// <summary>Work was added for now: look at once instead of at the next poll.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try { _wake.Release(); } catch (SemaphoreFullException) { }
        }
    }

    /// <summary>Whether a wake is waiting to be taken, and takes it (internal for tests).</summary>
    internal bool TakeWake() => _wake.Wait(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled) return;
        var poll = TimeSpan.FromMilliseconds(Math.Max(10, _options.PollIntervalMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            var ran = 0;
            try
            {
                ran = await RunBatchAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogError(e, "Running due jobs failed; trying again at the next poll");
            }
            if (ran > 0) continue;
            try
            {
                await _wake.WaitAsync(poll, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs every job due now, batch after batch, until none is left; returns how many ran. For tests and the command line.</summary>
    public async Task<int> RunDueAsync(CancellationToken ct = default)
    {
        var total = 0;
        for (var round = 0; round < 1000; round++)
        {
            var ran = await RunBatchAsync(ct);
            if (ran == 0) break;
            total += ran;
        }
        return total;
    }

    private async Task<int> RunBatchAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        List<Job> claimed;
        await _claimGate.WaitAsync(ct);
        try
        {
            claimed = await ClaimAsync(now, ct);
        }
        finally
        {
            _claimGate.Release();
        }
        if (claimed.Count == 0) return 0;
        // started in the order they fell due, and those due together in the order they were made: PostgreSQL returns the
        // claimed rows in no set order, and a reply's job taking every worker while the message it answers waits for one
        // left the reply to open a ticket of its own
        claimed.Sort(static (a, b) => a.DueAt != b.DueAt ? a.DueAt.CompareTo(b.DueAt) : Loopdesk.Core.Common.Ids.Position(a.Id).CompareTo(Loopdesk.Core.Common.Ids.Position(b.Id)));

        var done = new ConcurrentBag<Guid>();
        // jobs of a kind whose handler does several at once go together, a few dozen at a time; the others one by one
        var work = new List<Job[]>();
        foreach (var kind in claimed.GroupBy(j => j.Kind))
        {
            var jobs = kind.ToList();
            if (jobs.Count > 1 && _handlers.GetValueOrDefault(kind.Key) is IJobBatchHandler) work.AddRange(jobs.Chunk(MaxTogether));
            else work.AddRange(jobs.Select(j => new[] { j }));
        }
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Concurrency), CancellationToken = ct },
            async (jobs, token) =>
            {
                if (jobs.Length > 1) await RunTogetherAsync((IJobBatchHandler)_handlers[jobs[0].Kind], jobs, now, token);
                else await RunOneAsync(jobs[0], now, done, token);
            });
        if (!done.IsEmpty)
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            var ids = done.ToList();
            using (await db.WriteGateAsync(CancellationToken.None))
            {
                await db.Jobs.Where(j => ids.Contains(j.Id) && j.LockedBy == Name).ExecuteDeleteAsync(CancellationToken.None);
            }
        }
        return claimed.Count;
    }

    /// <summary>Takes up to a batch of due jobs for this process (internal for tests).</summary>
    internal async Task<List<Job>> ClaimAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var until = now.AddSeconds(Math.Max(1, _options.LeaseSeconds)).UtcDateTime;
        var at = now.UtcDateTime;
        var size = Math.Max(1, _options.BatchSize);
        if (db.IsPostgres)
        {
            // The ids are taken once (an InitPlan) and the rows updated through the primary key. Written as "Id IN (SELECT …)",
            // the planner may join the other way round when its statistics say the table is empty, as they do for an
            // outbox analyzed between bursts, and run the locking subquery again for every row: each run takes the next
            // unclaimed rows, so one claim took the whole burst (200,000 jobs, under a lease meant for one batch) and
            // kept PostgreSQL busy for minutes.
            return await db.Jobs.FromSql($"""
                UPDATE "Jobs" SET "LockedBy" = {Name}, "LockedUntil" = {until}
                WHERE "Id" = ANY (ARRAY(
                    SELECT "Id" FROM "Jobs"
                    WHERE "State" = 'Pending' AND "DueAt" <= {at} AND ("LockedUntil" IS NULL OR "LockedUntil" < {at})
                    ORDER BY "DueAt" LIMIT {size}
                    FOR UPDATE SKIP LOCKED))
                RETURNING *
                """).AsNoTracking().ToListAsync(ct);
        }
        // SQLite is one process; the claim gate keeps this process's claims apart
        var ids = await DueIds.For(db)(db, now, size).ToListAsync(ct);
        if (ids.Count == 0) return [];
        using (await db.WriteGateAsync(ct))
        {
            await db.Jobs.Where(j => ids.Contains(j.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.LockedBy, Name)
                .SetProperty(j => j.LockedUntil, now.AddSeconds(Math.Max(1, _options.LeaseSeconds))), ct);
        }
        return await ClaimedJobs.For(db)(db, ids, Name).ToListAsync(ct);
    }

    // the runner asks every few hundred milliseconds and after every batch: both reads are compiled once
    private static readonly CompiledQuery<Func<LoopdeskDb, DateTimeOffset, int, IAsyncEnumerable<Guid>>> DueIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, DateTimeOffset now, int size) => db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Pending && j.DueAt <= now && (j.LockedUntil == null || j.LockedUntil < now))
            .OrderBy(j => j.DueAt).Select(j => j.Id).Take(size)));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, string, IAsyncEnumerable<Job>>> ClaimedJobs = new(() => EF.CompileAsyncQuery<LoopdeskDb, List<Guid>, string, Job>(
        (LoopdeskDb db, List<Guid> ids, string name) => db.Jobs.AsNoTracking().Where(j => ids.Contains(j.Id) && j.LockedBy == name).OrderBy(j => j.DueAt)));

    private async Task RunOneAsync(Job job, DateTimeOffset now, ConcurrentBag<Guid>? done, CancellationToken ct)
    {
        if (!_handlers.TryGetValue(job.Kind, out var handler))
        {
            await FailAsync(job, $"No handler for jobs of kind \"{job.Kind}\".", now, park: true);
            return;
        }
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await handler.HandleAsync(new JobContext(job, db, scope.ServiceProvider, now), ct);
            // without changes, the runner removes it with the batch's other such jobs (done), unless it runs outside a batch
            if (db.ChangeTracker.HasChanges() || done is null)
            {
                db.Jobs.Attach(job);
                db.Jobs.Remove(job);
                try
                {
                    await db.SaveChangesAsync(CancellationToken.None);
                }
                catch (DbUpdateConcurrencyException)
                {
                    // moved or cancelled while it ran: its work is not saved, and a moved timer runs again at its new time
                    return;
                }
            }
            else
            {
                done!.Add(job.Id);
            }
            _metrics.JobsRun.Add(1, new KeyValuePair<string, object?>("kind", job.Kind), new KeyValuePair<string, object?>("outcome", "done"));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down: the lease runs out and the job is taken again
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Job {JobId} ({Kind}) failed on attempt {Attempt}", job.Id, job.Kind, job.Attempts + 1);
            await FailAsync(job, e.Message, now, park: false);
        }
    }

    /// <summary>Jobs done together by their batch handler at most (a chunk of a claimed batch).</summary>
    private const int MaxTogether = 25;

    private async Task RunTogetherAsync(IJobBatchHandler handler, Job[] jobs, DateTimeOffset now, CancellationToken ct)
    {
        var finished = new List<Job>(jobs.Length);
        var alone = new List<Job>();
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            IReadOnlyList<JobOutcome> outcomes;
            try
            {
                await db.UseGenericPlansAsync(ct);
                outcomes = await handler.HandleBatchAsync(jobs, db, scope.ServiceProvider, now, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // nothing of theirs was done: each fails as it would have alone
                _log.LogWarning(e, "{Count} jobs ({Kind}) failed together", jobs.Length, handler.Kind);
                foreach (var job in jobs) await FailAsync(job, e.Message, now, park: false);
                return;
            }
            for (var i = 0; i < jobs.Length; i++)
            {
                var (kind, error) = outcomes[i];
                if (kind == JobOutcome.Kinds.Done) finished.Add(jobs[i]);
                else if (kind == JobOutcome.Kinds.Alone) alone.Add(jobs[i]);
                else
                {
                    _log.LogWarning(error, "Job {JobId} ({Kind}) failed on attempt {Attempt}", jobs[i].Id, jobs[i].Kind, jobs[i].Attempts + 1);
                    await FailAsync(jobs[i], error?.Message ?? "Failed.", now, park: false);
                }
            }
            if (finished.Count > 0)
            {
                foreach (var job in finished)
                {
                    db.Jobs.Attach(job);
                    db.Jobs.Remove(job);
                }
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        await db.SaveChangesAsync(CancellationToken.None);
                        break;
                    }
                    catch (DbUpdateConcurrencyException e) when (attempt < finished.Count)
                    {
                        // a job moved or cancelled while it ran, or a row its work changes gone meanwhile: that row is left out, the rest saved
                        foreach (var entry in e.Entries) entry.State = EntityState.Detached;
                    }
                }
                _metrics.JobsRun.Add(finished.Count, new KeyValuePair<string, object?>("kind", handler.Kind), new KeyValuePair<string, object?>("outcome", "done"));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // shutting down: the leases run out and the jobs are taken again
            return;
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Saving {Count} jobs ({Kind}) done together failed", finished.Count, handler.Kind);
            foreach (var job in finished) await FailAsync(job, e.Message, now, park: false);
        }
        foreach (var job in alone) await RunOneAsync(job, now, null, ct);
    }

    private async Task FailAsync(Job job, string error, DateTimeOffset now, bool park)
    {
        var max = park ? job.Attempts + 1 : Math.Max(1, _options.MaxAttempts);
        var delay = TimeSpan.FromSeconds(Math.Min(_options.MaxRetryDelaySeconds, _options.RetryDelaySeconds * Math.Pow(2, job.Attempts)));
        delay += TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Min(int.MaxValue, delay.TotalMilliseconds / 5 + 1)));
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        db.Jobs.Attach(job);
        job.Failed(error, now + delay, max);
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            // the job is gone (its ticket was deleted, or a timer was cancelled meanwhile): nothing to retry
        }
        _metrics.JobsRun.Add(1, new KeyValuePair<string, object?>("kind", job.Kind), new KeyValuePair<string, object?>("outcome", job.State == JobState.Parked ? "parked" : "retry"));
    }
}

/// <summary>The "Loopdesk:Jobs" settings.</summary>
public sealed class JobOptions
{
    /// <summary>Whether this process runs due jobs. Turn off on a process that should only serve requests.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>How often an idle runner looks for due jobs; work added by this process wakes it at once.</summary>
    public int PollIntervalMilliseconds { get; set; } = 250;
    public int BatchSize { get; set; } = 100;
    /// <summary>Jobs run at the same time by one process.</summary>
    public int Concurrency { get; set; } = 4;
    /// <summary>Attempts before a job is parked.</summary>
    public int MaxAttempts { get; set; } = 8;
    /// <summary>The first retry delay; it doubles with every attempt up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    public double RetryDelaySeconds { get; set; } = 10;
    public double MaxRetryDelaySeconds { get; set; } = 3600;
    /// <summary>How long a claimed job stays with its process before another may take it.</summary>
    public int LeaseSeconds { get; set; } = 300;
}

/// <summary>
/// Wakes this process's runner when a save added a job that is due now (an outbox entry), once the job is committed:
/// after a save that committed on its own, or, for a save inside a transaction (a unit of work with generic plans, a
/// merge), when that transaction commits. A runner woken earlier would find nothing yet and wait for its next poll.
/// </summary>
public sealed class JobSignal(IServiceProvider services, TimeProvider clock) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<DbContext, object> _pending = [];

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Note(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Note(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context?.Database.CurrentTransaction is null) Signal(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context?.Database.CurrentTransaction is null) Signal(eventData.Context);
        return result;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Signal(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Signal(eventData.Context);
        return Task.CompletedTask;
    }

    // rolled back: the jobs were not saved, and a later save notes its own
    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private void Forget(DbContext? context)
    {
        if (context is not null) _pending.Remove(context);
    }

    private void Note(DbContext? context)
    {
        if (context is null) return;
        var now = clock.GetUtcNow();
        // added entities are known without a scan for changes, which the save itself is about to make
        var detect = context.ChangeTracker.AutoDetectChangesEnabled;
        context.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            foreach (var entry in context.ChangeTracker.Entries<Job>())
            {
                if (entry.State == EntityState.Added && entry.Entity.DueAt <= now)
                {
                    _pending.AddOrUpdate(context, this);
                    return;
                }
            }
        }
        finally
        {
            context.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }

    private void Signal(DbContext? context)
    {
        if (context is null || !_pending.TryGetValue(context, out _)) return;
        _pending.Remove(context);
        services.GetService<JobRunner>()?.Wake();
    }
}
