using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>
/// One issue of one customer, from the first contact to the customer's agreement that it is solved.
/// Every change goes through a method here and appends an event in <see cref="Events"/>.
/// </summary>
public sealed class Ticket
{
    public const int SubjectMaxLength = 300;
    public const int MaxTags = 30;
    public const int TagMaxLength = 50;
    public const int MaxCustomFields = 50;
    public const int MaxFollowers = 20;

    private Ticket() { }

    public Guid Id { get; private set; }
    public string Reference { get; private set; } = "";
    public string Subject { get; private set; } = "";
    public TicketStatus Status { get; private set; }
    public TicketType Type { get; private set; }
    public TicketPriority Priority { get; private set; }
    /// <summary>The channel of the first contact.</summary>
    public Channel Channel { get; private set; }
    public Guid CustomerId { get; private set; }
    public Guid? OrganizationId { get; private set; }
    public Guid? TeamId { get; private set; }
    /// <summary>The one owner from start to end.</summary>
    public Guid? AssigneeId { get; private set; }
    /// <summary>The support tier working the ticket; raised by escalation, never lowered by a rule.</summary>
    public AgentTier Tier { get; private set; }
    /// <summary>The earlier ticket this one follows up, when the customer came back about it.</summary>
    public Guid? FollowUpOfId { get; private set; }
    public List<string> Tags { get; private set; } = [];
    public Dictionary<string, string> CustomFields { get; private set; } = [];
    /// <summary>Collaborators this ticket was given to; they see only such tickets.</summary>
    public List<Guid> SharedWith { get; private set; } = [];
    /// <summary>Other customers kept in the conversation (an email's Cc): they get the replies too.</summary>
    public List<Guid> Followers { get; private set; } = [];
    public DateTimeOffset? DueAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public DateTimeOffset? FirstRepliedAt { get; private set; }
    public DateTimeOffset? SolvedAt { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }
    public Guid? CreatedById { get; private set; }
    /// <summary>Bumped by every change; the concurrency token behind the ETag.</summary>
    public int Version { get; private set; }

    public List<Message> Messages { get; private set; } = [];
    public List<Contact> Contacts { get; private set; } = [];
    public List<TicketEvent> Events { get; private set; } = [];

    public string ETag => $"\"v{Version}\"";

    /// <summary>Opens a ticket for a customer's first contact. <paramref name="occurredAt"/> is in the past for imported history.</summary>
    public static Ticket Open(NewTicket n, Actor actor, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var ticket = new Ticket
        {
            Id = Ids.New(now),
            Reference = n.Reference,
            Subject = n.Subject.Trim(),
            Status = TicketStatus.New,
            Type = n.Type,
            Priority = n.Priority,
            Channel = n.Channel,
            CustomerId = n.CustomerId,
            OrganizationId = n.OrganizationId,
            TeamId = n.TeamId,
            Tags = NormalizeTags(n.Tags),
            FollowUpOfId = n.FollowUpOfId,
            CreatedAt = occurredAt,
            UpdatedAt = occurredAt,
            CreatedById = actor.Kind == ActorKind.Agent ? actor.Id : null,
            Version = 1,
        };
        if (actor.Kind == ActorKind.Agent && n.CreatorIsCollaborator && actor.Id is { } id) ticket.SharedWith.Add(id);
        ticket.Record(TicketEventTypes.Created, Wire.Json(new
        {
            reference = ticket.Reference,
            subject = ticket.Subject,
            channel = Wire.Name(ticket.Channel),
            type = Wire.Name(ticket.Type),
            priority = Wire.Name(ticket.Priority),
            customerId = ticket.CustomerId,
            followUpOf = ticket.FollowUpOfId,
        }), actor, occurredAt, now);
        return ticket;
    }

    /// <summary>The reference is taken already (a rare random collision): draw another before saving.</summary>
    public void Rereference(string reference)
    {
        Reference = reference;
    }

