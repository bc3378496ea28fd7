using System.ComponentModel.DataAnnotations;
using Loopdesk.Core.Common;
using Loopdesk.Core.Teams;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Teams;

public sealed record TeamDto(Guid Id, string Name, string? Description, Guid? LeadId, IReadOnlyList<Guid> MemberIds, DateTimeOffset CreatedAt, int Version,
    RoutingMode Routing = RoutingMode.LeastLoaded);

public sealed class CreateTeamRequest : IValidatableObject
{
    [Required, MaxLength(Team.NameMaxLength)]
    public required string Name { get; init; }
    [MaxLength(2000)]
    public string? Description { get; init; }
    /// <summary>The team lead, alerted when a promise of the team is overdue.</summary>
    public Guid? LeadId { get; init; }
    /// <summary>How new tickets find an owner: manual, round-robin or least-loaded (default).</summary>
    public RoutingMode Routing { get; init; } = RoutingMode.LeastLoaded;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return new ValidationResult("The name is empty.", ["name"]);
        else if (TextRules.FindProblem(Name) is { } p) yield return new ValidationResult($"The name {p}.", ["name"]);
    }
}

public sealed class UpdateTeamRequest : IValidatableObject
{
    [MaxLength(Team.NameMaxLength)]
    public string? Name { get; init; }
    [MaxLength(2000)]
    public string? Description { get; init; }
    public Optional<Guid?> LeadId { get; init; }
    public RoutingMode? Routing { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Name is not null && string.IsNullOrWhiteSpace(Name)) yield return new ValidationResult("The name is empty.", ["name"]);
        else if (Name is not null && TextRules.FindProblem(Name) is { } p) yield return new ValidationResult($"The name {p}.", ["name"]);
    }
}

public static class TeamEndpoints
{
    public static RouteGroupBuilder MapTeams(this IEndpointRouteBuilder app)
    {
        var teams = app.MapGroup("/teams").WithTags("Teams").RequireAuthorization(Policies.Staff);
        teams.MapGet("/", ListAsync).WithName("ListTeams").WithSummary("List teams").WithDescription("With their members (agents whose teamIds include the team).");
        teams.MapGet("/{id:guid}", GetAsync).WithName("GetTeam").WithSummary("Get a team")
            .WithDescription("Any staff member, collaborators included. With its active members; 404 when there is none.");
        teams.MapPost("/", CreateAsync).WithName("CreateTeam").RequireAuthorization(Policies.Admin).WithSummary("Create a team")
            .WithDescription("Admins only. 409 when the name is taken. Members join through PATCH /agents/{id} teamIds.");
        teams.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateTeam").RequireAuthorization(Policies.Admin).WithSummary("Change a team")
            .WithDescription("Admins only. Partial change of name, description, lead and routing; 404 when there is none, 409 when another team has the name, 422 for an unknown lead.");
        return teams;
    }

    private static async Task<Ok<List<TeamDto>>> ListAsync(LoopdeskDb db, CancellationToken ct) => TypedResults.Ok(await ListTeamsAsync(db, ct));

    private static async Task<Results<Ok<TeamDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, CancellationToken ct)
    {
        var team = await db.Teams.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null) return Problems.NotFound("team");
        return TypedResults.Ok(ToDto(team, await MembersAsync(db, id, ct)));
    }

    private static async Task<Results<Created<TeamDto>, ProblemHttpResult>> CreateAsync(CreateTeamRequest body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var (team, problem) = await CreateTeamAsync(db, body, clock.GetUtcNow(), ct);
        return team is null ? problem! : TypedResults.Created($"/api/v1/teams/{team.Id}", team);
    }

    private static async Task<Results<Ok<TeamDto>, ProblemHttpResult>> UpdateAsync(Guid id, UpdateTeamRequest body, LoopdeskDb db, CancellationToken ct)
    {
        var (team, problem) = await UpdateTeamAsync(db, id, body, null, ct);
        return team is null ? problem! : TypedResults.Ok(team);
    }

    /// <summary>The teams with their active members, by name: the list the API and the settings page show.</summary>
    public static async Task<List<TeamDto>> ListTeamsAsync(LoopdeskDb db, CancellationToken ct)
    {
        var teams = await db.Teams.AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
        var agents = await db.Agents.AsNoTracking().Where(a => a.Active).Select(a => new { a.Id, a.TeamIds }).ToListAsync(ct);
        return teams.Select(t => ToDto(t, agents.Where(a => a.TeamIds.Contains(t.Id)).Select(a => a.Id).ToList())).ToList();
    }

    /// <summary>Creates a team (the request already validated); the problem says why not.</summary>
    public static async Task<(TeamDto? Team, ProblemHttpResult? Problem)> CreateTeamAsync(LoopdeskDb db, CreateTeamRequest body, DateTimeOffset now, CancellationToken ct)
    {
        var name = body.Name.Trim();
        if (await db.Teams.AnyAsync(t => t.Name == name, ct)) return (null, Problems.Conflict("team.name_taken", "A team with this name exists.", "name"));
        if (body.LeadId is { } leadId && !await db.Agents.AnyAsync(a => a.Id == leadId, ct)) return (null, Problems.Unprocessable("agent.unknown", "No agent with that id.", "leadId"));
        var team = new Team(name, body.Description, now);
        if (body.LeadId is not null) team.Update(null, null, body.LeadId, false);
        if (body.Routing != team.Routing) team.Route(body.Routing);
        db.Teams.Add(team);
        await db.SaveChangesAsync(ct);
        return (ToDto(team, []), null);
    }

    /// <summary>
    /// Changes a team (the request already validated); with <paramref name="ifMatch"/> (<c>"v{Version}"</c>) a change to a team
    /// changed since is refused (stale). The problem says why nothing changed.
    /// </summary>
    public static async Task<(TeamDto? Team, ProblemHttpResult? Problem)> UpdateTeamAsync(LoopdeskDb db, Guid id, UpdateTeamRequest body, string? ifMatch, CancellationToken ct)
    {
        var team = await db.Teams.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (team is null) return (null, Problems.NotFound("team"));
        if (ifMatch is not null && ifMatch != ETag(team)) return (null, Problems.PreconditionFailed(ETag(team)));
        var name = body.Name?.Trim();
        if (name is not null && await db.Teams.AnyAsync(t => t.Id != id && t.Name == name, ct)) return (null, Problems.Conflict("team.name_taken", "A team with this name exists.", "name"));
        if (body.LeadId is { HasValue: true, Value: { } leadId } && !await db.Agents.AnyAsync(a => a.Id == leadId, ct))
            return (null, Problems.Unprocessable("agent.unknown", "No agent with that id.", "leadId"));
        team.Update(name, body.Description, body.LeadId.Value, body.LeadId is { HasValue: true, Value: null });
        if (body.Routing is { } routing) team.Route(routing);
        await db.SaveChangesAsync(ct);
        return (ToDto(team, await MembersAsync(db, id, ct)), null);
    }

    public static string ETag(Team t) => $"\"v{t.Version}\"";

    private static Task<List<Guid>> MembersAsync(LoopdeskDb db, Guid teamId, CancellationToken ct)
        => db.Agents.AsNoTracking().Where(a => a.Active && a.TeamIds.Contains(teamId)).Select(a => a.Id).ToListAsync(ct);

    private static TeamDto ToDto(Team t, IReadOnlyList<Guid> members) => new(t.Id, t.Name, t.Description, t.LeadId, members, t.CreatedAt, t.Version, t.Routing);
}
