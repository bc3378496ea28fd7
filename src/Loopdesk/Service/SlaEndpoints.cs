using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Core.Common;
using Loopdesk.Core.Service;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Service;

public sealed record CalendarDto(Guid Id, string Name, string TimeZoneId, IReadOnlyList<HoursEntry> Hours, IReadOnlyList<DateOnly> Holidays, int Version);

public sealed class CalendarRequest
{
    [Required, MaxLength(CalendarRow.NameMaxLength)]
    public required string Name { get; init; }
    /// <summary>An IANA time zone: Europe/Amsterdam, America/New_York.</summary>
    [Required, MaxLength(100)]
    public required string TimeZoneId { get; init; }
    [Required, MaxLength(100)]
    public required IReadOnlyList<HoursEntry> Hours { get; init; }
    [MaxLength(1000)]
    public IReadOnlyList<DateOnly> Holidays { get; init; } = [];
}

public sealed record SlaPolicyDto(
    Guid Id, string Name, bool Enabled, int Position, Guid? CalendarId, IReadOnlyList<string> Priorities, IReadOnlyList<string> Types, Guid? OrganizationId,
    bool? Vip, long? FirstReplySeconds, long? NextReplySeconds, long? ResolutionSeconds, IReadOnlyList<string> PausedIn, long WarnBeforeSeconds, int Version);

public sealed class SlaPolicyRequest
{
    [Required, MaxLength(SlaPolicyRow.NameMaxLength)]
    public required string Name { get; init; }
    public bool Enabled { get; init; } = true;
    public int Position { get; init; } = 100;
    /// <summary>The business hours the targets count in; none: around the clock.</summary>
    public Guid? CalendarId { get; init; }
    /// <summary>Priorities covered (low, normal, high, urgent); empty: all.</summary>
    public IReadOnlyList<string> Priorities { get; init; } = [];
    /// <summary>Ticket types covered; empty: all.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];
    public Guid? OrganizationId { get; init; }
    /// <summary>true: VIP customers only; false: all but VIPs; null: anyone.</summary>
    public bool? Vip { get; init; }
    public long? FirstReplySeconds { get; init; }
    public long? NextReplySeconds { get; init; }
    public long? ResolutionSeconds { get; init; }
    /// <summary>Statuses that pause the clocks; default pending and on-hold.</summary>
    public IReadOnlyList<string>? PausedIn { get; init; }
    public long WarnBeforeSeconds { get; init; } = 3600;
}

public sealed record SlaClockDto(string Metric, long TargetSeconds, long UsedSeconds, string State, DateTimeOffset? DueAt, DateTimeOffset? BreachedAt, DateTimeOffset? StoppedAt);

public sealed record TicketSlaDto(string? Policy, IReadOnlyList<SlaClockDto> Clocks);