    /// <summary>Applies a partial change. Refuses the whole change, touching nothing, when any part is not allowed.</summary>
    public Verdict Apply(TicketChange change, Actor actor, DateTimeOffset now)
    {
        if (change.Status is { } to && !TicketLifecycle.CanMove(Status, to))
        {
            return Verdict.Deny("ticket.invalid_transition", $"A {Wire.Name(Status)} ticket cannot become {Wire.Name(to)}.", "status");
        }
        if (Status == TicketStatus.Closed && !change.IsEmpty)
        {
            return Verdict.Deny("ticket.closed", "A closed ticket cannot be changed; open a follow-up instead.");
        }
        if (change.Tags is { } tags && Validate(tags) is { IsOk: false } tagVerdict) return tagVerdict;
        Dictionary<string, string>? mergedFields = null;
        if (change.CustomFields is { } fields)
        {
            mergedFields = new Dictionary<string, string>(CustomFields);
            foreach (var (key, value) in fields)
            {
                if (value is null) mergedFields.Remove(key);
                else mergedFields[key] = value;
            }
            if (mergedFields.Count > MaxCustomFields) return Verdict.Deny("ticket.too_many_fields", $"A ticket holds at most {MaxCustomFields} custom fields.", "customFields");
        }

        var changed = false;
        if (change.Subject is { } subject && subject.Trim() != Subject)
        {
            Record(TicketEventTypes.SubjectChanged, Wire.Json(new { from = Subject, to = subject.Trim() }), actor, now, now);
            Subject = subject.Trim();
            changed = true;
        }
        if (change.Status is { } status && status != Status)
        {
            Record(TicketEventTypes.StatusChanged, Wire.Json(new { from = Wire.Name(Status), to = Wire.Name(status) }), actor, now, now);
            MoveTo(status, now);
            changed = true;
        }
        if (change.Priority is { } priority && priority != Priority)
        {
            Record(TicketEventTypes.PriorityChanged, Wire.Json(new { from = Wire.Name(Priority), to = Wire.Name(priority) }), actor, now, now);
            Priority = priority;
            changed = true;
        }
        if (change.Type is { } type && type != Type)
        {
            Record(TicketEventTypes.TypeChanged, Wire.Json(new { from = Wire.Name(Type), to = Wire.Name(type) }), actor, now, now);
            Type = type;
            changed = true;
        }
        if (change.TeamId.HasValue && change.TeamId.Value != TeamId)
        {
            Record(TicketEventTypes.TeamChanged, Wire.Json(new { from = TeamId, to = change.TeamId.Value }), actor, now, now);
            TeamId = change.TeamId.Value;
            changed = true;
        }
        if (change.AssigneeId.HasValue && change.AssigneeId.Value != AssigneeId)
        {
            Record(TicketEventTypes.Assigned, Wire.Json(new { from = AssigneeId, to = change.AssigneeId.Value }), actor, now, now);
            AssigneeId = change.AssigneeId.Value;
            changed = true;
        }
        if (change.DueAt.HasValue && change.DueAt.Value != DueAt)
        {
            Record(TicketEventTypes.DueChanged, Wire.Json(new { from = DueAt, to = change.DueAt.Value }), actor, now, now);
            DueAt = change.DueAt.Value;
            changed = true;
        }
        if (change.CustomerId is { } customerId && customerId != CustomerId)
        {
            Record(TicketEventTypes.CustomerChanged, Wire.Json(new { from = CustomerId, to = customerId }), actor, now, now);
            CustomerId = customerId;
            OrganizationId = change.OrganizationId;
            changed = true;
        }
        if (change.Tags is { } newTags)
        {
            var normalized = NormalizeTags(newTags);
            if (!normalized.SequenceEqual(Tags))
            {
                Record(TicketEventTypes.TagsChanged, Wire.Json(new { from = Tags, to = normalized }), actor, now, now);
                Tags = normalized;
                changed = true;
            }
        }
        if (mergedFields is not null && !DictionaryEqual(mergedFields, CustomFields))
        {
            Record(TicketEventTypes.CustomFieldsChanged, Wire.Json(new { changes = change.CustomFields }), actor, now, now);
            CustomFields = mergedFields;
            changed = true;
        }
        if (change.ShareWith is { } collaboratorId && !SharedWith.Contains(collaboratorId))
        {
            Record(TicketEventTypes.Shared, Wire.Json(new { with = collaboratorId }), actor, now, now);
            SharedWith = [.. SharedWith, collaboratorId];
            changed = true;
        }
        if (changed) Touch(now);
        return Verdict.Ok;
    }

