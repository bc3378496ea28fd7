using Loopdesk.Core.Common;
using Loopdesk.Credits;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Incidents;

/// <summary>Where an incident stands, as the status page says it.</summary>
public enum IncidentStatus { Investigating, Identified, Monitoring, Resolved }

/// <summary>How bad it is for customers.</summary>
public enum IncidentImpact { Minor, Major, Critical }

/// <summary>One of the company's services or components listed on the status page (admins keep the list).</summary>
public sealed class StatusService
{
    public const int NameMaxLength = 100;
    public const int DescriptionMaxLength = 500;

    private StatusService() { }

    public StatusService(DateTimeOffset now)
    {
        Id = Ids.New(now);
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    public string? Description { get; private set; }
    public int Position { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public Verdict Set(string name, string? description, int position)
    {
        name = name.Trim();
        if (name.Length is 0 or > NameMaxLength) return Verdict.Deny("service.invalid", $"A service name is 1 to {NameMaxLength} characters.", "name");
        if (TextRules.FindProblem(name) is { } bad) return Verdict.Deny("service.invalid", $"The name {bad}.", "name");
        description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        if (description is { Length: > DescriptionMaxLength }) return Verdict.Deny("service.invalid", $"A description is at most {DescriptionMaxLength} characters.", "description");
        (Name, Description, Position) = (name, description, position);
        return Verdict.Ok;
    }
}

/// <summary>
/// An outage or degradation told to customers on the status page: what is wrong, which services, when it will be fixed,
/// what is done so it won't happen again, an apology and the compensation offered, with its updates.
/// </summary>
public sealed class Incident
{
    public const int TitleMaxLength = 200;
    public const int TextMaxLength = 4000;

    private Incident() { }

    public Incident(DateTimeOffset now)
    {
        Id = Ids.New(now);
        StartedAt = now;
        CreatedAt = now;
        UpdatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Title { get; private set; } = "";
    /// <summary>What is wrong, in the customer's words.</summary>
    public string Description { get; private set; } = "";
    public List<Guid> ServiceIds { get; private set; } = [];
    public IncidentImpact Impact { get; private set; }
    public IncidentStatus Status { get; private set; }
    /// <summary>When it is expected to be fixed.</summary>
    public DateTimeOffset? Eta { get; private set; }
    /// <summary>What is being done so it won't happen again.</summary>
    public string? Prevention { get; private set; }
    public string? Apology { get; private set; }
    public CreditKind? CompensationKind { get; private set; }
    public decimal? CompensationAmount { get; private set; }
    public string? CompensationCurrency { get; private set; }
    /// <summary>Shown on the public status page and in the feed; an unpublished incident is a draft staff see.</summary>
    public bool Published { get; private set; }
    public DateTimeOffset StartedAt { get; private set; }
    public DateTimeOffset? ResolvedAt { get; private set; }
    /// <summary>When the announced compensation was given to the linked customers (once).</summary>
    public DateTimeOffset? CompensatedAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }
    public List<IncidentUpdate> Updates { get; private set; } = [];

    public string ETag => $"\"v{Version}\"";

    public bool IsResolved => Status == IncidentStatus.Resolved;

    /// <summary>Applies the fields given (null: unchanged).</summary>
    public Verdict Apply(IncidentChange c, DateTimeOffset now, string defaultCurrency = "EUR")
    {
        var title = c.Title?.Trim() ?? Title;
        if (title.Length is 0 or > TitleMaxLength) return Verdict.Deny("incident.invalid", $"The title is 1 to {TitleMaxLength} characters.", "title");
        if (TextRules.FindProblem(title) is { } badTitle) return Verdict.Deny("incident.invalid", $"The title {badTitle}.", "title");
        var description = c.Description?.Trim() ?? Description;
        if (description.Length is 0 or > TextMaxLength) return Verdict.Deny("incident.invalid", $"Say what is wrong, in at most {TextMaxLength} characters.", "description");
        foreach (var (field, text) in new[] { ("description", description), ("prevention", c.Prevention), ("apology", c.Apology) })
        {
            if (text is { Length: > TextMaxLength }) return Verdict.Deny("incident.invalid", $"The {field} is at most {TextMaxLength} characters.", field);
            if (text is not null && TextRules.FindProblem(text, allowNewLines: true) is { } bad) return Verdict.Deny("incident.invalid", $"The {field} {bad}.", field);
        }
        if (c.Eta is { HasValue: true, Value: { } etaValue } && etaValue < now.AddDays(-1)) return Verdict.Deny("incident.invalid", "The ETA is in the past.", "eta");
        var kind = c.CompensationKind is { HasValue: true } k ? k.Value : CompensationKind;
        var amount = c.CompensationAmount is { HasValue: true } a ? a.Value : CompensationAmount;
        var currency = c.CompensationCurrency is { HasValue: true } cur ? cur.Value : CompensationCurrency;
        if (kind is null != amount is null) return Verdict.Deny("incident.invalid", "Compensation needs both a kind and an amount (or neither).", "compensationAmount");
        if (amount is { } m && CreditRules.CheckAmount(m) is { } badAmount) return Verdict.Deny("incident.invalid", badAmount, "compensationAmount");
        if (currency is not null && !CreditRules.IsCurrency(currency)) return Verdict.Deny("incident.invalid", "The currency is a three-letter ISO 4217 code (EUR, USD…).", "compensationCurrency");

        Title = title;
        Description = description;
        if (c.ServiceIds is { } services) ServiceIds = [.. services.Distinct()];
        if (c.Impact is { } impact) Impact = impact;
        if (c.Eta is { HasValue: true } newEta) Eta = newEta.Value;
        if (c.Prevention is not null) Prevention = c.Prevention.Trim().Length == 0 ? null : c.Prevention.Trim();
        if (c.Apology is not null) Apology = c.Apology.Trim().Length == 0 ? null : c.Apology.Trim();
        (CompensationKind, CompensationAmount, CompensationCurrency) = (kind, amount, amount is null ? null : (currency ?? defaultCurrency).ToUpperInvariant());
        if (c.Published is { } published) Published = published;
        UpdatedAt = now;
        Version++;
        return Verdict.Ok;
    }

    /// <summary>Adds an update to the history, moving the status when one is given.</summary>
    public Verdict Post(string text, IncidentStatus? status, Guid? authorId, DateTimeOffset now, out IncidentUpdate update)
    {
        update = null!;
        text = text.Trim();
        if (text.Length is 0 or > TextMaxLength) return Verdict.Deny("incident.invalid", $"An update is 1 to {TextMaxLength} characters.", "text");
        if (TextRules.FindProblem(text, allowNewLines: true) is { } bad) return Verdict.Deny("incident.invalid", $"The update {bad}.", "text");
        if (IsResolved) return Verdict.Deny("incident.resolved", "The incident is resolved; open a new one if the problem is back.");
        var next = status ?? Status;
        update = new IncidentUpdate(Id, next, text, authorId, now);
        Updates.Add(update);
        Status = next;
        if (next == IncidentStatus.Resolved) ResolvedAt = now;
        UpdatedAt = now;
        Version++;
        return Verdict.Ok;
    }

    public void Compensated(DateTimeOffset now)
    {
        CompensatedAt = now;
        Version++;
    }
}

/// <summary>What a change to an incident sets; null leaves a field as it is, an Optional with no value clears it.</summary>
public sealed record IncidentChange
{
    public string? Title { get; init; }
    public string? Description { get; init; }
    public IReadOnlyList<Guid>? ServiceIds { get; init; }
    public IncidentImpact? Impact { get; init; }
    public Optional<DateTimeOffset?> Eta { get; init; }
    public string? Prevention { get; init; }
    public string? Apology { get; init; }
    public Optional<CreditKind?> CompensationKind { get; init; }
    public Optional<decimal?> CompensationAmount { get; init; }
    public Optional<string?> CompensationCurrency { get; init; }
    public bool? Published { get; init; }
}

/// <summary>One entry of an incident's history: what was said, the status it set, when.</summary>
public sealed class IncidentUpdate
{
    private IncidentUpdate() { }

    public IncidentUpdate(Guid incidentId, IncidentStatus status, string text, Guid? authorId, DateTimeOffset now)
    {
        Id = Ids.New(now);
        IncidentId = incidentId;
        Status = status;
        Text = text;
        AuthorId = authorId;
        At = now;
    }

    public Guid Id { get; private set; }
    public Guid IncidentId { get; private set; }
    public IncidentStatus Status { get; private set; }
    public string Text { get; private set; } = "";
    public Guid? AuthorId { get; private set; }
    public DateTimeOffset At { get; private set; }
}

/// <summary>A ticket an agent linked to an incident: its customer hears every update.</summary>
public sealed class IncidentTicket
{
    private IncidentTicket() { }

    public IncidentTicket(Guid incidentId, Guid ticketId, Guid? linkedBy, DateTimeOffset now)
    {
        IncidentId = incidentId;
        TicketId = ticketId;
        LinkedBy = linkedBy;
        LinkedAt = now;
    }

    public Guid IncidentId { get; private set; }
    public Guid TicketId { get; private set; }
    public Guid? LinkedBy { get; private set; }
    public DateTimeOffset LinkedAt { get; private set; }
}

/// <summary>
/// An email address that asked for status updates. Only what double opt-in needs: the address, a hash of the
/// confirmation token and when it runs out, and when it was confirmed. An unsubscribed address is deleted.
/// </summary>
public sealed class StatusSubscriber
{
    private StatusSubscriber() { }

    public StatusSubscriber(string email, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Email = email;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Email { get; private set; } = "";
    public string? ConfirmTokenHash { get; private set; }
    public DateTimeOffset? ConfirmBy { get; private set; }
    public DateTimeOffset? ConfirmedAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public void AwaitConfirmation(string tokenHash, DateTimeOffset until)
    {
        ConfirmTokenHash = tokenHash;
        ConfirmBy = until;
    }

    public void Confirm(DateTimeOffset now)
    {
        ConfirmedAt = now;
        ConfirmTokenHash = null;
        ConfirmBy = null;
    }
}

internal sealed class StatusServiceConfiguration : IEntityTypeConfiguration<StatusService>
{
    public void Configure(EntityTypeBuilder<StatusService> b)
    {
        b.ToTable("StatusServices");
        b.HasKey(s => s.Id);
        b.Property(s => s.Name).HasMaxLength(StatusService.NameMaxLength);
        b.Property(s => s.Description).HasMaxLength(StatusService.DescriptionMaxLength);
        b.HasIndex(s => s.Name).IsUnique();
    }
}

internal sealed class IncidentConfiguration : IEntityTypeConfiguration<Incident>
{
    public void Configure(EntityTypeBuilder<Incident> b)
    {
        b.ToTable("Incidents");
        b.HasKey(i => i.Id);
        b.Property(i => i.Title).HasMaxLength(Incident.TitleMaxLength);
        b.Property(i => i.Description).HasMaxLength(Incident.TextMaxLength);
        b.Property(i => i.Prevention).HasMaxLength(Incident.TextMaxLength);
        b.Property(i => i.Apology).HasMaxLength(Incident.TextMaxLength);
        b.Property(i => i.CompensationAmount).HasPrecision(18, 2);
        b.Property(i => i.CompensationCurrency).HasMaxLength(3);
        b.PrimitiveCollection(i => i.ServiceIds).Metadata.SetValueComparer(Data.ListComparers.Guids);
        b.Property(i => i.Version).IsConcurrencyToken();
        b.Ignore(i => i.ETag);
        b.Ignore(i => i.IsResolved);
        b.HasIndex(i => new { i.Published, i.Status, i.StartedAt });
        b.HasMany(i => i.Updates).WithOne().HasForeignKey(u => u.IncidentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IncidentUpdateConfiguration : IEntityTypeConfiguration<IncidentUpdate>
{
    public void Configure(EntityTypeBuilder<IncidentUpdate> b)
    {
        b.ToTable("IncidentUpdates");
        b.HasKey(u => u.Id);
        b.Property(u => u.Text).HasMaxLength(Incident.TextMaxLength);
        b.HasIndex(u => new { u.IncidentId, u.At });
    }
}

internal sealed class IncidentTicketConfiguration : IEntityTypeConfiguration<IncidentTicket>
{
    public void Configure(EntityTypeBuilder<IncidentTicket> b)
    {
        b.ToTable("IncidentTickets");
        b.HasKey(l => new { l.IncidentId, l.TicketId });
        b.HasIndex(l => l.TicketId);
        b.HasOne<Incident>().WithMany().HasForeignKey(l => l.IncidentId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Core.Tickets.Ticket>().WithMany().HasForeignKey(l => l.TicketId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class StatusSubscriberConfiguration : IEntityTypeConfiguration<StatusSubscriber>
{
    public void Configure(EntityTypeBuilder<StatusSubscriber> b)
    {
        b.ToTable("StatusSubscribers");
        b.HasKey(s => s.Id);
        b.Property(s => s.Email).HasMaxLength(Core.Customers.EmailAddress.MaxLength);
        b.HasIndex(s => s.Email).IsUnique();
        b.Property(s => s.ConfirmTokenHash).HasMaxLength(64);
        b.HasIndex(s => s.ConfirmTokenHash);
        b.HasIndex(s => s.ConfirmedAt);
    }
}
