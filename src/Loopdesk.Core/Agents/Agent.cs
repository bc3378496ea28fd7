using Loopdesk.Core.Common;
namespace Loopdesk.Core.Agents;

/// <summary>What a staff member may do. A collaborator is anyone in the company who may open and note a case.</summary>
public enum AgentRole { Collaborator, Agent, Supervisor, Admin }

public enum AgentTier { Tier1, Tier2, Senior }

/// <summary>Whether a staff member takes new work now: online takes it, away keeps what they have, offline neither.</summary>
public enum Presence { Offline, Away, Online }

/// <summary>A staff user.</summary>
public sealed class Agent
{
    public const int NameMaxLength = 200;

    private Agent() { }

    public Agent(string name, string email, AgentRole role, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Name = name.Trim();
        Email = email;
        Role = role;
        Tier = AgentTier.Tier1;
        Active = true;
        ChatCapacity = 3;
        TicketCapacity = 25;
        CreatedAt = now;
        Version = 1;
    }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    /// <summary>Normalized (lower-case) sign-in and notification address.</summary>
    public string Email { get; private set; } = "";
    public AgentRole Role { get; private set; }
    public AgentTier Tier { get; private set; }
    public List<string> Skills { get; private set; } = [];
    public List<Guid> TeamIds { get; private set; } = [];
    public bool Active { get; private set; }
    public int ChatCapacity { get; private set; }
    /// <summary>Unresolved tickets routing gives this person at most.</summary>
    public int TicketCapacity { get; private set; }
    public Presence Presence { get; private set; }
    /// <summary>The hours this person works (a calendar); routing passes them by outside it. None: any time they are online.</summary>
    public Guid? CalendarId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public int Version { get; private set; }

    public bool IsAtLeast(AgentRole role) => Role >= role;

    public void Update(AgentChange c)
    {
        if (c.Name is { } name) Name = name.Trim();
        if (c.Role is { } role) Role = role;
        if (c.Tier is { } tier) Tier = tier;
        if (c.Skills is { } skills) Skills = [.. skills.Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0).Distinct()];
        if (c.TeamIds is { } teams) TeamIds = [.. teams.Distinct()];
        if (c.Active is { } active) Active = active;
        if (c.ChatCapacity is { } capacity) ChatCapacity = capacity;
        if (c.TicketCapacity is { } tickets) TicketCapacity = tickets;
        if (c.Presence is { } presence) Presence = presence;
        if (c.CalendarId.HasValue) CalendarId = c.CalendarId.Value;
        Version++;
    }
}

public sealed record AgentChange
{
    public string? Name { get; init; }
    public AgentRole? Role { get; init; }
    public AgentTier? Tier { get; init; }
    public IReadOnlyList<string>? Skills { get; init; }
    public IReadOnlyList<Guid>? TeamIds { get; init; }
    public bool? Active { get; init; }
    public int? ChatCapacity { get; init; }
    public int? TicketCapacity { get; init; }
    public Presence? Presence { get; init; }
    public Optional<Guid?> CalendarId { get; init; }
}
