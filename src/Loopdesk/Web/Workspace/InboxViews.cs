using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web.Workspace;

/// <summary>One built-in inbox: its address, its title and what to do when it is empty.</summary>
public sealed record InboxView(string Key, string Title, string Empty);

/// <summary>A ticket as an inbox row.</summary>
public sealed record InboxRow(
    string Reference, string Subject, TicketStatus Status, TicketPriority Priority, Channel Channel, string Customer, bool Vip,
    Guid? AssigneeId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DueAt, Guid Id);

public enum InboxSort { Newest, Oldest, Priority, Updated }

/// <summary>Who is looking: the inbox filters depend on it, and a collaborator sees only the tickets given to them.</summary>
public sealed record Viewer(System.Security.Claims.ClaimsPrincipal User, Guid AgentId, IReadOnlyList<Guid> TeamIds, DateTimeOffset Now)
{
    public IQueryable<Ticket> Tickets(LoopdeskDb db) => db.Tickets.AsNoTracking().VisibleTo(User);
}

public static class InboxViews
{
    /// <summary>How far ahead "breaching soon" looks.</summary>
    public static readonly TimeSpan BreachWindow = TimeSpan.FromHours(2);

    public static readonly IReadOnlyList<InboxView> All =
    [
        new("mine", "My open tickets", "Nothing of yours is open. Take the oldest ticket from Unassigned, or enjoy the quiet."),
        new("unassigned", "Unassigned", "Every open ticket has an owner."),
        new("team", "My team", "Your teams have no open tickets."),
        new("pending", "Pending", "No ticket is waiting on a customer or a third party."),
        new("breaching", "Breaching soon", "No reply or resolution is due in the next two hours."),
        new("awaiting", "Solved, awaiting confirmation", "No solved ticket is waiting for the customer to confirm."),
        new("follow-ups", "Follow-ups", "No follow-up of an earlier ticket is open."),
        new("internal", "Internal requests", "No co-worker is waiting on a request."),
    ];

    public static InboxView? Find(string key) => All.FirstOrDefault(v => v.Key == key);

    private static readonly TicketStatus[] Working = [TicketStatus.New, TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold];
    private static readonly TicketStatus[] Unanswered = [TicketStatus.New, TicketStatus.Open];

    /// <summary>Counts in the menu stop here and show as "999+": past it a number tells nobody anything, and counting costs.</summary>
    public const int CountCap = 999;

    /// <summary>What an inbox holds: one condition, which its count uses.</summary>
    public static IQueryable<Ticket> In(this IQueryable<Ticket> tickets, string key, LoopdeskDb db, Viewer viewer)
    {
        var me = viewer.AgentId;
        var teams = viewer.TeamIds.ToList();
        var soon = viewer.Now + BreachWindow;
        return key switch
        {
            "mine" => tickets.Where(t => t.AssigneeId == me && Working.Contains(t.Status)),
            "unassigned" => tickets.Where(t => t.AssigneeId == null && Unanswered.Contains(t.Status)),
            "team" => tickets.Where(t => t.TeamId != null && teams.Contains(t.TeamId.Value) && Working.Contains(t.Status)),
            "pending" => tickets.Where(t => t.Status == TicketStatus.Pending || t.Status == TicketStatus.OnHold),
            // a clock has a due time only while it runs, so the due-time indexes hold the few rows that can qualify (one per ticket)
            "breaching" => from s in db.TicketSlas
                           where s.FirstReplyDueAt < soon || s.NextReplyDueAt < soon || s.ResolutionDueAt < soon
                           join t in tickets on s.TicketId equals t.Id
                           where Unanswered.Contains(t.Status)
                           select t,
            "awaiting" => tickets.Where(t => t.Status == TicketStatus.Solved),
            "follow-ups" => tickets.Where(t => t.FollowUpOfId != null && Working.Contains(t.Status)),
            "internal" => tickets.Where(t => (t.Channel == Channel.Internal || t.Type == TicketType.InternalRequest) && Working.Contains(t.Status)),
            _ => tickets.Where(t => false),
        };
    }

