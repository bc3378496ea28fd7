using Loopdesk.Platform;

namespace Loopdesk.Tests.Platform;

/// <summary>The group commit behind the ticket writer and the inbound webhook: items queued together are written together, each caller gets its own result.</summary>
public sealed class GroupCommitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Items_that_queue_while_a_write_runs_are_written_together_and_each_gets_its_own_result()
    {
        var firstWriteRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var groups = new List<int>();
        await using var queue = new GroupCommit<int, string>(maxGroup: 64, writers: 1, async group =>
        {
            lock (groups) groups.Add(group.Count);
            firstWriteRunning.TrySetResult();
            await release.Task;
            foreach (var entry in group) entry.Succeed($"item {entry.Item}");
        });

        var first = queue.WriteAsync(0, Ct);
        await firstWriteRunning.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var rest = Enumerable.Range(1, 20).Select(i => queue.WriteAsync(i, Ct)).ToList();
        release.SetResult();
        var results = await Task.WhenAll([first, .. rest]).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(Enumerable.Range(0, 21).Select(i => $"item {i}"), results);
        Assert.Equal([1, 20], groups);
    }

    [Fact]
    public async Task A_write_that_throws_fails_every_item_of_its_group_and_the_next_group_is_written()
    {
        var calls = 0;
        await using var queue = new GroupCommit<int, int>(maxGroup: 8, writers: 1, group =>
        {
            if (Interlocked.Increment(ref calls) == 1) throw new InvalidOperationException("the database is gone");
            foreach (var entry in group) entry.Succeed(entry.Item);
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => queue.WriteAsync(1, Ct));
        Assert.Equal("the database is gone", error.Message);
        Assert.Equal(2, await queue.WriteAsync(2, Ct));
    }

    [Fact]
    public async Task A_write_may_settle_an_item_later_while_the_next_group_is_written()
    {
        var later = new TaskCompletionSource<GroupCommit<int, int>.Entry>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var queue = new GroupCommit<int, int>(maxGroup: 8, writers: 1, group =>
        {
            foreach (var entry in group)
            {
                if (entry.Item == 1) later.SetResult(entry);
                else entry.Succeed(entry.Item);
            }
            return Task.CompletedTask;
        });

        var setAside = queue.WriteAsync(1, Ct);
        var held = await later.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(2, await queue.WriteAsync(2, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.False(setAside.IsCompleted);
        held.Succeed(10);
        Assert.Equal(10, await setAside.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Completing_writes_what_is_queued_and_takes_nothing_more()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var written = 0;
        var queue = new GroupCommit<int, int>(maxGroup: 2, writers: 1, async group =>
        {
            await release.Task;
            foreach (var entry in group)
            {
                Interlocked.Increment(ref written);
                entry.Succeed(entry.Item);
            }
        });
        var queued = Enumerable.Range(0, 5).Select(i => queue.WriteAsync(i, Ct)).ToList();

        var completing = queue.CompleteAsync(Ct);
        release.SetResult();
        await completing.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(5, written);
        var results = await Task.WhenAll(queued);
        Assert.Equal(Enumerable.Range(0, 5), results);
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => queue.WriteAsync(9, Ct));
        await queue.DisposeAsync();
    }
}
