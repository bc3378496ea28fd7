using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web;

/// <summary>A change to a ticket, as the live workspace hears of it.</summary>
public sealed record FeedEvent(Guid Id, Guid TicketId, string Type, DateTimeOffset RecordedAt);

/// <summary>
/// Tells open workspace pages what changed, from the events every ticket change appends in its own transaction. It reads
/// the event table by time every second while anyone listens, so it hears changes made by the API, by rules, by mail and
/// by other hosts alike; a short overlap catches transactions that commit out of order, and ids already told are skipped.
/// </summary>
public sealed class WorkspaceFeed(IServiceScopeFactory scopes, TimeProvider clock, ILogger<WorkspaceFeed> log) : BackgroundService
{
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(3);
    private readonly Lock _gate = new();
    private readonly List<Action<IReadOnlyList<FeedEvent>>> _listeners = [];
    private readonly Dictionary<Guid, DateTimeOffset> _told = [];
    private DateTimeOffset _since = DateTimeOffset.MinValue;

    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Listens until the returned handle is disposed. The callback runs on a background thread.</summary>
    public IDisposable Subscribe(Action<IReadOnlyList<FeedEvent>> listener)
    {
        lock (_gate) _listeners.Add(listener);
        return new Subscription(this, listener);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        _since = clock.GetUtcNow();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Action<IReadOnlyList<FeedEvent>>[] listeners;
            lock (_gate) listeners = [.. _listeners];
            if (listeners.Length == 0)
            {
                _since = clock.GetUtcNow();
                continue;
            }
            try
            {
                var fresh = await ReadAsync(stoppingToken);
                if (fresh.Count == 0) continue;
                foreach (var listener in listeners) listener(fresh);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "The workspace feed could not read new events; it tries again in a second");
            }
        }
    }

    private async Task<List<FeedEvent>> ReadAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var from = _since - Overlap;
        var rows = await db.TicketEvents.AsNoTracking().Where(e => e.RecordedAt > from).OrderBy(e => e.RecordedAt).Take(1000)
            .Select(e => new FeedEvent(e.Id, e.TicketId, e.Type, e.RecordedAt)).ToListAsync(ct);
        var fresh = rows.Where(r => !_told.ContainsKey(r.Id)).ToList();
        foreach (var r in fresh) _told[r.Id] = r.RecordedAt;
        // never past now: a row stamped ahead (a clock that differs between hosts, imported data) must not hide the next ones
        var now = clock.GetUtcNow();
        if (rows.Count > 0 && rows[^1].RecordedAt > _since) _since = rows[^1].RecordedAt < now ? rows[^1].RecordedAt : now;
        foreach (var old in _told.Where(t => t.Value < _since - Overlap - Overlap).Select(t => t.Key).ToList()) _told.Remove(old);
        return fresh;
    }

    private sealed class Subscription(WorkspaceFeed feed, Action<IReadOnlyList<FeedEvent>> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (feed._gate) feed._listeners.Remove(listener);
        }
    }
}

/// <summary>
/// Who has a ticket open in this host, and who is writing on it, so two agents on one ticket see each other. Kept in
/// memory: a page that closes or loses its connection leaves within a minute.
/// </summary>
public sealed class TicketPresence(TimeProvider clock)
{
    private static readonly TimeSpan Stale = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Dictionary<Guid, Visitor>> _tickets = [];

    public sealed record Visitor(Guid PageId, Guid AgentId, string Name, bool Replying, DateTimeOffset Seen);

    public event Action<Guid>? Changed;

    public void Here(Guid ticketId, Guid pageId, Guid agentId, string name, bool replying)
    {
        lock (_gate)
        {
            if (!_tickets.TryGetValue(ticketId, out var pages)) _tickets[ticketId] = pages = [];
            var had = pages.TryGetValue(pageId, out var before);
            pages[pageId] = new Visitor(pageId, agentId, name, replying, clock.GetUtcNow());
            if (had && before!.Replying == replying) return;
        }
        Changed?.Invoke(ticketId);
    }

    public void Gone(Guid ticketId, Guid pageId)
    {
        lock (_gate)
        {
            if (!_tickets.TryGetValue(ticketId, out var pages) || !pages.Remove(pageId)) return;
            if (pages.Count == 0) _tickets.Remove(ticketId);
        }
        Changed?.Invoke(ticketId);
    }

    /// <summary>The others on the ticket: one line per person, replying wins over viewing.</summary>
    public IReadOnlyList<Visitor> Others(Guid ticketId, Guid me)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (!_tickets.TryGetValue(ticketId, out var pages)) return [];
            return [.. pages.Values.Where(v => v.AgentId != me && now - v.Seen < Stale)
                .GroupBy(v => v.AgentId).Select(g => g.OrderByDescending(v => v.Replying).First()).OrderBy(v => v.Name)];
        }
    }
}
