using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Web.Workspace;

/// <summary>Who a saved view's tickets belong to.</summary>
public enum OwnerFilter { Anyone, Me, Nobody, Agent }

/// <summary>An agent's own inbox: a name and the filters that pick its tickets, shown under the built-in inboxes.</summary>
public sealed class SavedView
{
    public const int NameMaxLength = 60;
    public const int MaxPerAgent = 30;

    private SavedView() { }

    public SavedView(Guid agentId, string name, DateTimeOffset now)
    {
        Id = Ids.New(now);
        AgentId = agentId;
        Name = name.Trim();
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid AgentId { get; private set; }
    public string Name { get; set; } = "";
    /// <summary>Empty: any status.</summary>
    public List<TicketStatus> Statuses { get; set; } = [];
    public TicketPriority? Priority { get; set; }
    public Channel? Channel { get; set; }
    public TicketType? Type { get; set; }
    public Guid? TeamId { get; set; }
    public OwnerFilter Owner { get; set; }
    public Guid? OwnerId { get; set; }
    public string? Tag { get; set; }
    public InboxSort Sort { get; set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>The tickets this view picks, for the agent who owns it.</summary>
    public IQueryable<Ticket> Apply(IQueryable<Ticket> tickets)
    {
        if (Statuses.Count > 0)
        {
            var statuses = Statuses.ToList();
            tickets = tickets.Where(t => statuses.Contains(t.Status));
        }
        return ApplyOthers(tickets);
    }

    /// <summary>The same tickets as <see cref="Apply"/>, a part per status (written into the SQL, as the built-in inboxes' parts), for <see cref="InboxViews.Merge"/>.</summary>
    public IReadOnlyList<IQueryable<Ticket>> Parts(IQueryable<Ticket> tickets)
        => Statuses.Count > 0 ? [.. Statuses.Distinct().Select(status => ApplyOthers(tickets.Where(t => t.Status == EF.Constant(status))))] : [Apply(tickets)];

    private IQueryable<Ticket> ApplyOthers(IQueryable<Ticket> tickets)
    {
        if (Priority is { } priority) tickets = tickets.Where(t => t.Priority == priority);
        if (Channel is { } channel) tickets = tickets.Where(t => t.Channel == channel);
        if (Type is { } type) tickets = tickets.Where(t => t.Type == type);
        if (TeamId is { } team) tickets = tickets.Where(t => t.TeamId == team);
        var me = AgentId;
        tickets = Owner switch
        {
            OwnerFilter.Me => tickets.Where(t => t.AssigneeId == me),
            OwnerFilter.Nobody => tickets.Where(t => t.AssigneeId == null),
            OwnerFilter.Agent when OwnerId is { } owner => tickets.Where(t => t.AssigneeId == owner),
            _ => tickets,
        };
        if (!string.IsNullOrWhiteSpace(Tag))
        {
            var tag = Tag.Trim().ToLowerInvariant();
            tickets = tickets.Where(t => t.Tags.Contains(tag));
        }
        return tickets;
    }
}

internal sealed class SavedViewConfiguration : IEntityTypeConfiguration<SavedView>
{
    public void Configure(EntityTypeBuilder<SavedView> b)
    {
        b.ToTable("SavedViews");
        b.HasKey(v => v.Id);
        b.Property(v => v.Name).HasMaxLength(SavedView.NameMaxLength);
        b.Property(v => v.Tag).HasMaxLength(64);
        b.PrimitiveCollection(v => v.Statuses);
        b.HasIndex(v => v.AgentId);
    }
}
