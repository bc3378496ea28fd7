using System.Globalization;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Credits;

/// <summary>The goodwill gestures an agent can make.</summary>
public enum CreditKind { Refund, AccountCredit, FreeUpgrade, ExpeditedShipping, Discount }

/// <summary>Approved counts on the ledger; pending waits for someone allowed to approve the amount; rejected does not count.</summary>
public enum CreditStatus { Approved, PendingApproval, Rejected }

/// <summary>A goodwill gesture on a customer's ledger: what, how much, why, for which ticket, who gave it and who approved it.</summary>
public sealed class Credit
{
    public const int ReasonMaxLength = 1000;

    private Credit() { }

    public Credit(Guid customerId, CreditKind kind, decimal amount, string currency, string reason, Guid? ticketId, Guid? incidentId, Guid? givenBy, DateTimeOffset now)
    {
        Id = Ids.New(now);
        CustomerId = customerId;
        Kind = kind;
        Amount = amount;
        Currency = currency.ToUpperInvariant();
        Reason = reason;
        TicketId = ticketId;
        IncidentId = incidentId;
        GivenBy = givenBy;
        CreatedAt = now;
        Status = CreditStatus.PendingApproval;
    }

    public Guid Id { get; private set; }
    public Guid CustomerId { get; private set; }
    public CreditKind Kind { get; private set; }
    public decimal Amount { get; private set; }
    public string Currency { get; private set; } = "";
    public string Reason { get; private set; } = "";
    public Guid? TicketId { get; private set; }
    /// <summary>The incident whose announced compensation this is.</summary>
    public Guid? IncidentId { get; private set; }
    public Guid? GivenBy { get; private set; }
    public CreditStatus Status { get; private set; }
    /// <summary>Who approved or rejected it (the giver, when within their own limit).</summary>
    public Guid? DecidedBy { get; private set; }
    public DateTimeOffset? DecidedAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public int Version { get; private set; }

    public Verdict Decide(bool approve, Guid by, DateTimeOffset now)
    {
        if (Status != CreditStatus.PendingApproval) return Verdict.Deny("credit.decided", $"This credit was {Wire.Name(Status)} already.");
        Status = approve ? CreditStatus.Approved : CreditStatus.Rejected;
        DecidedBy = by;
        DecidedAt = now;
        Version++;
        return Verdict.Ok;
    }
}

/// <summary>Checks every credit, wherever it comes from (an agent, an incident's compensation), goes through.</summary>
public static class CreditRules
{
    /// <summary>Above this no single gesture goes, whatever the role: a typo guard ("5000" for "50.00").</summary>
    public const decimal AbsoluteMax = 1_000_000m;

    /// <summary>Null when the amount is usable, else why not.</summary>
    public static string? CheckAmount(decimal amount)
    {
        if (amount <= 0) return "The amount is more than zero.";
        if (amount > AbsoluteMax) return $"The amount is at most {AbsoluteMax.ToString("N0", CultureInfo.InvariantCulture)}.";
        if (decimal.Round(amount, 2) != amount) return "The amount has at most two decimals.";
        return null;
    }

    public static bool IsCurrency(string code) => code.Length == 3 && code.All(char.IsAsciiLetter);
}

/// <summary>The "Loopdesk:Credits" settings.</summary>
public sealed class CreditOptions
{
    /// <summary>The currency of credits given without one, and of the totals shown. Default EUR.</summary>
    public string Currency { get; set; } = "EUR";

    /// <summary>The most one credit may be, whoever approves it. Default 10,000.</summary>
    public decimal MaxAmount { get; set; } = 10_000m;

    /// <summary>What each role may give (or approve) on its own; above it a credit waits for someone whose limit covers it.</summary>
    public CreditLimits Limits { get; set; } = new();

    public decimal LimitOf(AgentRole role) => role switch
    {
        AgentRole.Admin => Limits.Admin ?? MaxAmount,
        AgentRole.Supervisor => Limits.Supervisor,
        AgentRole.Agent => Limits.Agent,
        AgentRole.Collaborator => 0,
        _ => 0,
    };
}

public sealed class CreditLimits
{
    /// <summary>Default 50.</summary>
    public decimal Agent { get; set; } = 50m;

    /// <summary>Default 500.</summary>
    public decimal Supervisor { get; set; } = 500m;

    /// <summary>Default: the maximum amount.</summary>
    public decimal? Admin { get; set; }
}

internal sealed class CreditConfiguration : IEntityTypeConfiguration<Credit>
{
    public void Configure(EntityTypeBuilder<Credit> b)
    {
        b.ToTable("Credits");
        b.HasKey(c => c.Id);
        b.Property(c => c.Amount).HasPrecision(18, 2);
        b.Property(c => c.Currency).HasMaxLength(3);
        b.Property(c => c.Reason).HasMaxLength(Credit.ReasonMaxLength);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.HasIndex(c => new { c.CustomerId, c.CreatedAt });
        b.HasIndex(c => new { c.Status, c.CreatedAt });
        b.HasIndex(c => c.TicketId);
        b.HasIndex(c => c.CreatedAt);
        // an incident's compensation reaches each customer once, however often resolving is tried
        b.HasIndex(c => new { c.IncidentId, c.CustomerId }).IsUnique().HasFilter("\"IncidentId\" IS NOT NULL");
        b.HasOne<Core.Customers.Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}