    /// <summary>
    /// The same tickets as <see cref="In"/>, as disjoint parts that each read one stretch of an index already in
    /// creation order (a status of a team, of an owner …), so a page takes the first rows of each part and merges them
    /// instead of sorting every matching ticket.
    /// </summary>
    /// <remarks>
    /// A part's status is written into its SQL, not sent as a parameter: PostgreSQL plans a prepared statement once for
    /// any value after a few runs, and a plan good for "closed" (most tickets) reads the whole table for "new" (a few).
    /// </remarks>
    private static IReadOnlyList<IQueryable<Ticket>> Parts(IQueryable<Ticket> tickets, string key, LoopdeskDb db, Viewer viewer)
    {
        var me = viewer.AgentId;
        var soon = viewer.Now + BreachWindow;
        return key switch
        {
            "mine" => [.. Working.Select(status => tickets.Where(t => t.AssigneeId == me && t.Status == EF.Constant(status)))],
            "unassigned" => [.. Unanswered.Select(status => tickets.Where(t => t.AssigneeId == null && t.Status == EF.Constant(status)))],
            "team" when viewer.TeamIds.Count == 0 => [tickets.Where(t => false)],
            "team" => [.. viewer.TeamIds.Distinct().SelectMany(team => Working.Select(status => tickets.Where(t => t.TeamId == team && t.Status == EF.Constant(status))))],
            "pending" => [tickets.Where(t => t.Status == EF.Constant(TicketStatus.Pending)), tickets.Where(t => t.Status == EF.Constant(TicketStatus.OnHold))],
            // newest first through the status index, each ticket checked against its SLA row
            "breaching" => [.. Unanswered.Select(status => tickets.Where(t => t.Status == EF.Constant(status) && db.TicketSlas.Any(s => s.TicketId == t.Id
                && (s.FirstReplyDueAt < soon || s.NextReplyDueAt < soon || s.ResolutionDueAt < soon))))],
            "follow-ups" => [.. Working.Select(status => tickets.Where(t => t.FollowUpOfId != null && t.Status == EF.Constant(status)))],
            "internal" => [.. Working.Select(status => tickets.Where(t => (t.Channel == Channel.Internal || t.Type == TicketType.InternalRequest) && t.Status == EF.Constant(status)))],
            _ => [tickets.In(key, db, viewer)],
        };
    }

    /// <summary>The first <paramref name="limit"/> tickets of an inbox in the order asked for.</summary>
    public static IQueryable<Ticket> Page(LoopdeskDb db, Viewer viewer, string key, InboxSort sort, int limit)
        => Merge(Parts(viewer.Tickets(db), key, db, viewer), sort, limit);

    /// <summary>The first <paramref name="limit"/> of the union of disjoint parts: the first of each part, sorted again.</summary>
    public static IQueryable<Ticket> Merge(IReadOnlyList<IQueryable<Ticket>> parts, InboxSort sort, int limit)
    {
        if (parts.Count == 1) return parts[0].Sorted(sort).Take(limit);
        return parts.Select(p => p.Sorted(sort).Take(limit)).Aggregate((a, b) => a.Concat(b)).Sorted(sort).Take(limit);
    }

