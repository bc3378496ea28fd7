using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Loopdesk.Platform.Auth;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web.Workspace;

/// <summary>
/// The counts of the inboxes that are the same for everyone who sees every ticket (unassigned, pending, breaching soon,
/// awaiting confirmation, follow-ups, internal requests), counted once per host per change and shared by every page and
/// open workspace. A count holds while the newest ticket event and the minute stay the same: every change to a ticket
/// appends an event, and time alone moves tickets into "breaching soon". The feed's word that events came in drops the
/// counts too, which catches a change committed late with an earlier time.
/// </summary>
public sealed class SharedCounts : IDisposable
{
    /// <summary>The inboxes whose count does not depend on who looks (for staff who see every ticket).</summary>
    public static readonly IReadOnlySet<string> Keys = new HashSet<string>(["unassigned", "pending", "breaching", "awaiting", "follow-ups", "internal"]);

    private readonly Lock _gate = new();
    private readonly IDisposable _feed;
    private (Guid Newest, long Minute) _key;
    private int _counted;
    private Task<Dictionary<string, int>>? _counts;

    public SharedCounts(WorkspaceFeed feed) => _feed = feed.Subscribe(_ => Drop());

    /// <summary>How many times the counts were taken from the database, for tests.</summary>
    public int Counted => _counted;

    /// <summary>True when the viewer's counts of <see cref="Keys"/> are everyone's: they see every ticket.</summary>
    public static bool AppliesTo(Viewer viewer) => viewer.User.IsAtLeast(AgentRole.Agent);

    /// <summary>The shared counts as of the viewer's moment; counted now only when something changed since they were last taken.</summary>
    public async Task<IReadOnlyDictionary<string, int>> GetAsync(LoopdeskDb db, Viewer viewer, CancellationToken ct)
    {
        var newest = await db.TicketEvents.AsNoTracking().OrderByDescending(e => e.RecordedAt).Select(e => e.Id).FirstOrDefaultAsync(ct);
        var key = (newest, viewer.Now.ToUnixTimeSeconds() / 60);
        Task<Dictionary<string, int>> counts;
        lock (_gate)
        {
            if (_counts is null || (_counts.IsCompleted && !_counts.IsCompletedSuccessfully) || _key != key)
            {
                _key = key;
                _counts = CountAsync(db, viewer, ct);
            }
            counts = _counts;
        }
        return await counts;
    }

    private async Task<Dictionary<string, int>> CountAsync(LoopdeskDb db, Viewer viewer, CancellationToken ct)
    {
        Interlocked.Increment(ref _counted);
        var counts = new Dictionary<string, int>();
        foreach (var key in Keys) counts[key] = await InboxViews.CountAsync(db, viewer, key, ct);
        return counts;
    }

    private void Drop()
    {
        lock (_gate) _counts = null;
    }

    public void Dispose() => _feed.Dispose();
}
