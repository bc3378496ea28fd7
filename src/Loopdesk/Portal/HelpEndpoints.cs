using System.ComponentModel.DataAnnotations;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal;

public sealed record HelpCategoryDto(Guid Id, string Slug, string Name, string? Description, int Position, int Articles);

public sealed record HelpArticleDto(
    Guid Id, string Slug, Guid CategoryId, string Title, string? Summary, string Body, string? NoviceBody, string? ExpertBody,
    bool Published, int HelpfulCount, int NotHelpfulCount, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version);

public sealed record HelpSearchHit(string Slug, string Title, string? Summary, string Url);

public sealed class HelpCategoryRequest
{
    [Required, MaxLength(HelpCategory.NameMaxLength)]
    public required string Name { get; init; }

    /// <summary>The category's address under /help/c/; made from the name when not given. Lower-case letters, digits and dashes.</summary>
    [MaxLength(HelpCategory.SlugMaxLength), RegularExpression("^[a-z0-9]+(-[a-z0-9]+)*$", ErrorMessage = "A slug is lower-case letters, digits and single dashes.")]
    public string? Slug { get; init; }

    [MaxLength(HelpCategory.DescriptionMaxLength)]
    public string? Description { get; init; }

    public int Position { get; init; }
}

public sealed class HelpArticleRequest
{
    [Required]
    public required Guid CategoryId { get; init; }

    [Required, MaxLength(HelpArticle.TitleMaxLength)]
    public required string Title { get; init; }

    /// <summary>The article's address under /help/a/; made from the title when not given.</summary>
    [MaxLength(HelpArticle.SlugMaxLength), RegularExpression("^[a-z0-9]+(-[a-z0-9]+)*$", ErrorMessage = "A slug is lower-case letters, digits and single dashes.")]
    public string? Slug { get; init; }

    [MaxLength(HelpArticle.SummaryMaxLength)]
    public string? Summary { get; init; }

    /// <summary>Markdown for the intermediate reader (the default variant).</summary>
    [Required, MaxLength(HelpArticle.BodyMaxLength)]
    public required string Body { get; init; }

    /// <summary>Markdown for novices; the intermediate text is shown when empty.</summary>
    [MaxLength(HelpArticle.BodyMaxLength)]
    public string? NoviceBody { get; init; }

    /// <summary>Markdown for experts; the intermediate text is shown when empty.</summary>
    [MaxLength(HelpArticle.BodyMaxLength)]
    public string? ExpertBody { get; init; }

    public bool Published { get; init; } = true;
}

/// <summary>The help center's API: staff read, supervisors and admins write; the search answers anyone (the request form's suggestions).</summary>
public static class HelpEndpoints
{
    public static void MapHelp(this IEndpointRouteBuilder app)
    {
        var help = app.MapGroup("/help").WithTags("Help center");
        help.MapGet("/search", SearchAsync).AllowAnonymous().WithName("SearchHelp").WithSummary("Search the help center")
            .WithDescription("Published articles matching every word (as a prefix), else any word of four letters or more, best first, at most `limit` (1 to 10, default 5). Anyone may call it: "
                + "the request form suggests articles from it as the customer types. A query with no words answers an empty list.");

        var categories = help.MapGroup("/categories").RequireAuthorization(Policies.Staff);
        categories.MapGet("/", ListCategoriesAsync).WithName("ListHelpCategories").WithSummary("Help categories").WithDescription("In their display order, with how many articles each holds.");
        categories.MapPost("/", CreateCategoryAsync).WithName("CreateHelpCategory").RequireAuthorization(Policies.Supervisor).WithSummary("Add a help category")
            .WithDescription("A slug in use is 409.");
        categories.MapPut("/{id:guid}", PutCategoryAsync).WithName("ReplaceHelpCategory").RequireAuthorization(Policies.Supervisor).WithSummary("Change a help category")
            .WithDescription("Name, description and position; the slug stays.");
        categories.MapDelete("/{id:guid}", DeleteCategoryAsync).WithName("DeleteHelpCategory").RequireAuthorization(Policies.Supervisor).WithSummary("Delete an empty help category")
            .WithDescription("A category that still holds articles is 409: move or delete them first.");

        var articles = help.MapGroup("/articles").RequireAuthorization(Policies.Staff);
        articles.MapGet("/", ListArticlesAsync).WithName("ListHelpArticles").WithSummary("Help articles")
            .WithDescription("Drafts included, by title; `category` (an id) for one category's.");
        articles.MapGet("/{id:guid}", GetArticleAsync).WithName("GetHelpArticle").WithSummary("One help article").WithDescription("With its ETag.");
        articles.MapPost("/", CreateArticleAsync).WithName("CreateHelpArticle").RequireAuthorization(Policies.Supervisor).WithSummary("Write a help article")
            .WithDescription("Markdown in three variants (intermediate required, novice and expert optional). Raw HTML in the Markdown is shown as text; "
                + "links other than http, https, mailto and tel are removed. A slug in use is 409; an unknown category is 422.");
        articles.MapPut("/{id:guid}", PutArticleAsync).WithName("ReplaceHelpArticle").RequireAuthorization(Policies.Supervisor).WithSummary("Change a help article")
            .WithDescription("Replaces it. Send If-Match with the ETag you read: a stale one is 412.");
        articles.MapDelete("/{id:guid}", DeleteArticleAsync).WithName("DeleteHelpArticle").RequireAuthorization(Policies.Supervisor).WithSummary("Delete a help article")
            .WithDescription("Supervisors and admins. Removes it from the help center, draft or published; 404 when there is none.");
    }

