using System.ComponentModel.DataAnnotations;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;

namespace Loopdesk.Customers;

public sealed record IdentityDto(IdentityKind Kind, string Value);

/// <summary>A customer's profile.</summary>
public sealed record CustomerDto(
    Guid Id, string Name, string? PreferredName, string? Email, string? Phone, IReadOnlyList<IdentityDto> Identities,
    string? Language, string? TimeZone, Guid? OrganizationId, ExpertiseLevel? Expertise, decimal LifetimeValue, int Referrals,
    int AccountCount, bool Vip, string? Notes, Guid? MergedIntoId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version);

public sealed record CustomerPage(IReadOnlyList<CustomerDto> Items, string? NextCursor);

/// <summary>A lookup hit and what matched: email, phone, reference (of one of their tickets) or name.</summary>
public sealed record CustomerMatch(string MatchedBy, string? TicketReference, CustomerDto Customer);

/// <summary>One entry of a customer's timeline: a message or a contact, on any channel.</summary>
public sealed record TimelineEntry(
    string Kind, Guid Id, DateTimeOffset At, Channel Channel, string? TicketReference, string? TicketSubject,
    string? Direction, bool Internal, string? Text, Loopdesk.Core.Common.ActorKind? AuthorKind, string? State = null);

public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Items, string? NextCursor);

/// <summary>The customer record to fold into this one (the same person under another record).</summary>
public sealed record MergeCustomerRequest(Guid? SourceId);

/// <summary>A new customer. Emails and phones must not belong to another customer.</summary>
public sealed class CreateCustomerRequest : IValidatableObject
{
    [Required, MaxLength(Customer.NameMaxLength)]
    public required string Name { get; init; }
    [MaxLength(Customer.NameMaxLength)]
    public string? PreferredName { get; init; }
    public IReadOnlyList<string>? Emails { get; init; }
    public IReadOnlyList<string>? Phones { get; init; }
    /// <summary>Handles on other networks, as "network:handle".</summary>
    public IReadOnlyList<string>? Handles { get; init; }
    [MaxLength(35)]
    public string? Language { get; init; }
    [MaxLength(64)]
    public string? TimeZone { get; init; }
    public Guid? OrganizationId { get; init; }
    public ExpertiseLevel? Expertise { get; init; }
    [Range(0, 1_000_000_000)]
    public decimal LifetimeValue { get; init; }
    [Range(0, 1_000_000)]
    public int Referrals { get; init; }
    [Range(0, 1_000_000)]
    public int AccountCount { get; init; }
    public bool Vip { get; init; }
    [MaxLength(Customer.NotesMaxLength)]
    public string? Notes { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
        => CustomerValidation.Check(Name, PreferredName, Emails, Phones, Handles, TimeZone);
}

/// <summary>A partial change; emails and phones listed are added (never removed: merge or ask an admin).</summary>
public sealed class UpdateCustomerRequest : IValidatableObject
{
    [MaxLength(Customer.NameMaxLength)]
    public string? Name { get; init; }
    public Optional<string?> PreferredName { get; init; }
    public IReadOnlyList<string>? AddEmails { get; init; }
    public IReadOnlyList<string>? AddPhones { get; init; }
    public IReadOnlyList<string>? AddHandles { get; init; }
    public Optional<string?> Language { get; init; }
    public Optional<string?> TimeZone { get; init; }
    public Optional<Guid?> OrganizationId { get; init; }
    public Optional<ExpertiseLevel?> Expertise { get; init; }
    [Range(0, 1_000_000_000)]
    public decimal? LifetimeValue { get; init; }
    [Range(0, 1_000_000)]
    public int? Referrals { get; init; }
    [Range(0, 1_000_000)]
    public int? AccountCount { get; init; }
    public bool? Vip { get; init; }
    public Optional<string?> Notes { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Name is not null && string.IsNullOrWhiteSpace(Name)) yield return new ValidationResult("The name is empty.", ["name"]);
        if (PreferredName.Value is { Length: > Customer.NameMaxLength }) yield return new ValidationResult("The preferred name is too long.", ["preferredName"]);
        if (Notes.Value is { Length: > Customer.NotesMaxLength }) yield return new ValidationResult("The notes are too long.", ["notes"]);
        if (Language.Value is { Length: > 35 }) yield return new ValidationResult("The language is too long.", ["language"]);
        // named as this request names them: addEmails, addPhones, addHandles
        foreach (var r in CustomerValidation.Check(Name, PreferredName.Value, AddEmails, AddPhones, AddHandles, TimeZone.Value))
            yield return new ValidationResult(r.ErrorMessage, [.. r.MemberNames.Select(m => m is "emails" or "phones" or "handles" ? "add" + char.ToUpperInvariant(m[0]) + m[1..] : m)]);
    }

    public CustomerChange ToChange() => new()
    {
        Name = Name,
        PreferredName = PreferredName,
        Language = Language,
        TimeZone = TimeZone,
        OrganizationId = OrganizationId,
        Expertise = Expertise,
        LifetimeValue = LifetimeValue,
        Referrals = Referrals,
        AccountCount = AccountCount,
        Vip = Vip,
        Notes = Notes,
    };
}

internal static class CustomerValidation
{
    public static IEnumerable<ValidationResult> Check(
        string? name, string? preferredName, IReadOnlyList<string>? emails, IReadOnlyList<string>? phones, IReadOnlyList<string>? handles, string? timeZone)
    {
        if (name is not null && TextRules.FindProblem(name) is { } p) yield return new ValidationResult($"The name {p}.", ["name"]);
        if (preferredName is not null && TextRules.FindProblem(preferredName) is { } pp) yield return new ValidationResult($"The preferred name {pp}.", ["preferredName"]);
        if (emails is { Count: > 20 }) yield return new ValidationResult("At most 20 emails.", ["emails"]);
        foreach (var email in emails ?? [])
        {
            if (EmailAddress.Normalize(email, out var problem) is null) yield return new ValidationResult($"The email '{email}' {problem}.", ["emails"]);
        }
        if (phones is { Count: > 20 }) yield return new ValidationResult("At most 20 phones.", ["phones"]);
        foreach (var phone in phones ?? [])
        {
            if (PhoneNumber.Normalize(phone, out var problem) is null) yield return new ValidationResult($"The phone '{phone}' {problem}.", ["phones"]);
        }
        if (handles is { Count: > 20 }) yield return new ValidationResult("At most 20 handles.", ["handles"]);
        foreach (var handle in handles ?? [])
        {
            if (SocialHandle.Normalize(handle, out var problem) is null) yield return new ValidationResult($"The handle '{handle}' {problem}.", ["handles"]);
        }
        if (timeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
            yield return new ValidationResult($"'{timeZone}' is not a known time zone (use an IANA name such as Europe/Berlin).", ["timeZone"]);
    }
}

internal static class CustomerMapping
{
    public static CustomerDto ToDto(this Customer c) => new(
        c.Id, c.Name, c.PreferredName, c.PrimaryEmail, c.PrimaryPhone,
        [.. c.Identities.OrderBy(i => i.AddedAt).Select(i => new IdentityDto(i.Kind, i.Value))],
        c.Language, c.TimeZone, c.OrganizationId, c.Expertise, c.LifetimeValue, c.Referrals, c.AccountCount, c.Vip, c.Notes,
        c.MergedIntoId, c.CreatedAt, c.UpdatedAt, c.Version);
}
