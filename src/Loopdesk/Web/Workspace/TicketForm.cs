using Loopdesk.Core.Tickets;

namespace Loopdesk.Web.Workspace;

/// <summary>
/// The ticket fields the ticket page edits, as filled in. Two agents may edit one ticket at once: each edit is a diff
/// against the state the form was filled from, so changes to different fields both apply, and only a field both changed
/// is a conflict — refused with a clear message, never overwritten.
/// </summary>
public sealed record TicketForm(TicketStatus Status, TicketPriority Priority, TicketType Type, Guid? TeamId, Guid? OwnerId, IReadOnlyList<string> Tags)
{
    public static TicketForm Of(Ticket t) => new(t.Status, t.Priority, t.Type, t.TeamId, t.AssigneeId, [.. t.Tags]);

    /// <summary>"a, B ,c" as the tags a ticket stores: trimmed, lower case, distinct, sorted.</summary>
    public static IReadOnlyList<string> ParseTags(string text)
        => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal)];

    /// <summary>The fields (by their label) where this form differs from another.</summary>
    public IReadOnlyList<string> Differences(TicketForm other)
    {
        var fields = new List<string>();
        if (Status != other.Status) fields.Add("status");
        if (Priority != other.Priority) fields.Add("priority");
        if (Type != other.Type) fields.Add("type");
        if (TeamId != other.TeamId) fields.Add("team");
        if (OwnerId != other.OwnerId) fields.Add("owner");
        if (!Tags.SequenceEqual(other.Tags)) fields.Add("tags");
        return fields;
    }

    /// <summary>Fields this form changed from <paramref name="basis"/> that someone else changed differently meanwhile.</summary>
    public IReadOnlyList<string> ConflictsWith(TicketForm basis, TicketForm current)
    {
        var mine = Differences(basis);
        var theirs = current.Differences(basis);
        var apart = Differences(current);
        return [.. mine.Where(f => theirs.Contains(f) && apart.Contains(f))];
    }

    /// <summary>Follows <paramref name="current"/> in every field this form left alone; keeps the edited ones, with their basis.</summary>
    public (TicketForm Form, TicketForm Basis) Rebase(TicketForm basis, TicketForm current)
    {
        var mine = Differences(basis);
        var form = new TicketForm(
            mine.Contains("status") ? Status : current.Status,
            mine.Contains("priority") ? Priority : current.Priority,
            mine.Contains("type") ? Type : current.Type,
            mine.Contains("team") ? TeamId : current.TeamId,
            mine.Contains("owner") ? OwnerId : current.OwnerId,
            mine.Contains("tags") ? Tags : current.Tags);
        var kept = new TicketForm(
            mine.Contains("status") ? basis.Status : current.Status,
            mine.Contains("priority") ? basis.Priority : current.Priority,
            mine.Contains("type") ? basis.Type : current.Type,
            mine.Contains("team") ? basis.TeamId : current.TeamId,
            mine.Contains("owner") ? basis.OwnerId : current.OwnerId,
            mine.Contains("tags") ? basis.Tags : current.Tags);
        return (form, kept);
    }

    /// <summary>The change that applies this form to the ticket as it is now: the fields this form changed from its basis.</summary>
    public Tickets.UpdateTicketRequest ChangeFrom(TicketForm basis)
    {
        var mine = Differences(basis);
        return new Tickets.UpdateTicketRequest
        {
            Status = mine.Contains("status") ? Status : null,
            Priority = mine.Contains("priority") ? Priority : null,
            Type = mine.Contains("type") ? Type : null,
            TeamId = mine.Contains("team") ? new Core.Common.Optional<Guid?>(true, TeamId) : default,
            AssigneeId = mine.Contains("owner") ? new Core.Common.Optional<Guid?>(true, OwnerId) : default,
            Tags = mine.Contains("tags") ? Tags : null,
        };
    }

    /// <summary>"the priority", "the status and the owner".</summary>
    public static string Words(IReadOnlyList<string> fields) => fields.Count switch
    {
        0 => "nothing",
        1 => $"the {fields[0]}",
        _ => string.Join(", ", fields.Take(fields.Count - 1).Select(f => $"the {f}")) + $" and the {fields[^1]}",
    };
}
