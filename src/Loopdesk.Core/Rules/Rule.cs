using System.Text.Json;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Rules;

/// <summary>All: every condition must hold. Any: one is enough.</summary>
public enum RuleMatch { All, Any }

/// <summary>
/// A rule admins keep as data: on which events it runs, the conditions that must hold, and the actions it takes.
/// A built-in rule (<see cref="Key"/> set) has its behaviour in code and its thresholds in <see cref="Settings"/>;
/// it is switched and tuned through the same API as any other rule.
/// </summary>
public sealed class Rule
{
    public const int NameMaxLength = 200;
    public const int MaxConditions = 50;
    public const int MaxActions = 20;

    private Rule() { }

    public static Rule Create(string name, DateTimeOffset now, string? key = null) => new()
    {
        Id = Ids.New(now),
        Name = name.Trim(),
        Key = key,
        Enabled = true,
        CreatedAt = now,
        UpdatedAt = now,
        Version = 1,
    };

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    public string? Description { get; private set; }
    /// <summary>The built-in rule this row tunes (<c>repeat-contact</c>…); null for a rule an admin wrote.</summary>
    public string? Key { get; private set; }
    public bool Enabled { get; private set; }
    /// <summary>Rules run in ascending position, then by creation.</summary>
    public int Position { get; private set; }
    /// <summary>Event types that start the rule (<c>ticket.created</c>, <c>message.added</c>…).</summary>
    public List<string> Events { get; private set; } = [];
    public RuleMatch Match { get; private set; }
    public List<RuleCondition> Conditions { get; private set; } = [];
    public List<RuleAction> Actions { get; private set; } = [];
    /// <summary>A built-in rule's thresholds and windows, by name; durations are in seconds.</summary>
    public Dictionary<string, JsonElement> Settings { get; private set; } = [];
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }

    public bool IsBuiltin => Key is not null;

    public string ETag => $"\"v{Version}\"";

    public void Update(RuleChange c, DateTimeOffset now)
    {
        if (c.Name is { } name) Name = name.Trim();
        if (c.Description.HasValue) Description = c.Description.Value;
        if (c.Enabled is { } enabled) Enabled = enabled;
        if (c.Position is { } position) Position = position;
        if (c.Events is { } events) Events = [.. events.Distinct()];
        if (c.Match is { } match) Match = match;
        if (c.Conditions is { } conditions) Conditions = [.. conditions];
        if (c.Actions is { } actions) Actions = [.. actions];
        if (c.Settings is { } settings)
        {
            var merged = new Dictionary<string, JsonElement>(Settings);
            foreach (var (k, v) in settings) merged[k] = v;
            Settings = merged;
        }
        UpdatedAt = now;
        Version++;
    }

    /// <summary>A setting as a number, or <paramref name="fallback"/> when it is not set.</summary>
    public double Number(string name, double fallback)
        => Settings.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    public string? Text(string name)
        => Settings.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public bool Flag(string name, bool fallback)
        => Settings.TryGetValue(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    public TimeSpan Seconds(string name, double fallback) => TimeSpan.FromSeconds(Number(name, fallback));
}

/// <summary>One test on a fact: <c>ticket.priority is high</c>, <c>ticket.tags contains vip</c>, <c>message.body contains refund</c>.</summary>
public sealed record RuleCondition(string Field, string Operator, string? Value = null, IReadOnlyList<string>? Values = null);

/// <summary>One thing a rule does: <c>add_tag vip</c>, <c>assign_team {id}</c>, <c>send_reply</c> with a template body…</summary>
public sealed record RuleAction(string Type, string? Value = null, string? Body = null, long? DueInSeconds = null);

/// <summary>A partial change to a rule; null leaves a part as it is.</summary>
public sealed record RuleChange
{
    public string? Name { get; init; }
    public Optional<string?> Description { get; init; }
    public bool? Enabled { get; init; }
    public int? Position { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public RuleMatch? Match { get; init; }
    public IReadOnlyList<RuleCondition>? Conditions { get; init; }
    public IReadOnlyList<RuleAction>? Actions { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? Settings { get; init; }
}
