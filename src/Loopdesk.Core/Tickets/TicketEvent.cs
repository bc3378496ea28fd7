using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>One entry of a ticket's append-only history. <see cref="Data"/> is a JSON object describing the change.</summary>
public sealed class TicketEvent
{
    private TicketEvent() { }

    public TicketEvent(Guid ticketId, string type, string data, Actor actor, DateTimeOffset occurredAt, DateTimeOffset recordedAt)
    {
        Id = Ids.New(recordedAt);
        TicketId = ticketId;
        Type = type;
        Data = data;
        ActorKind = actor.Kind;
        ActorId = actor.Id;
        OccurredAt = occurredAt;
        RecordedAt = recordedAt;
    }

    public Guid Id { get; private set; }
    public Guid TicketId { get; private set; }
    public string Type { get; private set; } = "";
    public string Data { get; private set; } = "{}";
    public ActorKind ActorKind { get; private set; }
    public Guid? ActorId { get; private set; }
    public DateTimeOffset OccurredAt { get; private set; }
    public DateTimeOffset RecordedAt { get; private set; }
}

/// <summary>The event types a ticket records; integrators and rules match on these strings.</summary>
public static class TicketEventTypes
{
    public const string Created = "ticket.created";
    public const string StatusChanged = "ticket.status_changed";
    public const string PriorityChanged = "ticket.priority_changed";
    public const string TypeChanged = "ticket.type_changed";
    public const string SubjectChanged = "ticket.subject_changed";
    public const string Assigned = "ticket.assigned";
    public const string TeamChanged = "ticket.team_changed";
    public const string TagsChanged = "ticket.tags_changed";
    public const string CustomFieldsChanged = "ticket.custom_fields_changed";
    public const string DueChanged = "ticket.due_changed";
    public const string CustomerChanged = "ticket.customer_changed";
    public const string Shared = "ticket.shared";
    public const string FollowerAdded = "ticket.follower_added";
    /// <summary>An outbound message could not be delivered (a bounce came back).</summary>
    public const string MessageBounced = "message.bounced";
    /// <summary>This ticket was merged into another: {into, intoId}. Its messages, contacts and commitments moved there.</summary>
    public const string Merged = "ticket.merged";
    /// <summary>Another ticket was merged into this one: {from, fromId}.</summary>
    public const string MergedIn = "ticket.merged_in";
    /// <summary>A message of this ticket was taken into a new ticket: {into, intoId, messageId}.</summary>
    public const string SplitOut = "ticket.split_out";
    /// <summary>This ticket began as a message split off another: {from, fromId, messageId}.</summary>
    public const string SplitFrom = "ticket.split_from";
    public const string MessageAdded = "message.added";
    public const string NoteAdded = "note.added";
    public const string ContactRecorded = "contact.recorded";
    public const string Escalated = "ticket.escalated";
    public const string CommitmentMade = "commitment.made";
    public const string CommitmentKept = "commitment.kept";
    public const string CommitmentOverdue = "commitment.overdue";
    /// <summary>A rule acted without changing a field: a prompt to the agent, a request to the customer, a rule that could not act.</summary>
    public const string RuleNoted = "rule.noted";
}
