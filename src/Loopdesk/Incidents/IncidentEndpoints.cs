using System.Security.Claims;
using System.ServiceModel.Syndication;
using System.Xml;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Incidents;

public static class IncidentEndpoints
{
    public static void MapIncidents(this IEndpointRouteBuilder app)
    {
        var incidents = app.MapGroup("/incidents").WithTags("Incidents").RequireAuthorization(Policies.Agent);
        incidents.MapGet("/", ListAsync).WithName("ListIncidents").WithSummary("List incidents")
            .WithDescription("Newest first, drafts included. `state` is current (not resolved), past (resolved) or all (the default). At most 200.");
        incidents.MapPost("/", CreateAsync).WithName("CreateIncident").RequireAuthorization(Policies.Supervisor).WithSummary("Open an incident")
            .WithDescription("Title, what is wrong (`description`), affected `serviceIds`, impact (minor, major, critical), status, ETA, what is done so it won't happen again "
                + "(`prevention`), an apology and the compensation offered (`compensationKind` + `compensationAmount`, optional `compensationCurrency`). "
                + "The description is the first update. `published: true` shows it on /status at once and tells linked customers and subscribers.");
        incidents.MapGet("/{id:guid}", GetAsync).WithName("GetIncident").WithSummary("Get an incident")
            .WithDescription("With its whole update history, newest first. The ETag header is the version for If-Match.");
        incidents.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateIncident").RequireAuthorization(Policies.Supervisor).WithSummary("Change an incident")
            .WithDescription("Partial update of its fields (`eta`, `compensationKind`, `compensationAmount` may be set to null to clear them). Send If-Match with the ETag you read: "
                + "a stale one is 412 and changes nothing. Publishing a draft tells linked customers and subscribers its latest update.");
        incidents.MapPost("/{id:guid}/updates", PostUpdateAsync).WithName("PostIncidentUpdate").RequireAuthorization(Policies.Supervisor).WithSummary("Post an update")
            .WithDescription("Adds `text` to the history, optionally moving `status` (investigating, identified, monitoring) and the `eta`. When the incident is published, "
                + "every open linked ticket gets the update as a message on its channel and every confirmed subscriber a mail, through the outbox. A resolved incident is 409.");
        incidents.MapPost("/{id:guid}/resolve", ResolveAsync).WithName("ResolveIncident").RequireAuthorization(Policies.Supervisor).WithSummary("Resolve an incident")
            .WithDescription("Posts the last update (`text`, optional) and marks it resolved. `grantCompensation: true` gives the announced compensation as approved credits "
                + "to the customers of the linked tickets, each once (calling it again grants only to customers linked since). Answers with the number granted.");
        incidents.MapGet("/{id:guid}/tickets", TicketsAsync).WithName("ListIncidentTickets").WithSummary("Tickets linked to an incident")
            .WithDescription("Agents, supervisors and admins. Each with its subject, status, customer and when it was linked, first linked first, at most 1000. 404 when there is no such incident.");
        incidents.MapPost("/{id:guid}/tickets", LinkAsync).WithName("LinkIncidentTicket").WithSummary("Link a ticket")
            .WithDescription("`{reference}`: the ticket's customer hears the incident's updates from now on. Linking twice changes nothing. Recorded as `incident.linked` on the ticket.");
        incidents.MapDelete("/{id:guid}/tickets/{reference}", UnlinkAsync).WithName("UnlinkIncidentTicket").WithSummary("Unlink a ticket")
            .WithDescription("Agents, supervisors and admins. The ticket's customer hears no more of the incident's updates; recorded as `incident.unlinked` on the ticket. "
                + "404 when there is no such ticket or it is not linked.");

        var services = app.MapGroup("/status/services").WithTags("Incidents");
        services.MapGet("/", ServicesAsync).AllowAnonymous().WithName("ListStatusServices").WithSummary("Services and their state")
            .WithDescription("Public: each service on the status page with its state: operational, degraded, partial-outage or major-outage (the worst impact of its published current incidents).");
        services.MapPost("/", AddServiceAsync).RequireAuthorization(Policies.Admin).WithName("CreateStatusService").WithSummary("Add a service")
            .WithDescription("A name (unique), a description and a position in the list.");
        services.MapPut("/{id:guid}", PutServiceAsync).RequireAuthorization(Policies.Admin).WithName("ReplaceStatusService").WithSummary("Change a service")
            .WithDescription("Admins only. Replaces its name, description and position; the status page shows it at once. 404 when there is none, 409 when another service has the name.");
        services.MapDelete("/{id:guid}", DeleteServiceAsync).RequireAuthorization(Policies.Admin).WithName("DeleteStatusService").WithSummary("Remove a service")
            .WithDescription("Admins only. It leaves the status page at once; 404 when there is none.");
    }

