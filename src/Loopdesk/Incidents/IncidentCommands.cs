using System.Security.Claims;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Credits;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Incidents;

/// <summary>The incident use cases the API and the workspace share. Each change evicts the public status page from the output cache.</summary>
public sealed class IncidentCommands(TimeProvider clock, IOutputCacheStore cache, IOptions<LoopdeskOptions> options)
{
    public const string NotifyKind = "incident.notify";

    public async Task<(Incident? Incident, ProblemHttpResult? Problem)> CreateAsync(LoopdeskDb db, IncidentRequest body, ClaimsPrincipal user, CancellationToken ct)
    {
        if (body.Status == IncidentStatus.Resolved) return (null, Problems.Validation("status", "A new incident is investigating, identified or monitoring."));
        if (await UnknownServiceAsync(db, body.ServiceIds, ct) is { } unknown) return (null, unknown);
        var now = clock.GetUtcNow();
        var incident = new Incident(now);
        var verdict = incident.Apply(new IncidentChange
        {
            Title = body.Title, Description = body.Description, ServiceIds = body.ServiceIds ?? [], Impact = body.Impact, Eta = body.Eta,
            Prevention = body.Prevention, Apology = body.Apology, CompensationKind = body.CompensationKind, CompensationAmount = body.CompensationAmount,
            CompensationCurrency = body.CompensationCurrency, Published = body.Published,
        }, now, options.Value.Credits.Currency);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        incident.Post(incident.Description, body.Status, user.AgentId(), now, out var first);
        db.Incidents.Add(incident);
        if (incident.Published) Notify(db, incident, first, now);
        await SaveAsync(db, ct);
        return (incident, null);
    }

    public async Task<(Incident? Incident, ProblemHttpResult? Problem)> UpdateAsync(LoopdeskDb db, Guid id, UpdateIncidentRequest body, string? ifMatch, CancellationToken ct)
    {
        var incident = await FindAsync(db, id, ct);
        if (incident is null) return (null, Problems.NotFound("incident"));
        if (ifMatch is not null && ifMatch != "*" && ifMatch != incident.ETag) return (null, Problems.PreconditionFailed(incident.ETag));
        if (await UnknownServiceAsync(db, body.ServiceIds, ct) is { } unknown) return (null, unknown);
        var wasPublished = incident.Published;
        var now = clock.GetUtcNow();
        var verdict = incident.Apply(body.ToChange(), now, options.Value.Credits.Currency);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        // publishing a draft tells everyone what has been said so far
        if (!wasPublished && incident.Published && !incident.IsResolved && incident.Updates.OrderBy(u => u.At).LastOrDefault() is { } latest) Notify(db, incident, latest, now);
        await SaveAsync(db, ct);
        return (incident, null);
    }

    public async Task<(Incident? Incident, ProblemHttpResult? Problem)> PostUpdateAsync(LoopdeskDb db, Guid id, PostIncidentUpdateRequest body, ClaimsPrincipal user, CancellationToken ct)
    {
        if (body.Status == IncidentStatus.Resolved) return (null, Problems.Validation("status", "Resolve an incident with POST /api/v1/incidents/{id}/resolve."));
        var incident = await FindAsync(db, id, ct);
        if (incident is null) return (null, Problems.NotFound("incident"));
        var now = clock.GetUtcNow();
        if (body.Eta.HasValue)
        {
            var eta = incident.Apply(new IncidentChange { Eta = body.Eta }, now);
            if (!eta.IsOk) return (null, Problems.RuleViolation(eta));
        }
        var verdict = incident.Post(body.Text, body.Status, user.AgentId(), now, out var update);
        if (!verdict.IsOk) return (null, verdict.Code == "incident.resolved" ? Problems.Conflict(verdict.Code, verdict.Message!) : Problems.RuleViolation(verdict));
        if (incident.Published) Notify(db, incident, update, now);
        await SaveAsync(db, ct);
        return (incident, null);
    }

    /// <summary>
    /// Resolves an incident with a last update, and (when asked) gives the announced compensation to the customers of
    /// the linked tickets. Resolving again only grants what was not granted yet.
    /// </summary>
    public async Task<(Incident? Incident, int Granted, ProblemHttpResult? Problem)> ResolveAsync(LoopdeskDb db, Guid id, ResolveIncidentRequest body, ClaimsPrincipal user, CancellationToken ct)
    {
        var incident = await FindAsync(db, id, ct);
        if (incident is null) return (null, 0, Problems.NotFound("incident"));
        if (body.GrantCompensation && incident.CompensationKind is null)
            return (null, 0, Problems.Unprocessable("incident.no_compensation", "No compensation was announced for this incident; set compensationKind and compensationAmount first.", "grantCompensation"));
        var now = clock.GetUtcNow();
        if (!incident.IsResolved)
        {
            var verdict = incident.Post(string.IsNullOrWhiteSpace(body.Text) ? "This incident has been resolved." : body.Text, IncidentStatus.Resolved, user.AgentId(), now, out var update);
            if (!verdict.IsOk) return (null, 0, Problems.RuleViolation(verdict));
            if (incident.Published) Notify(db, incident, update, now);
        }
        else if (!body.GrantCompensation)
        {
            return (null, 0, Problems.Conflict("incident.resolved", "The incident is resolved already."));
        }
        var granted = 0;
        if (body.GrantCompensation)
        {
            var customers = await db.IncidentTickets.Where(l => l.IncidentId == id).Join(db.Tickets, l => l.TicketId, t => t.Id, (l, t) => t.CustomerId).Distinct().ToListAsync(ct);
            granted = await CreditLedger.GrantCompensationAsync(db, incident, customers, user.AgentId(), options.Value.Credits.Currency, now, ct);
            if (granted > 0) incident.Compensated(now);
        }
        await SaveAsync(db, ct);
        return (incident, granted, null);
    }