    /// <summary>Adds something said on the ticket and keeps the status honest about whose turn it is.</summary>
    public Verdict AddMessage(NewMessage m, Actor actor, DateTimeOffset occurredAt, DateTimeOffset now, out Message message)
    {
        message = null!;
        // the system still sends what closing brings (the survey); people open a follow-up instead
        if (Status == TicketStatus.Closed && !m.Internal && actor.Kind != ActorKind.System)
        {
            return Verdict.Deny("ticket.closed", "A closed ticket takes no more messages; open a follow-up instead.");
        }
        message = new Message(Id, m.Direction, m.Channel, actor, m.Text, m.Html, m.Internal, m.Attachments ?? [], m.ExternalId, occurredAt, now, m.QuotedText);
        Messages.Add(message);
        Record(m.Internal ? TicketEventTypes.NoteAdded : TicketEventTypes.MessageAdded, Wire.Json(new
        {
            messageId = message.Id,
            direction = Wire.Name(m.Direction),
            channel = Wire.Name(m.Channel),
            @internal = m.Internal,
        }), actor, occurredAt, now);

        if (!m.Internal)
        {
            if (m.Direction == MessageDirection.Outbound && actor.Kind == ActorKind.Agent)
            {
                FirstRepliedAt ??= occurredAt;
                if (Status == TicketStatus.New) MoveWithEvent(TicketStatus.Open, actor, occurredAt, now);
            }
            else if (m.Direction == MessageDirection.Inbound && Status is TicketStatus.Pending or TicketStatus.Solved)
            {
                // the customer answered what we waited for, or says it is not solved after all: it is our turn again
                MoveWithEvent(TicketStatus.Open, actor, occurredAt, now);
            }
        }
        Touch(now);
        return Verdict.Ok;
    }

    /// <summary>Keeps another person in the conversation. False when they are the customer or follow already.</summary>
    public bool AddFollower(Guid customerId, Actor actor, DateTimeOffset now)
    {
        if (customerId == CustomerId || Followers.Contains(customerId) || Followers.Count >= MaxFollowers) return false;
        Followers.Add(customerId);
        Record(TicketEventTypes.FollowerAdded, Wire.Json(new { customerId }), actor, now, now);
        Touch(now);
        return true;
    }

    /// <summary>Records one time the customer reached out about this ticket.</summary>
    public Contact RecordContact(Channel channel, string? summary, Actor actor, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        var contact = new Contact(CustomerId, Id, channel, summary, actor, occurredAt, now);
        Contacts.Add(contact);
        Record(TicketEventTypes.ContactRecorded, Wire.Json(new { contactId = contact.Id, channel = Wire.Name(channel), summary }), actor, occurredAt, now);
        Touch(now);
        return contact;
    }

    /// <summary>Moves the ticket to a higher tier, saying why and how to open the conversation; a lower or equal tier changes nothing.</summary>
    public bool Escalate(AgentTier to, string reason, string? suggestedOpening, Actor actor, DateTimeOffset now)
    {
        if (to <= Tier) return false;
        Record(TicketEventTypes.Escalated, Wire.Json(new { from = Wire.Name(Tier), to = Wire.Name(to), reason, suggestedOpening }), actor, now, now);
        Tier = to;
        Touch(now);
        return true;
    }

