using System.Security.Cryptography;
using System.Text;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Portal;

/// <summary>Random single-use tokens for links sent by email: only their SHA-256 is stored.</summary>
public static class LinkTokens
{
    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

/// <summary>
/// One request for a "My tickets" sign-in link. A row is written for every request, whether or not the address belongs
/// to a customer, so that the answer and its timing do not tell which addresses are known; a link is only mailed to a
/// known address. The link is bound to the address, works once and expires.
/// </summary>
public sealed class PortalSignIn
{
    private PortalSignIn() { }

    public PortalSignIn(string email, string tokenHash, string? ip, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        Id = Ids.New(now);
        Email = email;
        TokenHash = tokenHash;
        Ip = ip;
        CreatedAt = now;
        ExpiresAt = expiresAt;
    }

    public Guid Id { get; private set; }
    public string Email { get; private set; } = "";
    public string TokenHash { get; private set; } = "";
    public string? Ip { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }
    public DateTimeOffset? UsedAt { get; private set; }

    /// <summary>Spends the link, once, before it expires.</summary>
    public bool Use(DateTimeOffset now)
    {
        if (UsedAt is not null || now >= ExpiresAt) return false;
        UsedAt = now;
        return true;
    }
}

/// <summary>
/// An agent's request that the customer prove who they are: a single-use, expiring link mailed to the ticket's
/// customer address opens a form asking for the named fields. What the customer types is never stored; the ticket
/// records which fields were given.
/// </summary>
public sealed class PortalVerification
{
    public const int MaxFields = 6;

    private PortalVerification() { }

    public PortalVerification(Guid ticketId, Guid customerId, string email, IReadOnlyList<string> fields, string tokenHash, Guid requestedById, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        Id = Ids.New(now);
        TicketId = ticketId;
        CustomerId = customerId;
        Email = email;
        Fields = [.. fields];
        TokenHash = tokenHash;
        RequestedById = requestedById;
        CreatedAt = now;
        ExpiresAt = expiresAt;
    }

    public Guid Id { get; private set; }
    public Guid TicketId { get; private set; }
    public Guid CustomerId { get; private set; }
    public string Email { get; private set; } = "";
    public List<string> Fields { get; private set; } = [];
    public string TokenHash { get; private set; } = "";
    public Guid RequestedById { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset ExpiresAt { get; private set; }
    public DateTimeOffset? CompletedAt { get; private set; }

    public bool Open(DateTimeOffset now) => CompletedAt is null && now < ExpiresAt;

    public void Complete(DateTimeOffset now) => CompletedAt = now;
}

/// <summary>The fields an agent may ask a customer to confirm, by key, with their labels.</summary>
public static class VerificationFields
{
    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>
    {
        ["account-number"] = "Account number",
        ["date-of-birth"] = "Date of birth",
        ["card-last4"] = "Last 4 digits of the card on file",
        ["postcode"] = "Postcode of the billing address",
        ["phone-number"] = "Phone number on the account",
        ["order-number"] = "Order number",
    };
}

internal sealed class PortalSignInConfiguration : IEntityTypeConfiguration<PortalSignIn>
{
    public void Configure(EntityTypeBuilder<PortalSignIn> b)
    {
        b.HasKey(s => s.Id);
        b.Property(s => s.Email).HasMaxLength(EmailAddress.MaxLength);
        b.Property(s => s.TokenHash).HasMaxLength(64);
        b.Property(s => s.Ip).HasMaxLength(64);
        b.HasIndex(s => s.TokenHash).IsUnique();
        b.HasIndex(s => new { s.Email, s.CreatedAt });
        // a redeemed link is spent once, even by two clicks at the same moment
        b.Property(s => s.UsedAt).IsConcurrencyToken();
    }
}

internal sealed class PortalVerificationConfiguration : IEntityTypeConfiguration<PortalVerification>
{
    public void Configure(EntityTypeBuilder<PortalVerification> b)
    {
        b.HasKey(v => v.Id);
        b.Property(v => v.Email).HasMaxLength(EmailAddress.MaxLength);
        b.Property(v => v.TokenHash).HasMaxLength(64);
        b.HasIndex(v => v.TokenHash).IsUnique();
        b.HasIndex(v => v.TicketId);
        b.PrimitiveCollection(v => v.Fields).Metadata.SetValueComparer(Data.ListComparers.Strings);
        b.Property(v => v.CompletedAt).IsConcurrencyToken();
        b.HasOne<Ticket>().WithMany().HasForeignKey(v => v.TicketId).OnDelete(DeleteBehavior.Cascade);
    }
}
