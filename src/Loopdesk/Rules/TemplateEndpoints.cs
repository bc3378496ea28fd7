using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Loopdesk.Core.Templates;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>A template as the API shows it. A shipped default not replaced by an admin has no id.</summary>
public sealed record TemplateDto(Guid? Id, string Key, string Language, string Name, string Body, bool Shipped, DateTimeOffset? UpdatedAt, int? Version);

public sealed class CreateTemplateRequest
{
    /// <summary>A built-in rule's template key (close-the-loop.acknowledgement…) to replace its words, or a key of your own for a macro.</summary>
    [Required, MaxLength(MessageTemplate.KeyMaxLength)]
    public required string Key { get; init; }
    [Required, MaxLength(8)]
    public required string Language { get; init; }
    [Required, MaxLength(MessageTemplate.NameMaxLength)]
    public required string Name { get; init; }
    [Required, MaxLength(MessageTemplate.BodyMaxLength)]
    public required string Body { get; init; }
}

public sealed class UpdateTemplateRequest
{
    [MaxLength(MessageTemplate.NameMaxLength)]
    public string? Name { get; init; }
    [MaxLength(MessageTemplate.BodyMaxLength)]
    public string? Body { get; init; }
}

public sealed class PreviewTemplateRequest
{
    [Required, MaxLength(MessageTemplate.BodyMaxLength)]
    public required string Body { get; init; }
    [Required, MaxLength(32)]
    public required string TicketRef { get; init; }
}

public sealed record TemplatePreview(string Text);

public static partial class TemplateEndpoints
{
    [GeneratedRegex("^[a-z0-9]+([.-][a-z0-9]+)*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("^[a-z]{2,3}$")]
    private static partial Regex LanguagePattern();

    public static void MapTemplates(this IEndpointRouteBuilder app)
    {
        var templates = app.MapGroup("/templates").WithTags("Templates").RequireAuthorization(Policies.Agent);
        templates.MapGet("/", ListAsync).WithName("ListTemplates").WithSummary("Templates and macros")
            .WithDescription("Admins' templates and the shipped defaults they have not replaced (`shipped: true`, no id). Filter by `key` and `language`.");
        templates.MapPost("/", CreateAsync).WithName("CreateTemplate").RequireAuthorization(Policies.Admin).WithSummary("Add a template")
            .WithDescription("Placeholders like {{ customer.first_name }} and {{ sla.first_reply_due | humanize }} are checked now: an unknown placeholder, filter "
                + "or tag is 422. Only text, placeholders and if/unless are allowed: templates never run code. Same key and language twice is 409.");
        templates.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateTemplate").RequireAuthorization(Policies.Admin).WithSummary("Change a template");
        templates.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteTemplate").RequireAuthorization(Policies.Admin).WithSummary("Delete a template")
            .WithDescription("For a built-in rule's key, the shipped words apply again.");
        templates.MapPost("/preview", PreviewAsync).WithName("PreviewTemplate").WithSummary("Render template text for a ticket")
            .WithDescription("What the text says for this ticket's customer, in their language and time zone; a macro's words before they go into a reply.");
    }

    private static async Task<Ok<List<TemplateDto>>> ListAsync(string? key, string? language, LoopdeskDb db, CancellationToken ct)
    {
        var stored = await db.Templates.AsNoTracking().ToListAsync(ct);
        var list = stored.Select(t => new TemplateDto(t.Id, t.Key, t.Language, t.Name, t.Body, false, t.UpdatedAt, t.Version)).ToList();
        list.AddRange(DefaultTemplates.All
            .Where(d => !stored.Any(s => s.Key == d.Key.Key && s.Language == d.Key.Language))
            .Select(d => new TemplateDto(null, d.Key.Key, d.Key.Language, d.Key.Key, d.Value, true, null, null)));
        return TypedResults.Ok(list
            .Where(t => (key is null || t.Key == key) && (language is null || t.Language == language))
            .OrderBy(t => t.Key, StringComparer.Ordinal).ThenBy(t => t.Language, StringComparer.Ordinal).ToList());
    }

    private static async Task<Results<Created<TemplateDto>, ProblemHttpResult>> CreateAsync(CreateTemplateRequest body, LoopdeskDb db, TemplateStore store, TimeProvider clock, CancellationToken ct)
    {
        var key = body.Key.Trim();
        if (!KeyPattern().IsMatch(key)) return Problems.Validation("key", "A key is lower-case letters and digits, parts joined by dots or dashes.");
        var language = body.Language.Trim().ToLowerInvariant();
        if (!LanguagePattern().IsMatch(language)) return Problems.Validation("language", "A language is a two- or three-letter code (en, nl, de…).");
        if (string.IsNullOrWhiteSpace(body.Name)) return Problems.Validation("name", "The name is empty.");
        var verdict = TemplateText.Validate(body.Body, RuleTemplates.Vocabulary);
        if (!verdict.IsOk) return Problems.RuleViolation(verdict with { Field = "body" });
        if (await db.Templates.AnyAsync(t => t.Key == key && t.Language == language, ct))
            return Problems.Conflict("template.exists", "A template with that key and language exists; change it with PATCH.", "key");
        var template = new MessageTemplate(key, language, body.Name, body.Body, clock.GetUtcNow());
        db.Templates.Add(template);
        await db.SaveChangesAsync(ct);
        store.Invalidate();
        return TypedResults.Created($"/api/v1/templates/{template.Id}", ToDto(template));
    }

    private static async Task<Results<Ok<TemplateDto>, ProblemHttpResult>> UpdateAsync(Guid id, UpdateTemplateRequest body, LoopdeskDb db, TemplateStore store, TimeProvider clock, CancellationToken ct)
    {
        var template = await db.Templates.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (template is null) return Problems.NotFound("template");
        if (body.Name is not null && string.IsNullOrWhiteSpace(body.Name)) return Problems.Validation("name", "The name is empty.");
        if (body.Body is not null && TemplateText.Validate(body.Body, RuleTemplates.Vocabulary) is { IsOk: false } verdict)
            return Problems.RuleViolation(verdict with { Field = "body" });
        template.Update(body.Name, body.Body, clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        store.Invalidate();
        return TypedResults.Ok(ToDto(template));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, LoopdeskDb db, TemplateStore store, CancellationToken ct)
    {
        var template = await db.Templates.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (template is null) return Problems.NotFound("template");
        db.Templates.Remove(template);
        await db.SaveChangesAsync(ct);
        store.Invalidate();
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<TemplatePreview>, ProblemHttpResult>> PreviewAsync(
        PreviewTemplateRequest body, ClaimsPrincipal user, LoopdeskDb db, TemplateStore store, TimeProvider clock, CancellationToken ct)
    {
        var verdict = TemplateText.Validate(body.Body, RuleTemplates.Vocabulary);
        if (!verdict.IsOk) return Problems.RuleViolation(verdict with { Field = "body" });
        var ticket = await TicketEndpoints.FindAsync(db, body.TicketRef, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var customer = await db.Customers.AsNoTracking().FirstAsync(c => c.Id == ticket.CustomerId, ct);
        return TypedResults.Ok(new TemplatePreview(await store.RenderTextAsync(db, body.Body, ticket, customer, clock.GetUtcNow(), null, ct)));
    }

    private static TemplateDto ToDto(MessageTemplate t) => new(t.Id, t.Key, t.Language, t.Name, t.Body, false, t.UpdatedAt, t.Version);
}
