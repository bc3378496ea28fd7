using Loopdesk.Core.Common;
namespace Loopdesk.Core.Teams;

/// <summary>How a team's new tickets find an owner: by hand, in turn, or to whoever has least open work.</summary>
public enum RoutingMode { Manual, RoundRobin, LeastLoaded }

/// <summary>A queue of work and the agents who take it: Support, Billing, Senior technicians, Follow-ups.</summary>
public sealed class Team
{
    public const int NameMaxLength = 100;

    private Team() { }

    public Team(string name, string? description, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Name = name.Trim();
        Description = description;
        CreatedAt = now;
        Version = 1;
    }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    public string? Description { get; private set; }
    public Guid? LeadId { get; private set; }
    public RoutingMode Routing { get; private set; } = RoutingMode.LeastLoaded;
    /// <summary>Who got the last ticket, for round-robin.</summary>
    public Guid? LastAssignedId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public int Version { get; private set; }

    public void Route(RoutingMode mode)
    {
        Routing = mode;
        Version++;
    }

    /// <summary>Notes who got the latest ticket; not a change of the team's settings.</summary>
    public void Assigned(Guid agentId) => LastAssignedId = agentId;

    public void Update(string? name, string? description, Guid? leadId, bool clearLead)
    {
        if (name is not null) Name = name.Trim();
        if (description is not null) Description = description;
        if (leadId is not null) LeadId = leadId;
        else if (clearLead) LeadId = null;
        Version++;
    }
}
