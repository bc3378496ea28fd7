using Loopdesk.Core.Common;
using Loopdesk.Data;
using Loopdesk.Platform;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal;

/// <summary>The help center's changes, shared by the API and the workspace's help page: each answers the saved row or why it was refused.</summary>
public static class HelpCommands
{
    /// <summary>Adds a category (<paramref name="id"/> null) or changes one; a new one's slug is made from the name when not given, and its slug stays.</summary>
    public static async Task<(HelpCategoryDto? Category, ProblemHttpResult? Problem)> SaveCategoryAsync(LoopdeskDb db, Guid? id, HelpCategoryRequest body, DateTimeOffset now, CancellationToken ct)
    {
        if (TextRules.FindProblem(body.Name) is { } bad) return (null, Problems.Validation("name", $"The name {bad}."));
        if (id is not { } existing)
        {
            var slug = body.Slug ?? HelpCenter.Slugify(body.Name);
            if (await db.HelpCategories.AnyAsync(c => c.Slug == slug, ct)) return (null, Problems.Conflict("help.slug_taken", "Another category has that slug.", "slug"));
            var created = new HelpCategory(slug, body.Name, body.Description, body.Position, now);
            db.HelpCategories.Add(created);
            await db.SaveChangesAsync(ct);
            return (ToDto(created, 0), null);
        }
        var category = await db.HelpCategories.FirstOrDefaultAsync(c => c.Id == existing, ct);
        if (category is null) return (null, Problems.NotFound("help category"));
        category.Set(body.Name, body.Description, body.Position, now);
        await db.SaveChangesAsync(ct);
        return (ToDto(category, await db.HelpArticles.CountAsync(a => a.CategoryId == existing, ct)), null);
    }

    /// <summary>Deletes an empty category; one that still holds articles is refused (409).</summary>
    public static async Task<ProblemHttpResult?> DeleteCategoryAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        var category = await db.HelpCategories.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (category is null) return Problems.NotFound("help category");
        if (await db.HelpArticles.AnyAsync(a => a.CategoryId == id, ct)) return Problems.Conflict("help.category_not_empty", "The category holds articles: move or delete them first.");
        db.HelpCategories.Remove(category);
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>The categories in their display order, with how many articles each holds.</summary>
    public static async Task<List<HelpCategoryDto>> ListCategoriesAsync(LoopdeskDb db, CancellationToken ct)
    {
        var counts = await db.HelpArticles.GroupBy(a => a.CategoryId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var rows = await db.HelpCategories.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(ct);
        return [.. rows.Select(c => ToDto(c, counts.GetValueOrDefault(c.Id)))];
    }

    /// <summary>Articles by title, drafts included; one category's when given.</summary>
    public static async Task<List<HelpArticleDto>> ListArticlesAsync(LoopdeskDb db, Guid? category, CancellationToken ct)
    {
        var query = db.HelpArticles.AsNoTracking();
        if (category is { } c) query = query.Where(a => a.CategoryId == c);
        return [.. (await query.OrderBy(a => a.Title).Take(1000).ToListAsync(ct)).Select(ToDto)];
    }

    /// <summary>
    /// Writes an article (<paramref name="id"/> null) or replaces one. <paramref name="ifMatch"/> is the ETag the writer read:
    /// a stale one, or a save that lost a race, is 412 and changes nothing.
    /// </summary>
    public static async Task<(HelpArticle? Article, ProblemHttpResult? Problem)> SaveArticleAsync(
        LoopdeskDb db, Guid? id, HelpArticleRequest body, string? ifMatch, DateTimeOffset now, CancellationToken ct)
    {
        HelpArticle? article = null;
        if (id is { } existing)
        {
            article = await db.HelpArticles.FirstOrDefaultAsync(a => a.Id == existing, ct);
            if (article is null) return (null, Problems.NotFound("help article"));
            if (ifMatch is not null && ifMatch != ETag(article)) return (null, Problems.PreconditionFailed(ETag(article)));
        }
        if (await CheckAsync(db, body, ct) is { } problem) return (null, problem);
        if (article is null)
        {
            var slug = body.Slug ?? HelpCenter.Slugify(body.Title);
            if (await db.HelpArticles.AnyAsync(a => a.Slug == slug, ct)) return (null, Problems.Conflict("help.slug_taken", "Another article has that slug.", "slug"));
            article = new HelpArticle(slug, body.CategoryId, now);
            db.HelpArticles.Add(article);
        }
        article.Set(body.CategoryId, body.Title, body.Summary, body.Body, body.NoviceBody, body.ExpertBody, body.Published, now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return (null, Problems.PreconditionFailed("(changed meanwhile)"));
        }
        return (article, null);
    }

    public static async Task<ProblemHttpResult?> DeleteArticleAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        var article = await db.HelpArticles.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (article is null) return Problems.NotFound("help article");
        db.HelpArticles.Remove(article);
        await db.SaveChangesAsync(ct);
        return null;
    }

    public static string ETag(HelpArticle article) => $"\"v{article.Version}\"";

    public static HelpCategoryDto ToDto(HelpCategory c, int articles) => new(c.Id, c.Slug, c.Name, c.Description, c.Position, articles);

    public static HelpArticleDto ToDto(HelpArticle a) => new(a.Id, a.Slug, a.CategoryId, a.Title, a.Summary, a.Body, a.NoviceBody, a.ExpertBody,
        a.Published, a.HelpfulCount, a.NotHelpfulCount, a.CreatedAt, a.UpdatedAt, a.Version);

    private static async Task<ProblemHttpResult?> CheckAsync(LoopdeskDb db, HelpArticleRequest body, CancellationToken ct)
    {
        if (TextRules.FindProblem(body.Title) is { } bad) return Problems.Validation("title", $"The title {bad}.");
        if (string.IsNullOrWhiteSpace(body.Body)) return Problems.Validation("body", "Write the article's text.");
        if (!await db.HelpCategories.AnyAsync(c => c.Id == body.CategoryId, ct)) return Problems.Unprocessable("help.category_unknown", "No help category with that id.", "categoryId");
        return null;
    }
}