    private static async Task<Results<Ok<List<HelpSearchHit>>, ProblemHttpResult>> SearchAsync(string? q, int? limit, LoopdeskDb db, HelpCenter help, CancellationToken ct)
    {
        if (q is { Length: > 500 }) return Problems.Validation("q", "Give a query of up to 500 characters.");
        var size = limit ?? 5;
        if (size is < 1 or > 10) return Problems.Validation("limit", "limit is 1 to 10.");
        var hits = await help.SearchAsync(db, q, size, ct, loose: true);
        return TypedResults.Ok(hits.Select(h => new HelpSearchHit(h.Slug, h.Title, h.Summary, $"/help/a/{h.Slug}")).ToList());
    }

    private static async Task<Ok<List<HelpCategoryDto>>> ListCategoriesAsync(LoopdeskDb db, CancellationToken ct)
        => TypedResults.Ok(await HelpCommands.ListCategoriesAsync(db, ct));

    private static async Task<Results<Created<HelpCategoryDto>, ProblemHttpResult>> CreateCategoryAsync(HelpCategoryRequest body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var (category, problem) = await HelpCommands.SaveCategoryAsync(db, null, body, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/help/categories/{category!.Id}", category);
    }

    private static async Task<Results<Ok<HelpCategoryDto>, ProblemHttpResult>> PutCategoryAsync(Guid id, HelpCategoryRequest body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var (category, problem) = await HelpCommands.SaveCategoryAsync(db, id, body, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(category!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteCategoryAsync(Guid id, LoopdeskDb db, CancellationToken ct)
        => await HelpCommands.DeleteCategoryAsync(db, id, ct) is { } problem ? problem : TypedResults.NoContent();

    private static async Task<Ok<List<HelpArticleDto>>> ListArticlesAsync(Guid? category, LoopdeskDb db, CancellationToken ct)
        => TypedResults.Ok(await HelpCommands.ListArticlesAsync(db, category, ct));

    private static async Task<Results<Ok<HelpArticleDto>, ProblemHttpResult>> GetArticleAsync(Guid id, LoopdeskDb db, HttpResponse response, CancellationToken ct)
    {
        var article = await db.HelpArticles.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct);
        if (article is null) return Problems.NotFound("help article");
        response.Headers.ETag = HelpCommands.ETag(article);
        return TypedResults.Ok(HelpCommands.ToDto(article));
    }

    private static async Task<Results<Created<HelpArticleDto>, ProblemHttpResult>> CreateArticleAsync(HelpArticleRequest body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var (article, problem) = await HelpCommands.SaveArticleAsync(db, null, body, null, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/help/articles/{article!.Id}", HelpCommands.ToDto(article));
    }

    private static async Task<Results<Ok<HelpArticleDto>, ProblemHttpResult>> PutArticleAsync(
        Guid id, HelpArticleRequest body, [FromHeader(Name = "If-Match")] string? ifMatch, LoopdeskDb db, TimeProvider clock, HttpResponse response, CancellationToken ct)
    {
        var (article, problem) = await HelpCommands.SaveArticleAsync(db, id, body, ifMatch, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        response.Headers.ETag = HelpCommands.ETag(article!);
        return TypedResults.Ok(HelpCommands.ToDto(article!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteArticleAsync(Guid id, LoopdeskDb db, CancellationToken ct)
        => await HelpCommands.DeleteArticleAsync(db, id, ct) is { } problem ? problem : TypedResults.NoContent();
}