    private static async Task<Results<Ok<List<IncidentDto>>, ProblemHttpResult>> ListAsync(string? state, LoopdeskDb db, CancellationToken ct)
    {
        var query = db.Incidents.AsNoTracking().Include(i => i.Updates).AsQueryable();
        switch (state)
        {
            case null or "all": break;
            case "current": query = query.Where(i => i.Status != IncidentStatus.Resolved); break;
            case "past": query = query.Where(i => i.Status == IncidentStatus.Resolved); break;
            default: return Problems.Validation("state", "state is one of: current, past, all.");
        }
        var incidents = await query.OrderByDescending(i => i.StartedAt).Take(200).AsSplitQuery().ToListAsync(ct);
        var ids = incidents.Select(i => i.Id).ToList();
        var linked = await db.IncidentTickets.Where(l => ids.Contains(l.IncidentId)).GroupBy(l => l.IncidentId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var names = await StatusQueries.ServiceNamesAsync(db, ct);
        return TypedResults.Ok(incidents.Select(i => StatusQueries.ToDto(i, names, linked.GetValueOrDefault(i.Id))).ToList());
    }

    private static async Task<Results<Created<IncidentDto>, ProblemHttpResult>> CreateAsync(IncidentRequest body, ClaimsPrincipal user, LoopdeskDb db, IncidentCommands commands, HttpContext http, CancellationToken ct)
    {
        var (incident, problem) = await commands.CreateAsync(db, body, user, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = incident!.ETag;
        return TypedResults.Created($"/api/v1/incidents/{incident.Id}", await StatusQueries.ToDtoAsync(db, incident, ct));
    }

    private static async Task<Results<Ok<IncidentDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, HttpContext http, CancellationToken ct)
    {
        var incident = await db.Incidents.AsNoTracking().Include(i => i.Updates).FirstOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null) return Problems.NotFound("incident");
        http.Response.Headers.ETag = incident.ETag;
        return TypedResults.Ok(await StatusQueries.ToDtoAsync(db, incident, ct));
    }

