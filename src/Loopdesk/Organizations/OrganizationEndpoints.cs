using System.ComponentModel.DataAnnotations;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Organizations;

public sealed record OrganizationDto(Guid Id, string Name, string? Domain, string? Notes, DateTimeOffset CreatedAt);

public sealed class OrganizationRequest : IValidatableObject
{
    [Required, MaxLength(200)]
    public required string Name { get; init; }

    /// <summary>The email domain of its people (example.com): new customers from it join the organization.</summary>
    [MaxLength(253)]
    public string? Domain { get; init; }

    [MaxLength(10_000)]
    public string? Notes { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return new ValidationResult("The name is empty.", ["name"]);
        else if (TextRules.FindProblem(Name) is { } p) yield return new ValidationResult($"The name {p}.", ["name"]);
        if (Domain is not null && EmailAddress.Normalize("x@" + Domain, out _) is null)
            yield return new ValidationResult("The domain is not a domain name (example.com).", ["domain"]);
    }
}

public static class OrganizationEndpoints
{
    public static RouteGroupBuilder MapOrganizations(this IEndpointRouteBuilder app)
    {
        var organizations = app.MapGroup("/organizations").WithTags("Organizations").RequireAuthorization(Policies.Agent);
        organizations.MapGet("/", ListAsync).WithName("ListOrganizations").WithSummary("List organizations")
            .WithDescription("Agents, supervisors and admins. By name, the first 1,000.");
        organizations.MapGet("/{id:guid}", GetAsync).WithName("GetOrganization").WithSummary("Get an organization")
            .WithDescription("Agents, supervisors and admins. 404 when there is none.");
        organizations.MapPost("/", CreateAsync).WithName("CreateOrganization").WithSummary("Create an organization")
            .WithDescription("409 when the name is taken.");
        organizations.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateOrganization").WithSummary("Change an organization")
            .WithDescription("Agents, supervisors and admins. Replaces the name, domain and notes: a domain or notes left out are cleared. 404 when there is none, 409 when another organization has the name.");
        return organizations;
    }

    private static async Task<Ok<List<OrganizationDto>>> ListAsync(LoopdeskDb db, CancellationToken ct)
        => TypedResults.Ok(await db.Organizations.AsNoTracking().OrderBy(o => o.Name)
            .Select(o => new OrganizationDto(o.Id, o.Name, o.Domain, o.Notes, o.CreatedAt)).Take(1000).ToListAsync(ct));

    private static async Task<Results<Ok<OrganizationDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, CancellationToken ct)
    {
        var o = await db.Organizations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, ct);
        return o is null ? Problems.NotFound("organization") : TypedResults.Ok(new OrganizationDto(o.Id, o.Name, o.Domain, o.Notes, o.CreatedAt));
    }

    private static async Task<Results<Created<OrganizationDto>, ProblemHttpResult>> CreateAsync(OrganizationRequest body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        if (await db.Organizations.AnyAsync(o => o.Name == body.Name.Trim(), ct)) return Problems.Conflict("organization.name_taken", "An organization with this name exists.", "name");
        var o = new Organization(body.Name, body.Domain, clock.GetUtcNow());
        o.Rename(body.Name, body.Domain, body.Notes);
        db.Organizations.Add(o);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/organizations/{o.Id}", new OrganizationDto(o.Id, o.Name, o.Domain, o.Notes, o.CreatedAt));
    }

    private static async Task<Results<Ok<OrganizationDto>, ProblemHttpResult>> UpdateAsync(Guid id, OrganizationRequest body, LoopdeskDb db, CancellationToken ct)
    {
        var o = await db.Organizations.FirstOrDefaultAsync(o => o.Id == id, ct);
        if (o is null) return Problems.NotFound("organization");
        if (await db.Organizations.AnyAsync(x => x.Id != id && x.Name == body.Name.Trim(), ct)) return Problems.Conflict("organization.name_taken", "An organization with this name exists.", "name");
        o.Rename(body.Name, body.Domain, body.Notes);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new OrganizationDto(o.Id, o.Name, o.Domain, o.Notes, o.CreatedAt));
    }
}