    /// <summary>Records a promise made to the customer on this ticket. A promise is due after it is made.</summary>
    public Verdict MakeCommitment(string description, DateTimeOffset dueAt, Guid? ownerId, Actor actor, DateTimeOffset now, out Commitment commitment)
    {
        commitment = null!;
        var text = description?.Trim() ?? "";
        if (text.Length is 0 or > Commitment.DescriptionMaxLength)
            return Verdict.Deny("commitment.invalid_description", $"Describe the promise in 1 to {Commitment.DescriptionMaxLength} characters.", "description");
        if (dueAt <= now) return Verdict.Deny("commitment.due_in_past", "A commitment is due after the moment it is made.", "dueAt");
        if (Status == TicketStatus.Closed) return Verdict.Deny("ticket.closed", "A closed ticket takes no new commitments; open a follow-up instead.");
        commitment = new Commitment(Id, CustomerId, text, dueAt, ownerId ?? AssigneeId, actor, now);
        Record(TicketEventTypes.CommitmentMade, Wire.Json(new { commitmentId = commitment.Id, description = text, dueAt, ownerId = commitment.OwnerId }), actor, now, now);
        Touch(now);
        return Verdict.Ok;
    }

    /// <summary>Marks a promise of this ticket kept.</summary>
    public Verdict KeepCommitment(Commitment commitment, Actor actor, DateTimeOffset now)
    {
        if (commitment.TicketId != Id) return Verdict.Deny("commitment.unknown", "That commitment belongs to another ticket.");
        if (commitment.KeptAt is not null) return Verdict.Deny("commitment.kept", "That commitment is kept already.");
        commitment.Keep(now);
        Record(TicketEventTypes.CommitmentKept, Wire.Json(new { commitmentId = commitment.Id, late = now > commitment.DueAt }), actor, now, now);
        Touch(now);
        return Verdict.Ok;
    }

    /// <summary>Records that a promise passed its due time unkept.</summary>
    public void CommitmentOverdue(Commitment commitment, Actor actor, DateTimeOffset now)
    {
        commitment.MarkOverdue(now);
        Record(TicketEventTypes.CommitmentOverdue, Wire.Json(new { commitmentId = commitment.Id, dueAt = commitment.DueAt }), actor, now, now);
        Touch(now);
    }

    /// <summary>
    /// Closes this ticket as merged into another of the same customer, so two tickets about one issue become one. The
    /// caller moves the conversation (messages, contacts, commitments) to the target in the same transaction. The status
    /// change says "mergedInto", so rules that react to a closed ticket (surveys) leave it alone.
    /// </summary>
    public Verdict MergeInto(Ticket target, Actor actor, DateTimeOffset now)
    {
        if (target.Id == Id) return Verdict.Deny("ticket.merge_self", "A ticket cannot be merged into itself.", "into");
        if (target.CustomerId != CustomerId)
            return Verdict.Deny("ticket.merge_other_customer", "Only tickets of the same customer can be merged; move the ticket to that customer first.", "into");
        if (Status == TicketStatus.Closed) return Verdict.Deny("ticket.merge_closed", $"{Reference} is closed and cannot be merged.", "reference");
        if (target.Status == TicketStatus.Closed)
            return Verdict.Deny("ticket.merge_closed", $"{target.Reference} is closed; merge into an open ticket, or open a follow-up.", "into");

        Record(TicketEventTypes.StatusChanged, Wire.Json(new { from = Wire.Name(Status), to = Wire.Name(TicketStatus.Closed), mergedInto = target.Reference }), actor, now, now);
        MoveTo(TicketStatus.Closed, now);
        Record(TicketEventTypes.Merged, Wire.Json(new { into = target.Reference, intoId = target.Id }), actor, now, now);
        Touch(now);
        target.Record(TicketEventTypes.MergedIn, Wire.Json(new { from = Reference, fromId = Id }), actor, now, now);
        target.Touch(now);
        return Verdict.Ok;
    }

    /// <summary>Notes on both tickets that a message of this one became the start of the other.</summary>
    public void SplitInto(Ticket created, Guid messageId, Actor actor, DateTimeOffset now)
    {
        Record(TicketEventTypes.SplitOut, Wire.Json(new { into = created.Reference, intoId = created.Id, messageId }), actor, now, now);
        Touch(now);
        created.Record(TicketEventTypes.SplitFrom, Wire.Json(new { from = Reference, fromId = Id, messageId }), actor, now, now);
        created.Touch(now);
    }

