using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Agents;

public sealed record AgentDto(
    Guid Id, string Name, string Email, AgentRole Role, AgentTier Tier, IReadOnlyList<string> Skills, IReadOnlyList<Guid> TeamIds,
    bool Active, int ChatCapacity, DateTimeOffset CreatedAt, int Version, int TicketCapacity = 25, Presence Presence = Presence.Offline, Guid? CalendarId = null);

public sealed record TokenDto(Guid Id, Guid AgentId, string Name, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>A token as made: the secret is in this answer and nowhere else, ever.</summary>
public sealed record CreatedTokenDto(Guid Id, Guid AgentId, string Name, string Token, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public sealed class CreateAgentRequest : IValidatableObject
{
    [Required, MaxLength(Agent.NameMaxLength)]
    public required string Name { get; init; }
    [Required, MaxLength(254)]
    public required string Email { get; init; }
    public AgentRole Role { get; init; } = AgentRole.Agent;
    public AgentTier Tier { get; init; } = AgentTier.Tier1;
    public IReadOnlyList<string>? Skills { get; init; }
    public IReadOnlyList<Guid>? TeamIds { get; init; }
    /// <summary>Optional: without one, the agent signs in only after a password is set.</summary>
    [MaxLength(200)]
    public string? Password { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return new ValidationResult("The name is empty.", ["name"]);
        else if (TextRules.FindProblem(Name) is { } p) yield return new ValidationResult($"The name {p}.", ["name"]);
        if (Core.Customers.EmailAddress.Normalize(Email, out var problem) is null) yield return new ValidationResult($"The email {problem}.", ["email"]);
        if (Skills is { Count: > 50 }) yield return new ValidationResult("At most 50 skills.", ["skills"]);
        if (Skills?.Any(skill => skill is null) == true) yield return new ValidationResult("A skill is null.", ["skills"]);
    }
}

public sealed class UpdateAgentRequest : IValidatableObject
{
    [MaxLength(Agent.NameMaxLength)]
    public string? Name { get; init; }
    public AgentRole? Role { get; init; }
    public AgentTier? Tier { get; init; }
    public IReadOnlyList<string>? Skills { get; init; }
    public IReadOnlyList<Guid>? TeamIds { get; init; }
    public bool? Active { get; init; }
    [Range(0, 50)]
    public int? ChatCapacity { get; init; }
    /// <summary>Unresolved tickets routing gives this person at most.</summary>
    [Range(0, 1000)]
    public int? TicketCapacity { get; init; }
    public Presence? Presence { get; init; }
    /// <summary>The calendar of this person's working hours; null clears it.</summary>
    public Optional<Guid?> CalendarId { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Name is not null && (string.IsNullOrWhiteSpace(Name) || TextRules.FindProblem(Name) is not null))
            yield return new ValidationResult("The name is empty or holds invisible or look-alike characters.", ["name"]);
        if (Skills is { Count: > 50 }) yield return new ValidationResult("At most 50 skills.", ["skills"]);
        if (Skills?.Any(skill => skill is null) == true) yield return new ValidationResult("A skill is null.", ["skills"]);
    }
}

public sealed class PresenceRequest
{
    public required Presence Presence { get; init; }
}

public sealed class CreateTokenRequest
{
    [Required, MaxLength(100)]
    public required string Name { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
}

public static class AgentEndpoints
{
    public static RouteGroupBuilder MapAgents(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/agents").WithTags("Agents").RequireAuthorization(Policies.Agent);
        agents.MapGet("/", ListAsync).WithName("ListAgents").WithSummary("List staff")
            .WithDescription("Agents, supervisors and admins. Every staff member, inactive ones included, by name.");
        agents.MapGet("/{id:guid}", GetAsync).WithName("GetAgent").WithSummary("Get a staff member")
            .WithDescription("Agents, supervisors and admins. 404 when there is no staff member with that id.");
        agents.MapPost("/", CreateAsync).WithName("CreateAgent").RequireAuthorization(Policies.Admin)
            .WithSummary("Add a staff member").WithDescription("Admins only. 409 when the email is taken.");
        agents.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateAgent").RequireAuthorization(Policies.Admin)
            .WithSummary("Change a staff member").WithDescription("Admins only: role, tier, skills, teams, active. Takes effect on the next request.");

        app.MapPut("/me/presence", PresenceAsync).WithTags("Agents").RequireAuthorization(Policies.Staff).WithName("SetMyPresence")
            .WithSummary("Go online, away or offline").WithDescription("Routing gives new tickets only to agents who are online (and within their calendar's hours, if they have one).");

        var tokens = app.MapGroup("").WithTags("API tokens").RequireAuthorization(Policies.Staff);
        tokens.MapGet("/agents/{id:guid}/tokens", ListTokensAsync).WithName("ListTokens")
            .WithSummary("List a staff member's API tokens").WithDescription("Your own, or anyone's for admins. Secrets are never shown again.");
        tokens.MapPost("/agents/{id:guid}/tokens", CreateTokenAsync).WithName("CreateToken")
            .WithSummary("Make an API token").WithDescription("For yourself, or anyone for admins. The answer holds the secret, once.");
        tokens.MapDelete("/tokens/{id:guid}", RevokeTokenAsync).WithName("RevokeToken")
            .WithSummary("Revoke an API token").WithDescription("Your own, or anyone's for admins. It stops working at once.");
        return agents;
    }

    private static async Task<Ok<List<AgentDto>>> ListAsync(LoopdeskDb db, CancellationToken ct)
    {
        var agents = await db.Agents.AsNoTracking().OrderBy(a => a.Name).Take(5000).ToListAsync(ct);
        return TypedResults.Ok(agents.Select(ToDto).ToList());
    }

    private static async Task<Results<Ok<AgentDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, CancellationToken ct)
    {
        var agent = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        return agent is null ? Problems.NotFound("agent") : TypedResults.Ok(ToDto(agent));
    }

    private static async Task<Results<Created<AgentDto>, ProblemHttpResult>> CreateAsync(CreateAgentRequest body, LoopdeskDb db, AgentAccounts accounts, StaffCache staffCache, CancellationToken ct)
    {
        var (agent, problem) = await CreateAgentAsync(db, accounts, staffCache, body, ct);
        return agent is null ? problem! : TypedResults.Created($"/api/v1/agents/{agent.Id}", agent);
    }

    private static async Task<Results<Ok<AgentDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateAgentRequest body, ClaimsPrincipal user, LoopdeskDb db, StaffCache staffCache, CancellationToken ct)
    {
        var (agent, problem) = await UpdateAgentAsync(db, staffCache, id, body, user.AgentId(), null, ct);
        return agent is null ? problem! : TypedResults.Ok(agent);
    }

    /// <summary>Adds a staff member (the request already validated), with a password when one is given; the problem says why not.</summary>
    public static async Task<(AgentDto? Agent, ProblemHttpResult? Problem)> CreateAgentAsync(
        LoopdeskDb db, AgentAccounts accounts, StaffCache staffCache, CreateAgentRequest body, CancellationToken ct)
    {
        if (await UnknownTeamAsync(db, body.TeamIds, ct) is { } unknown) return (null, unknown);
        var (agent, verdict) = await accounts.CreateAsync(body.Name, body.Email, body.Role, body.Password, ct);
        if (agent is null)
        {
            return (null, verdict.Code == "agent.email_taken" ? Problems.Conflict(verdict.Code, verdict.Message!, verdict.Field) : Problems.Validation(verdict.Field ?? "email", verdict.Message!));
        }
        agent.Update(new AgentChange { Tier = body.Tier, Skills = body.Skills, TeamIds = body.TeamIds });
        await db.SaveChangesAsync(ct);
        staffCache.ForgetAgent(agent.Id);
        return (ToDto(agent), null);
    }

    /// <summary>
    /// Changes a staff member (the request already validated) on behalf of <paramref name="actingAgentId"/>, who may not demote
    /// or deactivate themselves; with <paramref name="ifMatch"/> (<c>"v{Version}"</c>) a change to someone changed since is refused (stale).
    /// </summary>
    public static async Task<(AgentDto? Agent, ProblemHttpResult? Problem)> UpdateAgentAsync(
        LoopdeskDb db, StaffCache staffCache, Guid id, UpdateAgentRequest body, Guid actingAgentId, string? ifMatch, CancellationToken ct)
    {
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (agent is null) return (null, Problems.NotFound("agent"));
        if (ifMatch is not null && ifMatch != ETag(agent)) return (null, Problems.PreconditionFailed(ETag(agent)));
        if (await UnknownTeamAsync(db, body.TeamIds, ct) is { } unknown) return (null, unknown);
        if (body.CalendarId is { HasValue: true, Value: { } calendar } && !await db.Calendars.AnyAsync(c => c.Id == calendar, ct))
            return (null, Problems.Unprocessable("calendar.unknown", "No calendar with that id.", "calendarId"));
        if (id == actingAgentId && ((body.Role is { } role && role != AgentRole.Admin) || body.Active == false))
            return (null, Problems.Unprocessable("agent.self_demotion", "You cannot remove your own admin role or deactivate yourself; ask another admin.", body.Role is null ? "active" : "role"));
        agent.Update(new AgentChange
        {
            Name = body.Name, Role = body.Role, Tier = body.Tier, Skills = body.Skills, TeamIds = body.TeamIds, Active = body.Active, ChatCapacity = body.ChatCapacity,
            TicketCapacity = body.TicketCapacity, Presence = body.Presence, CalendarId = body.CalendarId,
        });
        await db.SaveChangesAsync(ct);
        // a role or activity change must reach the agent's next request, by token or by cookie, not when the cache expires
        foreach (var hash in await db.ApiTokens.Where(t => t.AgentId == id).Select(t => t.Hash).ToListAsync(ct)) staffCache.Forget(hash);
        staffCache.ForgetAgent(id);
        return (ToDto(agent), null);
    }

    public static string ETag(Agent a) => $"\"v{a.Version}\"";

    private static async Task<Results<Ok<List<TokenDto>>, ProblemHttpResult>> ListTokensAsync(Guid id, ClaimsPrincipal user, AgentAccounts accounts, CancellationToken ct)
    {
        if (id != user.AgentId() && !user.IsAtLeast(AgentRole.Admin)) return Problems.Forbidden("Only admins see other people's tokens.");
        return TypedResults.Ok(await accounts.TokensAsync(id, ct));
    }

    private static async Task<Results<Created<CreatedTokenDto>, ProblemHttpResult>> CreateTokenAsync(
        Guid id, CreateTokenRequest body, ClaimsPrincipal user, LoopdeskDb db, AgentAccounts accounts, TimeProvider clock, CancellationToken ct)
    {
        if (id != user.AgentId() && !user.IsAtLeast(AgentRole.Admin)) return Problems.Forbidden("Only admins make tokens for other people.");
        if (!await db.Agents.AnyAsync(a => a.Id == id && a.Active, ct)) return Problems.NotFound("agent");
        if (body.ExpiresAt is { } expires && expires <= clock.GetUtcNow()) return Problems.Validation("expiresAt", "expiresAt is in the past.");
        var (token, secret) = await accounts.CreateTokenAsync(id, body.Name, body.ExpiresAt, null, ct);
        return TypedResults.Created($"/api/v1/agents/{id}/tokens", new CreatedTokenDto(token.Id, id, token.Name, secret, token.CreatedAt, token.ExpiresAt));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeTokenAsync(Guid id, ClaimsPrincipal user, AgentAccounts accounts, CancellationToken ct)
        => await accounts.RevokeTokenAsync(id, user, ct) ? TypedResults.NoContent() : Problems.NotFound("token");

    private static async Task<ProblemHttpResult?> UnknownTeamAsync(LoopdeskDb db, IReadOnlyList<Guid>? teamIds, CancellationToken ct)
    {
        if (teamIds is null || teamIds.Count == 0) return null;
        var ids = teamIds.Distinct().ToList();
        var known = await db.Teams.CountAsync(t => ids.Contains(t.Id), ct);
        return known == ids.Count ? null : Problems.Unprocessable("team.unknown", "One of teamIds is not a team.", "teamIds");
    }

    internal static AgentDto ToDto(Agent a) => new(a.Id, a.Name, a.Email, a.Role, a.Tier, a.Skills, a.TeamIds, a.Active, a.ChatCapacity, a.CreatedAt, a.Version,
        a.TicketCapacity, a.Presence, a.CalendarId);

    private static async Task<Results<Ok<AgentDto>, ProblemHttpResult>> PresenceAsync(PresenceRequest body, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Id == user.AgentId(), ct);
        if (agent is null) return Problems.NotFound("agent");
        agent.Update(new AgentChange { Presence = body.Presence });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToDto(agent));
    }
}
