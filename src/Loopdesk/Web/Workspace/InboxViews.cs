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
    Guid? AssigneeId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? DueAt);

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

    public static IQueryable<Ticket> In(this IQueryable<Ticket> tickets, string key, LoopdeskDb db, Viewer viewer)
    {
        var me = viewer.AgentId;
        var teams = viewer.TeamIds.ToList();
        var soon = viewer.Now + BreachWindow;
        return key switch
        {
            "mine" => tickets.Where(t => t.AssigneeId == me && Working.Contains(t.Status)),
            "unassigned" => tickets.Where(t => t.AssigneeId == null && (t.Status == TicketStatus.New || t.Status == TicketStatus.Open)),
            "team" => tickets.Where(t => t.TeamId != null && teams.Contains(t.TeamId.Value) && Working.Contains(t.Status)),
            "pending" => tickets.Where(t => t.Status == TicketStatus.Pending || t.Status == TicketStatus.OnHold),
            "breaching" => tickets.Where(t => (t.Status == TicketStatus.New || t.Status == TicketStatus.Open) && db.TicketSlas.Any(s => s.TicketId == t.Id
                && ((s.FirstReplyDueAt != null && s.FirstReplyDueAt < soon) || (s.NextReplyDueAt != null && s.NextReplyDueAt < soon)
                    || (s.ResolutionDueAt != null && s.ResolutionDueAt < soon)))),
            "awaiting" => tickets.Where(t => t.Status == TicketStatus.Solved),
            "follow-ups" => tickets.Where(t => t.FollowUpOfId != null && Working.Contains(t.Status)),
            "internal" => tickets.Where(t => (t.Channel == Channel.Internal || t.Type == TicketType.InternalRequest) && Working.Contains(t.Status)),
            _ => tickets.Where(t => false),
        };
    }

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
           select new InboxRow(t.Reference, t.Subject, t.Status, t.Priority, t.Channel, c.PreferredName ?? c.Name, c.Vip, t.AssigneeId, t.CreatedAt, t.UpdatedAt, t.DueAt);

    /// <summary>The count of every built-in inbox, keyed by its key, and of the viewer's saved views, keyed by their id.</summary>
    public static async Task<Dictionary<string, int>> CountsAsync(LoopdeskDb db, Viewer viewer, IEnumerable<SavedView> saved, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>();
        foreach (var view in All) counts[view.Key] = await viewer.Tickets(db).In(view.Key, db, viewer).CountAsync(ct);
        foreach (var view in saved) counts[view.Id.ToString()] = await view.Apply(viewer.Tickets(db)).CountAsync(ct);
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
