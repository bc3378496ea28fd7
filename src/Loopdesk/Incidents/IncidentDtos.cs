using System.ComponentModel.DataAnnotations;
using Loopdesk.Core.Common;
using Loopdesk.Credits;

namespace Loopdesk.Incidents;

/// <summary>The "Loopdesk:Status" settings: the public status page and its email subscriptions.</summary>
public sealed class StatusOptions
{
    /// <summary>Subscriptions one address (IP) may ask for per hour; more are refused (429). Default 5.</summary>
    public int SubscriptionsPerHour { get; set; } = 5;

    /// <summary>How long a confirmation link works. Default 48 hours.</summary>
    public int ConfirmHours { get; set; } = 48;

    /// <summary>How long anonymous visitors get the status page and feed from the output cache (a change evicts it at once). Default 30.</summary>
    public int CacheSeconds { get; set; } = 30;

    /// <summary>How far back the page and the feed list resolved incidents. Default 90 days.</summary>
    public int PastDays { get; set; } = 90;
}

public sealed class IncidentRequest
{
    [Required, MaxLength(Incident.TitleMaxLength)]
    public string Title { get; init; } = "";
    /// <summary>What is wrong, in the customer's words.</summary>
    [Required, MaxLength(Incident.TextMaxLength)]
    public string Description { get; init; } = "";
    public IReadOnlyList<Guid>? ServiceIds { get; init; }
    public IncidentImpact Impact { get; init; } = IncidentImpact.Major;
    public IncidentStatus Status { get; init; } = IncidentStatus.Investigating;
    public DateTimeOffset? Eta { get; init; }
    [MaxLength(Incident.TextMaxLength)]
    public string? Prevention { get; init; }
    [MaxLength(Incident.TextMaxLength)]
    public string? Apology { get; init; }
    public CreditKind? CompensationKind { get; init; }
    public decimal? CompensationAmount { get; init; }
    public string? CompensationCurrency { get; init; }
    /// <summary>Show it on the status page (and tell subscribers) at once. Default false: a draft.</summary>
    public bool Published { get; init; }
}

public sealed class UpdateIncidentRequest
{
    [MaxLength(Incident.TitleMaxLength)]
    public string? Title { get; init; }
    [MaxLength(Incident.TextMaxLength)]
    public string? Description { get; init; }
    public IReadOnlyList<Guid>? ServiceIds { get; init; }
    public IncidentImpact? Impact { get; init; }
    public Optional<DateTimeOffset?> Eta { get; init; }
    [MaxLength(Incident.TextMaxLength)]
    public string? Prevention { get; init; }
    [MaxLength(Incident.TextMaxLength)]
    public string? Apology { get; init; }
    public Optional<CreditKind?> CompensationKind { get; init; }
    public Optional<decimal?> CompensationAmount { get; init; }
    public Optional<string?> CompensationCurrency { get; init; }
    public bool? Published { get; init; }

    public IncidentChange ToChange() => new()
    {
        Title = Title, Description = Description, ServiceIds = ServiceIds, Impact = Impact, Eta = Eta, Prevention = Prevention, Apology = Apology,
        CompensationKind = CompensationKind, CompensationAmount = CompensationAmount, CompensationCurrency = CompensationCurrency, Published = Published,
    };
}

public sealed class PostIncidentUpdateRequest
{
    [Required, MaxLength(Incident.TextMaxLength)]
    public string Text { get; init; } = "";
    /// <summary>The status it moves to (investigating, identified, monitoring); resolving goes through /resolve.</summary>
    public IncidentStatus? Status { get; init; }
    /// <summary>A new expected fix time (null clears it).</summary>
    public Optional<DateTimeOffset?> Eta { get; init; }
}

public sealed class ResolveIncidentRequest
{
    [MaxLength(Incident.TextMaxLength)]
    public string? Text { get; init; }
    /// <summary>Give the announced compensation, as approved credits, to the customers of the linked tickets (once each).</summary>
    public bool GrantCompensation { get; init; }
}

public sealed class LinkTicketRequest
{
    [Required]
    public string Reference { get; init; } = "";
}

public sealed class ServiceRequest
{
    [Required, MaxLength(StatusService.NameMaxLength)]
    public string Name { get; init; } = "";
    [MaxLength(StatusService.DescriptionMaxLength)]
    public string? Description { get; init; }
    public int Position { get; init; }
}

public sealed record ServiceRef(Guid Id, string Name);

public sealed record CompensationDto(CreditKind Kind, decimal Amount, string Currency);

public sealed record IncidentUpdateDto(Guid Id, IncidentStatus Status, string Text, DateTimeOffset At);

public sealed record IncidentDto(Guid Id, string Title, string Description, IReadOnlyList<ServiceRef> Services, IncidentImpact Impact, IncidentStatus Status,
    DateTimeOffset? Eta, string? Prevention, string? Apology, CompensationDto? Compensation, bool Published, DateTimeOffset StartedAt,
    DateTimeOffset? ResolvedAt, DateTimeOffset? CompensatedAt, DateTimeOffset UpdatedAt, int Version, IReadOnlyList<IncidentUpdateDto> Updates, int LinkedTickets)
{
    public string ETag() => $"\"v{Version}\"";
}

public sealed record LinkedTicketDto(string Reference, string Subject, Core.Tickets.TicketStatus Status, Guid CustomerId, DateTimeOffset LinkedAt);

/// <summary>A service on the status page and how it is doing: operational, or the worst impact of its current incidents.</summary>
public sealed record ServiceStateDto(Guid Id, string Name, string? Description, int Position, string State);

/// <summary>What a resolve did: the incident, and how many customers got the compensation now.</summary>
public sealed record ResolveResultDto(IncidentDto Incident, int CreditsGranted);