    /// <summary>Records something a rule noticed that changes no field (a prompt for the agent, a request sent), so the history shows it.</summary>
    public void Remark(string type, object data, Actor actor, DateTimeOffset now)
    {
        Record(type, Wire.Json(data), actor, now, now);
    }

    public static Verdict Validate(IEnumerable<string> tags)
    {
        var list = tags.ToList();
        if (list.Count > MaxTags) return Verdict.Deny("ticket.too_many_tags", $"A ticket holds at most {MaxTags} tags.", "tags");
        foreach (var tag in list)
        {
            var t = tag?.Trim() ?? "";
            if (t.Length == 0 || t.Length > TagMaxLength) return Verdict.Deny("ticket.invalid_tag", $"A tag is 1 to {TagMaxLength} characters.", "tags");
            if (TextRules.FindProblem(t) is { } problem) return Verdict.Deny("ticket.invalid_tag", $"Tag \"{t}\" {problem}.", "tags");
        }
        return Verdict.Ok;
    }

    private static List<string> NormalizeTags(IEnumerable<string>? tags)
        => tags is null ? [] : [.. tags.Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct().Order(StringComparer.Ordinal)];

    private static bool DictionaryEqual(Dictionary<string, string> a, Dictionary<string, string> b)
        => a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private void MoveWithEvent(TicketStatus to, Actor actor, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        Record(TicketEventTypes.StatusChanged, Wire.Json(new { from = Wire.Name(Status), to = Wire.Name(to) }), actor, occurredAt, now);
        MoveTo(to, now);
    }

    private void MoveTo(TicketStatus to, DateTimeOffset now)
    {
        if (to == TicketStatus.Solved) SolvedAt = now;
        if (to == TicketStatus.Closed) ClosedAt = now;
        if (to is TicketStatus.Open or TicketStatus.Pending or TicketStatus.OnHold) SolvedAt = null;
        Status = to;
    }

    private void Touch(DateTimeOffset now)
    {
        if (now > UpdatedAt) UpdatedAt = now;
        Version++;
    }

    private void Record(string type, string data, Actor actor, DateTimeOffset occurredAt, DateTimeOffset now)
        => Events.Add(new TicketEvent(Id, type, data, actor, occurredAt, now));
}

/// <summary>What opening a ticket needs.</summary>
public sealed record NewTicket(
    string Reference, string Subject, Channel Channel, Guid CustomerId, Guid? OrganizationId,
    TicketType Type = TicketType.Question, TicketPriority Priority = TicketPriority.Normal,
    IReadOnlyList<string>? Tags = null, Guid? TeamId = null, bool CreatorIsCollaborator = false, Guid? FollowUpOfId = null);

/// <summary>What adding a message needs.</summary>
public sealed record NewMessage(
    MessageDirection Direction, Channel Channel, string Text, string? Html = null, bool Internal = false,
    IReadOnlyList<Attachment>? Attachments = null, string? ExternalId = null, string? QuotedText = null);

/// <summary>A partial change to a ticket: null (or an absent <see cref="Optional{T}"/>) leaves a field as it is.</summary>
public sealed record TicketChange
{
    public string? Subject { get; init; }
    public TicketStatus? Status { get; init; }
    public TicketPriority? Priority { get; init; }
    public TicketType? Type { get; init; }
    public Optional<Guid?> TeamId { get; init; }
    public Optional<Guid?> AssigneeId { get; init; }
    public Optional<DateTimeOffset?> DueAt { get; init; }
    public Guid? CustomerId { get; init; }
    public Guid? OrganizationId { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public IReadOnlyDictionary<string, string?>? CustomFields { get; init; }
    public Guid? ShareWith { get; init; }

    public bool IsEmpty => Subject is null && Status is null && Priority is null && Type is null && !TeamId.HasValue
        && !AssigneeId.HasValue && !DueAt.HasValue && CustomerId is null && Tags is null && CustomFields is null && ShareWith is null;
}