    /// <summary>Links a ticket the person may see to an incident; its customer hears the updates from now on.</summary>
    public async Task<ProblemHttpResult?> LinkAsync(LoopdeskDb db, Guid id, string reference, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Problems.NotFound("incident");
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.Unprocessable("ticket.unknown", "No ticket with that reference.", "reference");
        if (await db.IncidentTickets.AnyAsync(l => l.IncidentId == id && l.TicketId == ticket.Id, ct)) return null;
        var now = clock.GetUtcNow();
        db.IncidentTickets.Add(new IncidentTicket(id, ticket.Id, user.AgentId(), now));
        ticket.Remark("incident.linked", new { incidentId = id }, user.Actor(), now);
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<ProblemHttpResult?> UnlinkAsync(LoopdeskDb db, Guid id, string reference, ClaimsPrincipal user, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        var link = ticket is null ? null : await db.IncidentTickets.FirstOrDefaultAsync(l => l.IncidentId == id && l.TicketId == ticket.Id, ct);
        if (link is null) return Problems.NotFound("link between that incident and ticket");
        db.IncidentTickets.Remove(link);
        ticket!.Remark("incident.unlinked", new { incidentId = id }, user.Actor(), clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return null;
    }

    public async Task<(StatusService? Service, ProblemHttpResult? Problem)> SaveServiceAsync(LoopdeskDb db, Guid? id, ServiceRequest body, CancellationToken ct)
    {
        var service = id is { } existing ? await db.StatusServices.FirstOrDefaultAsync(s => s.Id == existing, ct) : new StatusService(clock.GetUtcNow());
        if (service is null) return (null, Problems.NotFound("service"));
        var verdict = service.Set(body.Name, body.Description, body.Position);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        if (await db.StatusServices.AnyAsync(s => s.Name == service.Name && s.Id != service.Id, ct))
            return (null, Problems.Conflict("service.exists", "A service with that name exists.", "name"));
        if (id is null) db.StatusServices.Add(service);
        await SaveAsync(db, ct);
        return (service, null);
    }

    public async Task<ProblemHttpResult?> DeleteServiceAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        var service = await db.StatusServices.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (service is null) return Problems.NotFound("service");
        db.StatusServices.Remove(service);
        await SaveAsync(db, ct);
        return null;
    }

    public static Task<Incident?> FindAsync(LoopdeskDb db, Guid id, CancellationToken ct)
        => db.Incidents.Include(i => i.Updates).FirstOrDefaultAsync(i => i.Id == id, ct);

    /// <summary>The linked tickets' customers and the confirmed subscribers hear of an update, through the outbox.</summary>
    private static void Notify(LoopdeskDb db, Incident incident, IncidentUpdate update, DateTimeOffset now)
        => db.Enqueue(NotifyKind, new IncidentNotice(incident.Id, update.Id), now);

    private async Task SaveAsync(LoopdeskDb db, CancellationToken ct)
    {
        await db.SaveChangesAsync(ct);
        await cache.EvictByTagAsync(StatusCache.Tag, CancellationToken.None);
    }

    private static async Task<ProblemHttpResult?> UnknownServiceAsync(LoopdeskDb db, IReadOnlyList<Guid>? ids, CancellationToken ct)
    {
        if (ids is null || ids.Count == 0) return null;
        var wanted = ids.Distinct().ToList();
        var found = await db.StatusServices.CountAsync(s => wanted.Contains(s.Id), ct);
        return found == wanted.Count ? null : Problems.Unprocessable("service.unknown", "No service with one of those ids.", "serviceIds");
    }
}

public sealed record IncidentNotice(Guid IncidentId, Guid UpdateId);

/// <summary>The output cache policy of the public status page and feed: anonymous visitors only, evicted by tag on every change.</summary>
public static class StatusCache
{
    public const string Tag = "status";
    public const string Policy = "status";

    /// <summary>
    /// Every page the framework renders sets an anti-forgery cookie, which keeps an answer out of the output cache (and
    /// a cached copy must never hand one visitor's cookie to the next). The status pages hold no form and nothing
    /// personal: for an anonymous visitor they are rendered with no way to set a cookie, so one rendering serves
    /// everyone until it expires or an incident changes.
    /// </summary>
    public static IApplicationBuilder UseStatusPageCache(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        if (HttpMethods.IsGet(context.Request.Method) && context.User.Identity?.IsAuthenticated != true
            && context.GetEndpoint()?.Metadata.GetMetadata<OutputCacheAttribute>() is { PolicyName: Policy })
            context.Features.Set<IResponseCookiesFeature>(NoCookies.Instance);
        return next(context);
    });

    private sealed class NoCookies : IResponseCookiesFeature, IResponseCookies
    {
        public static readonly NoCookies Instance = new();

        public IResponseCookies Cookies => this;

        public void Append(string key, string value) { }

        public void Append(string key, string value, CookieOptions options) { }

        public void Delete(string key) { }

        public void Delete(string key, CookieOptions options) { }
    }
}
