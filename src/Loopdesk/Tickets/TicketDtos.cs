using System.ComponentModel.DataAnnotations;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Tickets;

/// <summary>A ticket as the API shows it.</summary>
public sealed record TicketDto(
    Guid Id, string Reference, string Subject, TicketStatus Status, TicketType Type, TicketPriority Priority, Channel Channel,
    Guid CustomerId, Guid? OrganizationId, Guid? TeamId, Guid? AssigneeId, IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> CustomFields, DateTimeOffset? DueAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? FirstRepliedAt, DateTimeOffset? SolvedAt, DateTimeOffset? ClosedAt, int Version,
    Loopdesk.Core.Agents.AgentTier Tier = Loopdesk.Core.Agents.AgentTier.Tier1, Guid? FollowUpOfId = null, IReadOnlyList<Guid>? Followers = null);

public sealed record TicketPage(IReadOnlyList<TicketDto> Items, string? NextCursor);

public sealed record TicketEventDto(Guid Id, string Type, System.Text.Json.JsonElement Data, ActorKind ActorKind, Guid? ActorId, DateTimeOffset OccurredAt, DateTimeOffset RecordedAt);

public sealed record MessageDto(
    Guid Id, Guid TicketId, MessageDirection Direction, Channel Channel, ActorKind AuthorKind, Guid? AuthorId, string Body, string? Html,
    bool Internal, IReadOnlyList<Attachment> Attachments, string? ExternalId, DateTimeOffset OccurredAt, DateTimeOffset RecordedAt,
    double? Sentiment = null, int LexiconOverrides = 0, string? QuotedText = null, DeliveryState? Delivery = null, string? DeliveryDetail = null,
    DateTimeOffset? DeliveryAt = null);

public sealed record ContactDto(Guid Id, Guid CustomerId, Guid? TicketId, Channel Channel, string? Summary, DateTimeOffset OccurredAt, DateTimeOffset RecordedAt);

/// <summary>Who the ticket is for: found by email, then phone; created when neither is known.</summary>
public sealed class CustomerRef : IValidatableObject
{
    [MaxLength(Customer.NameMaxLength)]
    public string? Name { get; init; }

    [MaxLength(EmailAddress.MaxLength)]
    public string? Email { get; init; }

    [MaxLength(40)]
    public string? Phone { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Email) && string.IsNullOrWhiteSpace(Phone))
            yield return new ValidationResult("Give the customer's email or phone.", ["email"]);
        if (!string.IsNullOrWhiteSpace(Email) && EmailAddress.Normalize(Email, out var emailProblem) is null)
            yield return new ValidationResult($"The email {emailProblem}.", ["email"]);
        if (!string.IsNullOrWhiteSpace(Phone) && PhoneNumber.Normalize(Phone, out var phoneProblem) is null)
            yield return new ValidationResult($"The phone {phoneProblem}.", ["phone"]);
        if (Name is not null && TextRules.FindProblem(Name) is { } nameProblem)
            yield return new ValidationResult($"The name {nameProblem}.", ["name"]);
    }
}

/// <summary>Opens a ticket with the customer's first message.</summary>
public sealed class CreateTicketRequest : IValidatableObject
{
    [Required, MaxLength(Ticket.SubjectMaxLength)]
    public required string Subject { get; init; }

    /// <summary>The customer's words, as plain text.</summary>
    [Required, MaxLength(Limits.BodyMaxLength)]
    public required string Body { get; init; }

    /// <summary>Optional HTML of the same message; it is sanitized before it is stored.</summary>
    [MaxLength(Limits.HtmlMaxLength)]
    public string? Html { get; init; }

    public Channel Channel { get; init; } = Channel.Api;

    [Required]
    public required CustomerRef Customer { get; init; }

    public TicketPriority Priority { get; init; } = TicketPriority.Normal;

    public TicketType Type { get; init; } = TicketType.Question;

    public IReadOnlyList<string>? Tags { get; init; }

    public Guid? TeamId { get; init; }

    /// <summary>When the contact really happened, for imported history. Admins only.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    /// <summary>The reference of an earlier ticket the customer is coming back about; the new ticket links to it.</summary>
    [MaxLength(32)]
    public string? FollowUpOf { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Subject)) yield return new ValidationResult("The subject is empty.", ["subject"]);
        else if (TextRules.FindProblem(Subject) is { } p) yield return new ValidationResult($"The subject {p}.", ["subject"]);
        if (string.IsNullOrWhiteSpace(Body)) yield return new ValidationResult("The body is empty.", ["body"]);
        else if (TextRules.FindProblem(Body, allowNewLines: true) is { } p && !p.StartsWith("mixes", StringComparison.Ordinal))
            yield return new ValidationResult($"The body {p}.", ["body"]);
        if (Tags is not null && Ticket.Validate(Tags) is { IsOk: false } v) yield return new ValidationResult(v.Message, ["tags"]);
    }
}