public static class SlaEndpoints
{
    public static void MapSla(this IEndpointRouteBuilder app)
    {
        var calendars = app.MapGroup("/calendars").WithTags("Service levels").RequireAuthorization(Policies.Agent);
        calendars.MapGet("/", ListAllCalendarsAsync).WithName("ListCalendars").WithSummary("Business-hours calendars")
            .WithDescription("Agents, supervisors and admins. Every calendar by name, with its time zone, open hours and holidays.");
        calendars.MapPost("/", CreateCalendarAsync).WithName("CreateCalendar").RequireAuthorization(Policies.Admin).WithSummary("Add a calendar")
            .WithDescription("A time zone (IANA id), open hours per weekday ({day, start, end}, several a day for split shifts, end 24:00 for midnight) and "
                + "holidays (dates). Overlapping hours or an unknown time zone are 422.");
        calendars.MapPut("/{id:guid}", ReplaceCalendarAsync).WithName("ReplaceCalendar").RequireAuthorization(Policies.Admin).WithSummary("Replace a calendar")
            .WithDescription("Admins only. The whole calendar, as on create: overlapping hours or an unknown time zone are 422. "
                + "404 when there is none, 409 when another calendar has the name.");
        calendars.MapDelete("/{id:guid}", DeleteCalendarAsync).WithName("DeleteCalendar").RequireAuthorization(Policies.Admin).WithSummary("Delete a calendar")
            .WithDescription("409 while a policy counts in it.");

        var policies = app.MapGroup("/sla-policies").WithTags("Service levels").RequireAuthorization(Policies.Agent);
        policies.MapGet("/", ListPoliciesAsync).WithName("ListSlaPolicies").WithSummary("SLA policies").WithDescription("In the order they are tried; the first that covers a ticket applies.");
        policies.MapPost("/", CreatePolicyAsync).WithName("CreateSlaPolicy").RequireAuthorization(Policies.Admin).WithSummary("Add an SLA policy")
            .WithDescription("Targets in seconds of business time (first reply, next reply, resolution), chosen by priority, type, organization or VIP. "
                + "A target of 0 or less is 422. New tickets get it; tickets whose priority or type changes move to the policy that covers them, keeping the time used.");
        policies.MapPut("/{id:guid}", ReplacePolicyAsync).WithName("ReplaceSlaPolicy").RequireAuthorization(Policies.Admin).WithSummary("Replace an SLA policy")
            .WithDescription("Admins only. The whole policy, as on create: a target of 0 or less, an unknown calendar or organization is 422. "
                + "404 when there is none, 409 when another policy has the name.");
        policies.MapDelete("/{id:guid}", DeletePolicyAsync).WithName("DeleteSlaPolicy").RequireAuthorization(Policies.Admin).WithSummary("Delete an SLA policy")
            .WithDescription("409 while tickets are measured by it; disable it (enabled: false) so new tickets are not.");

        app.MapGet("/tickets/{reference}/sla", TicketSlaAsync).WithTags("Service levels").RequireAuthorization(Policies.Staff)
            .WithName("GetTicketSla").WithSummary("A ticket's SLA clocks")
            .WithDescription("Each clock's target, business time used, state (on-track, at-risk, breached, paused, met) and due time.");
    }

    private static async Task<Ok<List<CalendarDto>>> ListAllCalendarsAsync(LoopdeskDb db, CancellationToken ct) => TypedResults.Ok(await ListCalendarsAsync(db, ct));

    private static async Task<Results<Created<CalendarDto>, ProblemHttpResult>> CreateCalendarAsync(
        CalendarRequest body, LoopdeskDb db, SlaTracker sla, TimeProvider clock, CancellationToken ct)
    {
        var (calendar, problem) = await SaveCalendarAsync(db, sla, null, body, clock.GetUtcNow(), null, ct);
        return calendar is null ? problem! : TypedResults.Created($"/api/v1/calendars/{calendar.Id}", calendar);
    }

