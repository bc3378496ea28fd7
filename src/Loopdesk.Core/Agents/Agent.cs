using Loopdesk.Core.Common;
namespace Loopdesk.Core.Agents;

/// <summary>What a staff member may do. A collaborator is anyone in the company who may open and note a case.</summary>
public enum AgentRole { Collaborator, Agent, Supervisor, Admin }

public enum AgentTier { Tier1, Tier2, Senior }

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
}
