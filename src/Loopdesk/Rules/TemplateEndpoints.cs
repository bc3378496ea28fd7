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
        templates.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateTemplate").RequireAuthorization(Policies.Admin).WithSummary("Change a template")
            .WithDescription("Admins only. Changes the name, the body or both; placeholders are checked as on create (422). 404 when there is none.");
        templates.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteTemplate").RequireAuthorization(Policies.Admin).WithSummary("Delete a template")
            .WithDescription("For a built-in rule's key, the shipped words apply again.");
        templates.MapPost("/preview", PreviewAsync).WithName("PreviewTemplate").WithSummary("Render template text for a ticket")
            .WithDescription("What the text says for this ticket's customer, in their language and time zone; a macro's words before they go into a reply.");
    }

    private static async Task<Ok<List<TemplateDto>>> ListAsync(string? key, string? language, LoopdeskDb db, CancellationToken ct)
        => TypedResults.Ok(await ListTemplatesAsync(db, key, language, ct));

    /// <summary>Admins' templates and the shipped defaults they have not replaced, by key and language; optionally of one key or language.</summary>
    public static async Task<List<TemplateDto>> ListTemplatesAsync(LoopdeskDb db, string? key, string? language, CancellationToken ct)
    {
        var stored = await db.Templates.AsNoTracking().ToListAsync(ct);
        var list = stored.Select(t => new TemplateDto(t.Id, t.Key, t.Language, t.Name, t.Body, false, t.UpdatedAt, t.Version)).ToList();
        list.AddRange(DefaultTemplates.All
            .Where(d => !stored.Any(s => s.Key == d.Key.Key && s.Language == d.Key.Language))
            .Select(d => new TemplateDto(null, d.Key.Key, d.Key.Language, d.Key.Key, d.Value, true, null, null)));
        return list
            .Where(t => (key is null || t.Key == key) && (language is null || t.Language == language))
            .OrderBy(t => t.Key, StringComparer.Ordinal).ThenBy(t => t.Language, StringComparer.Ordinal).ToList();
    }

    private static async Task<Results<Created<TemplateDto>, ProblemHttpResult>> CreateAsync(CreateTemplateRequest body, LoopdeskDb db, TemplateStore store, TimeProvider clock, CancellationToken ct)
    {
        var (template, problem) = await CreateTemplateAsync(db, store, body, clock.GetUtcNow(), ct);
        return template is null ? problem! : TypedResults.Created($"/api/v1/templates/{template.Id}", template);
    }

    private static async Task<Results<Ok<TemplateDto>, ProblemHttpResult>> UpdateAsync(Guid id, UpdateTemplateRequest body, LoopdeskDb db, TemplateStore store, TimeProvider clock, CancellationToken ct)
    {
        var (template, problem) = await UpdateTemplateAsync(db, store, id, body, clock.GetUtcNow(), null, ct);
        return template is null ? problem! : TypedResults.Ok(template);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, LoopdeskDb db, TemplateStore store, CancellationToken ct)
        => await DeleteTemplateAsync(db, store, id, ct) is { } problem ? problem : TypedResults.NoContent();

    private static async Task<Results<Ok<TemplatePreview>, ProblemHttpResult>> PreviewAsync(
        PreviewTemplateRequest body, ClaimsPrincipal user, LoopdeskDb db, TemplateStore store, TimeProvider clock, CancellationToken ct)
    {
        var (preview, problem) = await PreviewTemplateAsync(db, store, body, user, clock.GetUtcNow(), ct);
        return preview is null ? problem! : TypedResults.Ok(preview);
    }

    /// <summary>Adds a template after checking its key, language and placeholders; the problem says why not.</summary>
    public static async Task<(TemplateDto? Template, ProblemHttpResult? Problem)> CreateTemplateAsync(
        LoopdeskDb db, TemplateStore store, CreateTemplateRequest body, DateTimeOffset now, CancellationToken ct)
    {
        var key = body.Key.Trim();
        if (!KeyPattern().IsMatch(key)) return (null, Problems.Validation("key", "A key is lower-case letters and digits, parts joined by dots or dashes."));
        var language = body.Language.Trim().ToLowerInvariant();
        if (!LanguagePattern().IsMatch(language)) return (null, Problems.Validation("language", "A language is a two- or three-letter code (en, nl, de…)."));
        if (string.IsNullOrWhiteSpace(body.Name)) return (null, Problems.Validation("name", "The name is empty."));
        var verdict = TemplateText.Validate(body.Body, RuleTemplates.Vocabulary);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict with { Field = "body" }));
        if (await db.Templates.AnyAsync(t => t.Key == key && t.Language == language, ct))
            return (null, Problems.Conflict("template.exists", "A template with that key and language exists; change it with PATCH.", "key"));
        var template = new MessageTemplate(key, language, body.Name, body.Body, now);
        db.Templates.Add(template);
        await db.SaveChangesAsync(ct);
        store.Invalidate();
        return (ToDto(template), null);
    }

    /// <summary>Changes a template's name or words; a stale <paramref name="ifMatch"/> (<c>"v{Version}"</c>) is refused, null does not check.</summary>
    public static async Task<(TemplateDto? Template, ProblemHttpResult? Problem)> UpdateTemplateAsync(
        LoopdeskDb db, TemplateStore store, Guid id, UpdateTemplateRequest body, DateTimeOffset now, string? ifMatch, CancellationToken ct)
    {
        var template = await db.Templates.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (template is null) return (null, Problems.NotFound("template"));
        if (ifMatch is not null && ifMatch != template.ETag) return (null, Problems.PreconditionFailed(template.ETag));
        if (body.Name is not null && string.IsNullOrWhiteSpace(body.Name)) return (null, Problems.Validation("name", "The name is empty."));
        if (body.Body is not null && TemplateText.Validate(body.Body, RuleTemplates.Vocabulary) is { IsOk: false } verdict)
            return (null, Problems.RuleViolation(verdict with { Field = "body" }));
        template.Update(body.Name, body.Body, now);
        await db.SaveChangesAsync(ct);
        store.Invalidate();
        return (ToDto(template), null);
    }

    /// <summary>Deletes a template; for a built-in rule's key the shipped words apply again.</summary>
    public static async Task<ProblemHttpResult?> DeleteTemplateAsync(LoopdeskDb db, TemplateStore store, Guid id, CancellationToken ct)
    {
        var template = await db.Templates.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (template is null) return Problems.NotFound("template");
        db.Templates.Remove(template);
        await db.SaveChangesAsync(ct);
        store.Invalidate();
        return null;
    }

    /// <summary>Template text filled in for a ticket <paramref name="user"/> may see, in its customer's language and time zone.</summary>
    public static async Task<(TemplatePreview? Preview, ProblemHttpResult? Problem)> PreviewTemplateAsync(
        LoopdeskDb db, TemplateStore store, PreviewTemplateRequest body, ClaimsPrincipal user, DateTimeOffset now, CancellationToken ct)
    {
        var verdict = TemplateText.Validate(body.Body, RuleTemplates.Vocabulary);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict with { Field = "body" }));
        var ticket = await TicketEndpoints.FindAsync(db, body.TicketRef, user, ct);
        if (ticket is null) return (null, Problems.NotFound("ticket"));
        var customer = await db.Customers.AsNoTracking().FirstAsync(c => c.Id == ticket.CustomerId, ct);
        return (new TemplatePreview(await store.RenderTextAsync(db, body.Body, ticket, customer, now, null, ct)), null);
    }

    private static TemplateDto ToDto(MessageTemplate t) => new(t.Id, t.Key, t.Language, t.Name, t.Body, false, t.UpdatedAt, t.Version);
}