/// <summary>A partial update: fields left out stay as they are; teamId, assigneeId and dueAt may be set to null to clear them.</summary>
public sealed class UpdateTicketRequest : IValidatableObject
{
    [MaxLength(Ticket.SubjectMaxLength)]
    public string? Subject { get; init; }
    public TicketStatus? Status { get; init; }
    public TicketPriority? Priority { get; init; }
    public TicketType? Type { get; init; }
    public Optional<Guid?> TeamId { get; init; }
    public Optional<Guid?> AssigneeId { get; init; }
    public Optional<DateTimeOffset?> DueAt { get; init; }
    /// <summary>Moves the ticket to another customer (the same person under another record).</summary>
    public Guid? CustomerId { get; init; }
    /// <summary>Replaces the tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }
    /// <summary>Sets the named fields; a null value removes one.</summary>
    public IReadOnlyDictionary<string, string?>? CustomFields { get; init; }
    /// <summary>Gives the ticket to a collaborator, who may then see and note it.</summary>
    public Guid? ShareWith { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Subject is not null && string.IsNullOrWhiteSpace(Subject)) yield return new ValidationResult("The subject is empty.", ["subject"]);
        if (Subject is not null && TextRules.FindProblem(Subject) is { } p) yield return new ValidationResult($"The subject {p}.", ["subject"]);
        if (Tags is not null && Ticket.Validate(Tags) is { IsOk: false } v) yield return new ValidationResult(v.Message, ["tags"]);
        if (CustomFields is not null)
        {
            foreach (var (key, value) in CustomFields)
            {
                if (key.Length is 0 or > 64 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                    yield return new ValidationResult($"Custom field name '{key}' must be 1-64 letters, digits, '_', '-' or '.'.", ["customFields"]);
                if (value is { Length: > 2000 }) yield return new ValidationResult($"Custom field '{key}' is longer than 2000 characters.", ["customFields"]);
            }
        }
    }

    public TicketChange ToChange() => new()
    {
        Subject = Subject,
        Status = Status,
        Priority = Priority,
        Type = Type,
        TeamId = TeamId,
        AssigneeId = AssigneeId,
        DueAt = DueAt,
        CustomerId = CustomerId,
        Tags = Tags,
        CustomFields = CustomFields,
        ShareWith = ShareWith,
    };
}

/// <summary>Something said on the ticket: a reply (outbound), the customer's words logged by an agent (inbound), or an internal note.</summary>
public sealed class AddMessageRequest : IValidatableObject
{
    [Required, MaxLength(Limits.BodyMaxLength)]
    public required string Body { get; init; }

    [MaxLength(Limits.HtmlMaxLength)]
    public string? Html { get; init; }

    public MessageDirection Direction { get; init; } = MessageDirection.Outbound;

    /// <summary>Defaults to the ticket's channel.</summary>
    public Channel? Channel { get; init; }

    /// <summary>An internal note: nobody outside sees it.</summary>
    public bool Internal { get; init; }

    /// <summary>When it was really said, for imported history. Admins only.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    /// <summary>Send a reply the lexicon has findings on anyway; the override is recorded with the message.</summary>
    public bool LexiconOverride { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Body)) yield return new ValidationResult("The body is empty.", ["body"]);
        if (Internal && Direction == MessageDirection.Inbound) yield return new ValidationResult("An internal note is not inbound.", ["direction"]);
    }
}

/// <summary>A contact logged by an agent: a call taken, a visit at the desk.</summary>
/// <summary>Merge this ticket into another of the same customer.</summary>
public sealed class MergeTicketRequest
{
    /// <summary>The reference of the ticket that lives on.</summary>
    [Required, MaxLength(32)]
    public required string Into { get; init; }
}

/// <summary>Take one message of a ticket into a new ticket of the same customer.</summary>
public sealed class SplitTicketRequest
{
    [Required]
    public required Guid MessageId { get; init; }

    /// <summary>The new ticket's subject; default "{subject} (split)".</summary>
    [MaxLength(Ticket.SubjectMaxLength)]
    public string? Subject { get; init; }
}

public sealed class AddContactRequest
{
    [Required]
    public required Channel Channel { get; init; }

    [MaxLength(2000)]
    public string? Summary { get; init; }

    /// <summary>When it happened, for imported history. Admins only.</summary>
    public DateTimeOffset? OccurredAt { get; init; }
}

public static class Limits
{
    public const int BodyMaxLength = 100_000;
    public const int HtmlMaxLength = 500_000;
    public const int PageSizeDefault = 25;
    public const int PageSizeMax = 100;
}

internal static class TicketMapping
{
    public static TicketDto ToDto(this Ticket t) => new(
        t.Id, t.Reference, t.Subject, t.Status, t.Type, t.Priority, t.Channel, t.CustomerId, t.OrganizationId, t.TeamId, t.AssigneeId,
        t.Tags, t.CustomFields, t.DueAt, t.CreatedAt, t.UpdatedAt, t.FirstRepliedAt, t.SolvedAt, t.ClosedAt, t.Version, t.Tier, t.FollowUpOfId, t.Followers);

    public static MessageDto ToDto(this Message m) => new(
        m.Id, m.TicketId, m.Direction, m.Channel, m.AuthorKind, m.AuthorId, m.Text, m.Html, m.Internal, m.Attachments, m.ExternalId, m.OccurredAt, m.RecordedAt,
        m.Sentiment, m.LexiconOverrides, m.QuotedText, m.Delivery, m.DeliveryDetail, m.DeliveryAt);

    public static ContactDto ToDto(this Contact c) => new(c.Id, c.CustomerId, c.TicketId, c.Channel, c.Summary, c.OccurredAt, c.RecordedAt);
}
