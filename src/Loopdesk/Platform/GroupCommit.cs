using System.Threading.Channels;

namespace Loopdesk.Platform;

/// <summary>
/// Requests that arrive together, written together (group commit): a caller queues its item and waits for its result;
/// a few writers each take whatever is queued, up to a group's size, and hand it to one write, which spends the fixed
/// cost of a save — a transaction, a commit, on SQLite a turn at the one write gate, on PostgreSQL a flush of its log —
/// once per group instead of once per request. The write settles every entry of its group, before it returns or, for
/// work it sets aside, later; should it throw, every entry it has not settled fails with that error. The writers start
/// with the first item, so a command-line run that queues nothing starts none.
/// </summary>
public sealed class GroupCommit<TItem, TResult> : IAsyncDisposable
{
    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleWriter = false,
    });
    private readonly int _maxGroup;
    private readonly int _writers;
    private readonly Func<IReadOnlyList<Entry>, Task> _write;
    private readonly Lock _startGate = new();
    private Task? _running;

    /// <param name="maxGroup">The most entries one write takes.</param>
    /// <param name="writers">Groups written at once: while one commits, the next can read and decide.</param>
    /// <param name="write">Writes a group and settles each of its entries (it must not keep the list, which is reused).</param>
    public GroupCommit(int maxGroup, int writers, Func<IReadOnlyList<Entry>, Task> write)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxGroup, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        _maxGroup = maxGroup;
        _writers = writers;
        _write = write;
    }

    /// <summary>One queued item and the result its caller waits for.</summary>
    public sealed class Entry(TItem item)
    {
        private readonly TaskCompletionSource<TResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TItem Item { get; } = item;

        internal Task<TResult> Done => _done.Task;

        public void Succeed(TResult result) => _done.TrySetResult(result);

        public void Fail(Exception error) => _done.TrySetException(error);
    }

    /// <summary>
    /// Queues the item and returns its result once its group is written. Cancelling stops the wait, not the write: an
    /// item taken is written.
    /// </summary>
    public async Task<TResult> WriteAsync(TItem item, CancellationToken ct)
    {
        EnsureRunning();
        var entry = new Entry(item);
        await _queue.Writer.WriteAsync(entry, ct);
        return await entry.Done.WaitAsync(ct);
    }

    private void EnsureRunning()
    {
        if (_running is not null) return;
        lock (_startGate)
        {
            _running ??= Task.WhenAll(Enumerable.Range(0, _writers).Select(_ => Task.Run(WriteLoopAsync)));
        }
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Entry>(_maxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < _maxGroup && _queue.Reader.TryRead(out var entry)) group.Add(entry);
            if (group.Count == 0) continue;
            try
            {
                await _write(group);
            }
            catch (Exception e)
            {
                foreach (var entry in group) entry.Fail(e);
            }
        }
    }

    /// <summary>Stops taking items and writes those already queued.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        _queue.Writer.TryComplete();
        if (_running is not null) await _running.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_running is not null) await _running;
    }
}
