using Loopdesk.Core.Common;

namespace Loopdesk.Core.Customers;

public enum ExpertiseLevel { Novice, Intermediate, Expert }

public enum IdentityKind { Email, Phone, Handle }

/// <summary>One person, however they reach us: every email, phone and handle of theirs resolves here.</summary>
public sealed class Customer
{
    public const int NameMaxLength = 200;
    public const int NotesMaxLength = 10_000;

    private Customer() { }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    public string? PreferredName { get; private set; }
    public string? Language { get; private set; }
    public string? TimeZone { get; private set; }
    public Guid? OrganizationId { get; private set; }
    public ExpertiseLevel? Expertise { get; private set; }
    public decimal LifetimeValue { get; private set; }
    public int Referrals { get; private set; }
    public int AccountCount { get; private set; }
    public bool Vip { get; private set; }
    public string? Notes { get; private set; }
    /// <summary>Set when this record was merged into another; the other is the person now.</summary>
    public Guid? MergedIntoId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }
    public List<CustomerIdentity> Identities { get; private set; } = [];

    public string ETag => $"\"v{Version}\"";

    public string? PrimaryEmail => Identities.Where(i => i.Kind == IdentityKind.Email).OrderBy(i => i.AddedAt).Select(i => i.Value).FirstOrDefault();

    public string? PrimaryPhone => Identities.Where(i => i.Kind == IdentityKind.Phone).OrderBy(i => i.AddedAt).Select(i => i.Value).FirstOrDefault();

    public static Customer Create(string name, DateTimeOffset now)
    {
        return new Customer
        {
            Id = Ids.New(now),
            Name = name.Trim(),
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };
    }

    /// <summary>Adds an email, phone or handle, already normalized. Adding one it has is a no-op.</summary>
    public CustomerIdentity? AddIdentity(IdentityKind kind, string normalized, DateTimeOffset now)
    {
        if (Identities.Any(i => i.Kind == kind && i.Value == normalized)) return null;
        var identity = new CustomerIdentity(Id, kind, normalized, now);
        Identities.Add(identity);
        Touch(now);
        return identity;
    }

    public Verdict Update(CustomerChange c, DateTimeOffset now)
    {
        if (MergedIntoId is not null) return Verdict.Deny("customer.merged", "This customer was merged into another; change that one.");
        if (c.Name is { } name) Name = name.Trim();
        if (c.PreferredName.HasValue) PreferredName = c.PreferredName.Value?.Trim();
        if (c.Language.HasValue) Language = c.Language.Value;
        if (c.TimeZone.HasValue) TimeZone = c.TimeZone.Value;
        if (c.OrganizationId.HasValue) OrganizationId = c.OrganizationId.Value;
        if (c.Expertise.HasValue) Expertise = c.Expertise.Value;
        if (c.LifetimeValue is { } value) LifetimeValue = value;
        if (c.Referrals is { } referrals) Referrals = referrals;
        if (c.AccountCount is { } accounts) AccountCount = accounts;
        if (c.Vip is { } vip) Vip = vip;
        if (c.Notes.HasValue) Notes = c.Notes.Value;
        Touch(now);
        return Verdict.Ok;
    }

    /// <summary>
    /// Takes <paramref name="other"/> in: its identities move here, its figures add up, and it points here from now on.
    /// The caller moves its tickets and contacts in the same transaction.
    /// </summary>
    public Verdict Absorb(Customer other, DateTimeOffset now)
    {
        if (other.Id == Id) return Verdict.Deny("customer.merge_self", "A customer cannot be merged into itself.", "sourceId");
        if (MergedIntoId is not null) return Verdict.Deny("customer.merged", "The target was itself merged into another customer.", "targetId");
        if (other.MergedIntoId is not null) return Verdict.Deny("customer.merged", "That customer was merged already.", "sourceId");
        foreach (var identity in other.Identities.ToList())
        {
            other.Identities.Remove(identity);
            if (!Identities.Any(i => i.Kind == identity.Kind && i.Value == identity.Value))
            {
                identity.MoveTo(Id);
                Identities.Add(identity);
            }
        }
        PreferredName ??= other.PreferredName;
        Language ??= other.Language;
        TimeZone ??= other.TimeZone;
        OrganizationId ??= other.OrganizationId;
        Expertise ??= other.Expertise;
        LifetimeValue += other.LifetimeValue;
        Referrals += other.Referrals;
        AccountCount += other.AccountCount;
        Vip |= other.Vip;
        if (!string.IsNullOrWhiteSpace(other.Notes)) Notes = string.IsNullOrWhiteSpace(Notes) ? other.Notes : Notes + "\n\n" + other.Notes;
        other.MergedIntoId = Id;
        other.Touch(now);
        Touch(now);
        return Verdict.Ok;
    }

    private void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Version++;
    }
}

/// <summary>An email, phone or handle that belongs to exactly one customer.</summary>
public sealed class CustomerIdentity
{
    private CustomerIdentity() { }

    internal CustomerIdentity(Guid customerId, IdentityKind kind, string value, DateTimeOffset now)
    {
        Id = Ids.New(now);
        CustomerId = customerId;
        Kind = kind;
        Value = value;
        MatchKey = kind == IdentityKind.Phone ? PhoneNumber.Tail(value) : value;
        AddedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid CustomerId { get; private set; }
    public IdentityKind Kind { get; private set; }
    /// <summary>The normalized value: a lower-case email, a phone's digits, "network:handle".</summary>
    public string Value { get; private set; } = "";
    /// <summary>What lookups index: the value itself, or for a phone its last digits.</summary>
    public string MatchKey { get; private set; } = "";
    public DateTimeOffset AddedAt { get; private set; }

    internal void MoveTo(Guid customerId) => CustomerId = customerId;
}

/// <summary>A partial change to a customer's profile.</summary>
public sealed record CustomerChange
{
    public string? Name { get; init; }
    public Optional<string?> PreferredName { get; init; }
    public Optional<string?> Language { get; init; }
    public Optional<string?> TimeZone { get; init; }
    public Optional<Guid?> OrganizationId { get; init; }
    public Optional<ExpertiseLevel?> Expertise { get; init; }
    public decimal? LifetimeValue { get; init; }
    public int? Referrals { get; init; }
    public int? AccountCount { get; init; }
    public bool? Vip { get; init; }
    public Optional<string?> Notes { get; init; }
}
