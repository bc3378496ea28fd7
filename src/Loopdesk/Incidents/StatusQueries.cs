using Loopdesk.Core.Common;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Incidents;

/// <summary>What the public status page, the feed, the portal's summary and the API read.</summary>
public static class StatusQueries
{
    /// <summary>The status page: services with their state, published incidents still open, and those resolved recently.</summary>
    public sealed record Board(IReadOnlyList<ServiceStateDto> Services, IReadOnlyList<IncidentDto> Current, IReadOnlyList<IncidentDto> Past);

    public static async Task<Board> BoardAsync(LoopdeskDb db, DateTimeOffset now, int pastDays, CancellationToken ct)
    {
        var since = now.AddDays(-Math.Max(1, pastDays));
        var incidents = await db.Incidents.AsNoTracking().Include(i => i.Updates)
            .Where(i => i.Published && (i.Status != IncidentStatus.Resolved || i.ResolvedAt >= since))
            .OrderByDescending(i => i.StartedAt).Take(200).AsSplitQuery().ToListAsync(ct);
        var services = await db.StatusServices.AsNoTracking().OrderBy(s => s.Position).ThenBy(s => s.Name).ToListAsync(ct);
        var names = services.ToDictionary(s => s.Id, s => s.Name);
        var current = incidents.Where(i => !i.IsResolved).ToList();
        var states = services.Select(s => new ServiceStateDto(s.Id, s.Name, s.Description, s.Position,
            current.Where(i => i.ServiceIds.Contains(s.Id)).Select(i => (IncidentImpact?)i.Impact).Max() is { } worst ? ImpactWords(worst) : "operational")).ToList();
        return new Board(states, [.. current.Select(i => ToDto(i, names, 0))], [.. incidents.Where(i => i.IsResolved).OrderByDescending(i => i.ResolvedAt).Select(i => ToDto(i, names, 0))]);
    }

    /// <summary>One published incident with its whole history, for its public page; null when there is none.</summary>
    public static async Task<IncidentDto?> PublishedAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Updates).FirstOrDefaultAsync(i => i.Id == id && i.Published, ct);
        return incident is null ? null : ToDto(incident, await ServiceNamesAsync(db, ct), 0);
    }

    public static async Task<Dictionary<Guid, string>> ServiceNamesAsync(LoopdeskDb db, CancellationToken ct)
        => await db.StatusServices.AsNoTracking().ToDictionaryAsync(s => s.Id, s => s.Name, ct);

    public static async Task<IncidentDto> ToDtoAsync(LoopdeskDb db, Incident incident, CancellationToken ct)
    {
        var id = incident.Id;
        return ToDto(incident, await ServiceNamesAsync(db, ct), await db.IncidentTickets.CountAsync(l => l.IncidentId == id, ct));
    }

    public static IncidentDto ToDto(Incident i, IReadOnlyDictionary<Guid, string> serviceNames, int linked) => new(
        i.Id, i.Title, i.Description,
        [.. i.ServiceIds.Where(serviceNames.ContainsKey).Select(s => new ServiceRef(s, serviceNames[s]))],
        i.Impact, i.Status, i.Eta, i.Prevention, i.Apology,
        i.CompensationKind is { } kind && i.CompensationAmount is { } amount ? new CompensationDto(kind, amount, i.CompensationCurrency ?? "") : null,
        i.Published, i.StartedAt, i.ResolvedAt, i.CompensatedAt, i.UpdatedAt, i.Version,
        [.. i.Updates.OrderByDescending(u => u.At).ThenByDescending(u => u.Id).Select(u => new IncidentUpdateDto(u.Id, u.Status, u.Text, u.At))], linked);

    public static string ImpactWords(IncidentImpact impact) => impact switch
    {
        IncidentImpact.Minor => "degraded",
        IncidentImpact.Major => "partial-outage",
        IncidentImpact.Critical => "major-outage",
        _ => Wire.Name(impact),
    };

    public static string StatusWords(IncidentStatus status) => status switch
    {
        IncidentStatus.Investigating => "Investigating",
        IncidentStatus.Identified => "Cause identified",
        IncidentStatus.Monitoring => "Fix applied, monitoring",
        IncidentStatus.Resolved => "Resolved",
        _ => status.ToString(),
    };

    public static string ServiceStateWords(string state) => state switch
    {
        "operational" => "Operational",
        "degraded" => "Degraded performance",
        "partial-outage" => "Partial outage",
        "major-outage" => "Major outage",
        _ => state,
    };

    public static string CompensationWords(CompensationDto c) => c.Kind switch
    {
        Credits.CreditKind.Refund => $"a refund of {Money(c)}",
        Credits.CreditKind.AccountCredit => $"an account credit of {Money(c)}",
        Credits.CreditKind.FreeUpgrade => $"a free upgrade worth {Money(c)}",
        Credits.CreditKind.ExpeditedShipping => $"free expedited shipping worth {Money(c)}",
        Credits.CreditKind.Discount => $"a discount of {Money(c)}",
        _ => Money(c),
    };

    private static string Money(CompensationDto c) => $"{c.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} {c.Currency}".Trim();
}