    private static async Task<Results<Ok<IncidentDto>, ProblemHttpResult>> UpdateAsync(Guid id, UpdateIncidentRequest body, [FromHeader(Name = "If-Match")] string? ifMatch,
        LoopdeskDb db, IncidentCommands commands, HttpContext http, CancellationToken ct)
    {
        var (incident, problem) = await commands.UpdateAsync(db, id, body, ifMatch, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = incident!.ETag;
        return TypedResults.Ok(await StatusQueries.ToDtoAsync(db, incident, ct));
    }

    private static async Task<Results<Ok<IncidentDto>, ProblemHttpResult>> PostUpdateAsync(Guid id, PostIncidentUpdateRequest body, ClaimsPrincipal user, LoopdeskDb db,
        IncidentCommands commands, HttpContext http, CancellationToken ct)
    {
        var (incident, problem) = await commands.PostUpdateAsync(db, id, body, user, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = incident!.ETag;
        return TypedResults.Ok(await StatusQueries.ToDtoAsync(db, incident, ct));
    }

    private static async Task<Results<Ok<ResolveResultDto>, ProblemHttpResult>> ResolveAsync(Guid id, ResolveIncidentRequest body, ClaimsPrincipal user, LoopdeskDb db,
        IncidentCommands commands, HttpContext http, CancellationToken ct)
    {
        var (incident, granted, problem) = await commands.ResolveAsync(db, id, body, user, ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = incident!.ETag;
        return TypedResults.Ok(new ResolveResultDto(await StatusQueries.ToDtoAsync(db, incident, ct), granted));
    }

    private static async Task<Results<Ok<List<LinkedTicketDto>>, ProblemHttpResult>> TicketsAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return Problems.NotFound("incident");
        return TypedResults.Ok(await LinkedAsync(db, id, user, ct));
    }

    public static Task<List<LinkedTicketDto>> LinkedAsync(LoopdeskDb db, Guid id, ClaimsPrincipal user, CancellationToken ct)
        => db.IncidentTickets.Where(l => l.IncidentId == id)
            .Join(Tickets.TicketQueries.VisibleTo(db.Tickets, user), l => l.TicketId, t => t.Id, (l, t) => new { l.LinkedAt, t.Reference, t.Subject, t.Status, t.CustomerId })
            .OrderBy(x => x.LinkedAt).Take(1000).Select(x => new LinkedTicketDto(x.Reference, x.Subject, x.Status, x.CustomerId, x.LinkedAt)).ToListAsync(ct);

    private static async Task<Results<Ok<List<LinkedTicketDto>>, ProblemHttpResult>> LinkAsync(Guid id, LinkTicketRequest body, ClaimsPrincipal user, LoopdeskDb db, IncidentCommands commands, CancellationToken ct)
    {
        if (await commands.LinkAsync(db, id, body.Reference, user, ct) is { } problem) return problem;
        return TypedResults.Ok(await LinkedAsync(db, id, user, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> UnlinkAsync(Guid id, string reference, ClaimsPrincipal user, LoopdeskDb db, IncidentCommands commands, CancellationToken ct)
        => await commands.UnlinkAsync(db, id, reference, user, ct) is { } problem ? problem : TypedResults.NoContent();

    private static async Task<Ok<List<ServiceStateDto>>> ServicesAsync(LoopdeskDb db, TimeProvider clock, IOptions<LoopdeskOptions> options, CancellationToken ct)
        => TypedResults.Ok((await StatusQueries.BoardAsync(db, clock.GetUtcNow(), options.Value.Status.PastDays, ct)).Services.ToList());

    private static async Task<Results<Created<ServiceStateDto>, ProblemHttpResult>> AddServiceAsync(ServiceRequest body, LoopdeskDb db, IncidentCommands commands, CancellationToken ct)
    {
        var (service, problem) = await commands.SaveServiceAsync(db, null, body, ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/status/services/{service!.Id}", new ServiceStateDto(service.Id, service.Name, service.Description, service.Position, "operational"));
    }

    private static async Task<Results<Ok<ServiceStateDto>, ProblemHttpResult>> PutServiceAsync(Guid id, ServiceRequest body, LoopdeskDb db, IncidentCommands commands, CancellationToken ct)
    {
        var (service, problem) = await commands.SaveServiceAsync(db, id, body, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(new ServiceStateDto(service!.Id, service.Name, service.Description, service.Position, "operational"));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteServiceAsync(Guid id, LoopdeskDb db, IncidentCommands commands, CancellationToken ct)
        => await commands.DeleteServiceAsync(db, id, ct) is { } problem ? problem : TypedResults.NoContent();

    /// <summary>The public Atom 1.0 feed: published incidents, current and recent, each entry its latest state and history.</summary>
    public static async Task<IResult> FeedAsync(LoopdeskDb db, TimeProvider clock, IOptions<LoopdeskOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        var site = o.PublicUrl.TrimEnd('/');
        var board = await StatusQueries.BoardAsync(db, clock.GetUtcNow(), o.Status.PastDays, ct);
        var all = board.Current.Concat(board.Past).OrderByDescending(i => i.UpdatedAt).ToList();
        var feed = new SyndicationFeed($"{o.Company.Name} status", "Incidents and their updates", new Uri($"{site}/status"), $"{site}/status/feed.atom",
            all.Count > 0 ? all.Max(i => i.UpdatedAt) : new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        feed.Links.Add(new SyndicationLink(new Uri($"{site}/status/feed.atom"), "self", null, "application/atom+xml", 0));
        feed.Authors.Add(new SyndicationPerson(null, o.Company.Name, site));
        feed.Items = all.Select(i =>
        {
            var history = string.Join("\n\n", i.Updates.Select(u => $"{u.At.UtcDateTime:yyyy-MM-dd HH:mm} UTC, {StatusQueries.StatusWords(u.Status)}: {u.Text}"));
            var item = new SyndicationItem($"[{StatusQueries.StatusWords(i.Status)}] {i.Title}", $"{i.Description}\n\n{history}", new Uri($"{site}/status/incidents/{i.Id}"),
                $"urn:uuid:{i.Id}", i.UpdatedAt)
            {
                PublishDate = i.StartedAt,
            };
            return item;
        }).ToList();
        using var buffer = new MemoryStream();
        await using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Async = true, Encoding = new System.Text.UTF8Encoding(false), Indent = true }))
        {
            new Atom10FeedFormatter(feed).WriteTo(writer);
        }
        return TypedResults.File(buffer.ToArray(), "application/atom+xml; charset=utf-8");
    }
}