    /// <summary>A count as the menu shows it.</summary>
    public static string Label(int count) => count > CountCap ? $"{CountCap}+" : count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static IQueryable<Ticket> Sorted(this IQueryable<Ticket> tickets, InboxSort sort) => sort switch
    {
        InboxSort.Oldest => tickets.OrderBy(t => t.CreatedAt).ThenBy(t => t.Reference),
        InboxSort.Priority => tickets.OrderByDescending(t => t.Priority).ThenBy(t => t.CreatedAt),
        InboxSort.Updated => tickets.OrderByDescending(t => t.UpdatedAt),
        _ => tickets.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Reference),
    };

    public static IQueryable<InboxRow> Rows(this IQueryable<Ticket> tickets, LoopdeskDb db)
        => from t in tickets
           join c in db.Customers on t.CustomerId equals c.Id
           select new InboxRow(t.Reference, t.Subject, t.Status, t.Priority, t.Channel, c.PreferredName ?? c.Name, c.Vip, t.AssigneeId, t.CreatedAt, t.UpdatedAt, t.DueAt, t.Id);

    /// <summary>
    /// How many tickets disjoint parts hold together, up to one more than <see cref="CountCap"/>: a part at a time, each
    /// asked only for what the cap still leaves. A part reads one stretch of an index and stops there, where a count over
    /// their union (several statuses, several due times) makes PostgreSQL gather every match in a bitmap first.
    /// </summary>
    public static async Task<int> CappedCountAsync(IEnumerable<IQueryable<Ticket>> parts, CancellationToken ct)
    {
        var count = 0;
        foreach (var part in parts)
        {
            count += await part.Take(CountCap + 1 - count).CountAsync(ct);
            if (count > CountCap) break;
        }
        return count;
    }

    /// <summary>The tickets of an inbox as disjoint parts to count: those of its page, and for "breaching" the running clocks due soon, a due time at a time.</summary>
    private static IEnumerable<IQueryable<Ticket>> CountParts(string key, LoopdeskDb db, Viewer viewer)
    {
        if (key != "breaching") return Parts(viewer.Tickets(db), key, db, viewer);
        var soon = viewer.Now + BreachWindow;
        var tickets = viewer.Tickets(db).Where(t => Unanswered.Contains(t.Status));
        // from the clocks' side through each due-time index: few clocks run, so these stretches are short
        return
        [
            from s in db.TicketSlas where s.FirstReplyDueAt < soon join t in tickets on s.TicketId equals t.Id select t,
            from s in db.TicketSlas
            where s.NextReplyDueAt < soon && (s.FirstReplyDueAt == null || s.FirstReplyDueAt >= soon)
            join t in tickets on s.TicketId equals t.Id
            select t,
            from s in db.TicketSlas
            where s.ResolutionDueAt < soon && (s.FirstReplyDueAt == null || s.FirstReplyDueAt >= soon) && (s.NextReplyDueAt == null || s.NextReplyDueAt >= soon)
            join t in tickets on s.TicketId equals t.Id
            select t,
        ];
    }

    /// <summary>The count of one built-in inbox, at most one past <see cref="CountCap"/>.</summary>
    public static Task<int> CountAsync(LoopdeskDb db, Viewer viewer, string key, CancellationToken ct) => CappedCountAsync(CountParts(key, db, viewer), ct);

    /// <summary>The count of every built-in inbox, keyed by its key, and of the viewer's saved views, keyed by their id; each at most one past <see cref="CountCap"/>.</summary>
    /// <remarks>With <paramref name="shared"/>, the inboxes that are the same for everyone are taken from it when they apply to the viewer.</remarks>
    public static async Task<Dictionary<string, int>> CountsAsync(LoopdeskDb db, Viewer viewer, IEnumerable<SavedView> saved, SharedCounts? shared, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>();
        var common = shared is not null && SharedCounts.AppliesTo(viewer) ? await shared.GetAsync(db, viewer, ct) : null;
        foreach (var view in All) counts[view.Key] = common is not null && common.TryGetValue(view.Key, out var n) ? n : await CountAsync(db, viewer, view.Key, ct);
        foreach (var view in saved) counts[view.Id.ToString()] = await CappedCountAsync(view.Parts(viewer.Tickets(db)), ct);
        return counts;
    }

    public static async Task<Viewer> ViewerAsync(LoopdeskDb db, System.Security.Claims.ClaimsPrincipal user, DateTimeOffset now, CancellationToken ct)
    {
        var agentId = user.AgentId();
        var teams = await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.TeamIds).FirstOrDefaultAsync(ct);
        return new Viewer(user, agentId, teams ?? [], now);
    }

    public static Task<List<SavedView>> SavedAsync(LoopdeskDb db, Guid agentId, CancellationToken ct)
        => db.SavedViews.AsNoTracking().Where(v => v.AgentId == agentId).OrderBy(v => v.Name).ToListAsync(ct);
}