    private static async Task<Results<Ok<CalendarDto>, ProblemHttpResult>> ReplaceCalendarAsync(
        Guid id, CalendarRequest body, LoopdeskDb db, SlaTracker sla, TimeProvider clock, CancellationToken ct)
    {
        var (calendar, problem) = await SaveCalendarAsync(db, sla, id, body, clock.GetUtcNow(), null, ct);
        return calendar is null ? problem! : TypedResults.Ok(calendar);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteCalendarAsync(Guid id, LoopdeskDb db, SlaTracker sla, CancellationToken ct)
        => await RemoveCalendarAsync(db, sla, id, ct) is { } problem ? problem : TypedResults.NoContent();

    /// <summary>The calendars by name, as the API and the settings page list them.</summary>
    public static async Task<List<CalendarDto>> ListCalendarsAsync(LoopdeskDb db, CancellationToken ct)
        => (await db.Calendars.AsNoTracking().OrderBy(c => c.Name).ToListAsync(ct)).Select(ToDto).ToList();

    /// <summary>
    /// Adds a calendar (<paramref name="id"/> null) or replaces one; with <paramref name="ifMatch"/> (<c>"v{Version}"</c>) a
    /// calendar changed since is not replaced (stale). The problem says why nothing changed.
    /// </summary>
    public static async Task<(CalendarDto? Calendar, ProblemHttpResult? Problem)> SaveCalendarAsync(
        LoopdeskDb db, SlaTracker sla, Guid? id, CalendarRequest body, DateTimeOffset now, string? ifMatch, CancellationToken ct)
    {
        CalendarRow? row = null;
        if (id is not null)
        {
            row = await db.Calendars.FirstOrDefaultAsync(c => c.Id == id, ct);
            if (row is null) return (null, Problems.NotFound("calendar"));
            if (ifMatch is not null && ifMatch != ETag(row.Version)) return (null, Problems.PreconditionFailed(ETag(row.Version)));
        }
        if (CheckName(body.Name) is { } badName) return (null, badName);
        var verdict = CalendarRow.Parse(body.TimeZoneId, body.Hours, body.Holidays, out var calendar);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        var name = body.Name.Trim();
        if (await db.Calendars.AnyAsync(c => c.Name == name && (id == null || c.Id != id), ct)) return (null, Problems.Conflict("calendar.exists", "A calendar with that name exists.", "name"));
        if (row is null)
        {
            row = new CalendarRow(body.Name, calendar!, now);
            db.Calendars.Add(row);
        }
        else
        {
            row.Set(body.Name, calendar!, now);
        }
        await db.SaveChangesAsync(ct);
        sla.Invalidate();
        return (ToDto(row), null);
    }

    /// <summary>Deletes a calendar no policy counts in; the problem says why not.</summary>
    public static async Task<ProblemHttpResult?> RemoveCalendarAsync(LoopdeskDb db, SlaTracker sla, Guid id, CancellationToken ct)
    {
        var row = await db.Calendars.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (row is null) return Problems.NotFound("calendar");
        if (await db.SlaPolicies.AnyAsync(p => p.CalendarId == id, ct)) return Problems.Conflict("calendar.in_use", "An SLA policy counts in this calendar.");
        db.Calendars.Remove(row);
        await db.SaveChangesAsync(ct);
        sla.Invalidate();
        return null;
    }

    private static async Task<Ok<List<SlaPolicyDto>>> ListPoliciesAsync(LoopdeskDb db, CancellationToken ct) => TypedResults.Ok(await ListSlaPoliciesAsync(db, ct));

    /// <summary>The SLA policies in the order they are tried.</summary>
    public static async Task<List<SlaPolicyDto>> ListSlaPoliciesAsync(LoopdeskDb db, CancellationToken ct)
        => (await db.SlaPolicies.AsNoTracking().OrderBy(p => p.Position).ThenBy(p => p.CreatedAt).ToListAsync(ct)).Select(ToDto).ToList();

    private static async Task<Results<Created<SlaPolicyDto>, ProblemHttpResult>> CreatePolicyAsync(
        SlaPolicyRequest body, LoopdeskDb db, SlaTracker sla, TimeProvider clock, CancellationToken ct)
    {
        var (policy, problem) = await SavePolicyAsync(db, sla, null, body, clock.GetUtcNow(), null, ct);
        return policy is null ? problem! : TypedResults.Created($"/api/v1/sla-policies/{policy.Id}", policy);
    }

    private static async Task<Results<Ok<SlaPolicyDto>, ProblemHttpResult>> ReplacePolicyAsync(
        Guid id, SlaPolicyRequest body, LoopdeskDb db, SlaTracker sla, TimeProvider clock, CancellationToken ct)
    {
        var (policy, problem) = await SavePolicyAsync(db, sla, id, body, clock.GetUtcNow(), null, ct);
        return policy is null ? problem! : TypedResults.Ok(policy);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeletePolicyAsync(Guid id, LoopdeskDb db, SlaTracker sla, CancellationToken ct)
        => await RemovePolicyAsync(db, sla, id, ct) is { } problem ? problem : TypedResults.NoContent();

    /// <summary>
    /// Adds an SLA policy (<paramref name="id"/> null) or replaces one; with <paramref name="ifMatch"/> (<c>"v{Version}"</c>) a
    /// policy changed since is not replaced (stale). The problem says why nothing changed.
    /// </summary>
    public static async Task<(SlaPolicyDto? Policy, ProblemHttpResult? Problem)> SavePolicyAsync(
        LoopdeskDb db, SlaTracker sla, Guid? id, SlaPolicyRequest body, DateTimeOffset now, string? ifMatch, CancellationToken ct)
    {
        SlaPolicyRow? row = null;
        if (id is not null)
        {
            row = await db.SlaPolicies.FirstOrDefaultAsync(p => p.Id == id, ct);
            if (row is null) return (null, Problems.NotFound("SLA policy"));
            if (ifMatch is not null && ifMatch != ETag(row.Version)) return (null, Problems.PreconditionFailed(ETag(row.Version)));
        }
        if (await CheckPolicyAsync(db, body, id, ct) is { } bad) return (null, bad);
        if (row is null)
        {
            row = new SlaPolicyRow(body.Name, now);
            Apply(row, body);
            db.SlaPolicies.Add(row);
        }
        else
        {
            Apply(row, body);
            row.UpdatedAt = now;
            row.Version++;
        }
        await db.SaveChangesAsync(ct);
        sla.Invalidate();
        return (ToDto(row), null);
    }

    /// <summary>Deletes a policy no ticket is measured by; the problem says why not.</summary>
    public static async Task<ProblemHttpResult?> RemovePolicyAsync(LoopdeskDb db, SlaTracker sla, Guid id, CancellationToken ct)
    {
        var row = await db.SlaPolicies.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (row is null) return Problems.NotFound("SLA policy");
        if (await db.TicketSlas.AnyAsync(s => s.PolicyId == id, ct))
            return Problems.Conflict("sla.in_use", "Tickets are measured by this policy; disable it instead, so new tickets are not.");
        db.SlaPolicies.Remove(row);
        await db.SaveChangesAsync(ct);
        sla.Invalidate();
        return null;
    }

    public static string ETag(int version) => $"\"v{version}\"";

    private static async Task<Results<Ok<TicketSlaDto>, ProblemHttpResult>> TicketSlaAsync(
        string reference, ClaimsPrincipal user, LoopdeskDb db, SlaTracker sla, TimeProvider clock, CancellationToken ct)
    {
        var parsed = TicketReference.Parse(reference);
        var id = parsed is null ? null : await db.Tickets.VisibleTo(user).Where(t => t.Reference == parsed).Select(t => (Guid?)t.Id).FirstOrDefaultAsync(ct);
        if (id is null) return Problems.NotFound("ticket");
        var (policy, clocks) = await sla.DescribeAsync(db, id.Value, clock.GetUtcNow(), ct);
        return TypedResults.Ok(new TicketSlaDto(policy, [.. clocks.Select(c => new SlaClockDto(Wire.Name(c.Clock.Metric), (long)c.Clock.Target.TotalSeconds,
            (long)c.Clock.Used.TotalSeconds, Wire.Name(c.State), c.DueAt == DateTimeOffset.MaxValue ? null : c.DueAt, c.Clock.BreachedAt, c.Clock.StoppedAt))]));
    }

    private static ProblemHttpResult? CheckName(string name)
        => string.IsNullOrWhiteSpace(name) || TextRules.FindProblem(name) is not null ? Problems.Validation("name", "Give it a plain name.") : null;

    private static async Task<ProblemHttpResult?> CheckPolicyAsync(LoopdeskDb db, SlaPolicyRequest body, Guid? self, CancellationToken ct)
    {
        if (CheckName(body.Name) is { } badName) return badName;
        foreach (var (name, seconds) in new[] { ("firstReplySeconds", body.FirstReplySeconds), ("nextReplySeconds", body.NextReplySeconds), ("resolutionSeconds", body.ResolutionSeconds) })
        {
            if (seconds is { } s && SlaClock.Validate(TimeSpan.FromSeconds(Math.Clamp(s, -1, 400L * 86_400))) is { IsOk: false } v) return Problems.RuleViolation(v with { Field = name });
        }
        if (body.FirstReplySeconds is null && body.NextReplySeconds is null && body.ResolutionSeconds is null)
            return Problems.Unprocessable("sla.no_targets", "A policy needs at least one target.", "firstReplySeconds");
        if (body.WarnBeforeSeconds is < 0 or > 31_536_000) return Problems.Unprocessable("sla.invalid_warning", "warnBeforeSeconds is 0 to 31536000.", "warnBeforeSeconds");
        foreach (var p in body.Priorities)
            if (!WireValues.TryParse<TicketPriority>(p, out _)) return Problems.Unprocessable("sla.invalid_priority", WireValues.Expected<TicketPriority>("priorities"), "priorities");
        foreach (var t in body.Types)
            if (!WireValues.TryParse<TicketType>(t, out _)) return Problems.Unprocessable("sla.invalid_type", WireValues.Expected<TicketType>("types"), "types");
        foreach (var s in body.PausedIn ?? [])
            if (!WireValues.TryParse<TicketStatus>(s, out _)) return Problems.Unprocessable("sla.invalid_status", WireValues.Expected<TicketStatus>("pausedIn"), "pausedIn");
        if (body.CalendarId is { } calendar && !await db.Calendars.AnyAsync(c => c.Id == calendar, ct))
            return Problems.Unprocessable("calendar.unknown", "No calendar with that id.", "calendarId");
        if (body.OrganizationId is { } org && !await db.Organizations.AnyAsync(o => o.Id == org, ct))
            return Problems.Unprocessable("organization.unknown", "No organization with that id.", "organizationId");
        if (await db.SlaPolicies.AnyAsync(p => p.Name == body.Name.Trim() && p.Id != self, ct)) return Problems.Conflict("sla.exists", "A policy with that name exists.", "name");
        return null;
    }

    private static void Apply(SlaPolicyRow row, SlaPolicyRequest body)
    {
        row.Name = body.Name.Trim();
        row.Enabled = body.Enabled;
        row.Position = body.Position;
        row.CalendarId = body.CalendarId;
        row.Priorities = [.. body.Priorities.Select(p => p.Trim().ToLowerInvariant())];
        row.Types = [.. body.Types.Select(p => p.Trim().ToLowerInvariant())];
        row.OrganizationId = body.OrganizationId;
        row.Vip = body.Vip;
        row.FirstReplySeconds = body.FirstReplySeconds;
        row.NextReplySeconds = body.NextReplySeconds;
        row.ResolutionSeconds = body.ResolutionSeconds;
        row.PausedIn = body.PausedIn is null ? ["pending", "on-hold"] : [.. body.PausedIn.Select(p => p.Trim().ToLowerInvariant())];
        row.WarnBeforeSeconds = body.WarnBeforeSeconds;
    }

    private static CalendarDto ToDto(CalendarRow c) => new(c.Id, c.Name, c.TimeZoneId, c.Hours, c.Holidays, c.Version);

    private static SlaPolicyDto ToDto(SlaPolicyRow p) => new(p.Id, p.Name, p.Enabled, p.Position, p.CalendarId, p.Priorities, p.Types, p.OrganizationId, p.Vip,
        p.FirstReplySeconds, p.NextReplySeconds, p.ResolutionSeconds, p.PausedIn, p.WarnBeforeSeconds, p.Version);
}
