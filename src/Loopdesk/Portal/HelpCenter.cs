using System.Text.RegularExpressions;
using Ganss.Xss;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Search;
using Markdig;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Loopdesk.Portal;

public sealed record ArticleSummary(Guid Id, string Slug, string Title, string? Summary, Guid CategoryId);

/// <summary>
/// The help center's reading side: Markdown turned into safe HTML (Markdig with raw HTML escaped, then HtmlSanitizer,
/// which drops scripts, event handlers and <c>javascript:</c> links), full-text search through the search index of the
/// database in use, and related articles.
/// </summary>
public sealed partial class HelpCenter(ISearchIndex search, IMemoryCache cache)
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables().UseAutoLinks().UseEmphasisExtras().UseListExtras().UseTaskLists()
        .DisableHtml()
        .Build();

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    private static HtmlSanitizer CreateSanitizer()
    {
        var s = new HtmlSanitizer();
        s.AllowedSchemes.Clear();
        foreach (var scheme in new[] { "http", "https", "mailto", "tel" }) s.AllowedSchemes.Add(scheme);
        s.AllowedAttributes.Remove("style");
        foreach (var tag in new[] { "form", "input", "button", "textarea", "select", "iframe", "object", "embed" }) s.AllowedTags.Remove(tag);
        return s;
    }

    /// <summary>Markdown to HTML that is safe to show as it is.</summary>
    public static string Render(string markdown) => Sanitizer.Sanitize(Markdown.ToHtml(markdown ?? "", Pipeline));

    /// <summary>An article's HTML for a reader's level, rendered once per version.</summary>
    public string Html(HelpArticle article, ExpertiseLevel level)
        => cache.GetOrCreate(("help-html", article.Id, article.Version, level), e =>
        {
            e.SlidingExpiration = TimeSpan.FromMinutes(30);
            e.Size = null;
            return Render(article.BodyFor(level));
        })!;

    /// <summary>
    /// Published articles matching every word, best first; none when the text has no words. <paramref name="loose"/> (the
    /// request form's suggestions, made from whole sentences) falls back to articles matching any longer word.
    /// </summary>
    public async Task<List<ArticleSummary>> SearchAsync(LoopdeskDb db, string? q, int limit, CancellationToken ct, bool loose = false)
    {
        if (q is null || q.Length > 500 || SearchTerms.Parse(q) is not { } terms) return [];
        var ids = (await search.ArticleIdsAsync(db, terms, limit * 2, ct)).ToList();
        if (ids.Count == 0 && loose && SearchTerms.Parse(string.Join(' ', terms.Words.Where(w => w.Length >= 4))) is { Words.Count: > 0 } longer)
            ids = [.. await search.ArticleIdsAsync(db, longer, limit * 2, ct, anyWord: true)];
        if (ids.Count == 0) return [];
        var rows = await db.HelpArticles.AsNoTracking().Where(a => ids.Contains(a.Id) && a.Published)
            .Select(a => new ArticleSummary(a.Id, a.Slug, a.Title, a.Summary, a.CategoryId)).ToListAsync(ct);
        return [.. rows.OrderBy(r => ids.IndexOf(r.Id)).Take(limit)];
    }

    /// <summary>Other articles a reader of this one may want: those matching its title's words, then others of its category.</summary>
    public async Task<List<ArticleSummary>> RelatedAsync(LoopdeskDb db, HelpArticle article, int limit, CancellationToken ct)
    {
        var words = string.Join(' ', Words().Matches(article.Title).Select(m => m.Value).Where(w => w.Length > 3 && !Common.Contains(w.ToLowerInvariant())));
        var found = new List<ArticleSummary>();
        foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var hit in await SearchAsync(db, word, limit + 1, ct))
            {
                if (hit.Id != article.Id && found.All(f => f.Id != hit.Id)) found.Add(hit);
            }
            if (found.Count >= limit) break;
        }
        if (found.Count < limit)
        {
            var id = article.Id;
            var categoryId = article.CategoryId;
            var same = await db.HelpArticles.AsNoTracking().Where(a => a.CategoryId == categoryId && a.Id != id && a.Published).OrderBy(a => a.Title).Take(limit)
                .Select(a => new ArticleSummary(a.Id, a.Slug, a.Title, a.Summary, a.CategoryId)).ToListAsync(ct);
            found.AddRange(same.Where(s => found.All(f => f.Id != s.Id)));
        }
        return [.. found.Take(limit)];
    }

    private static readonly HashSet<string> Common = ["what", "when", "with", "your", "from", "that", "this", "have", "does", "will", "about", "after"];

    [GeneratedRegex(@"\p{L}[\p{L}\p{Nd}]*")]
    private static partial Regex Words();

    /// <summary>A URL-safe name made from a title: lower-case letters, digits and dashes.</summary>
    public static string Slugify(string title)
    {
        var slug = SlugParts().Replace(title.Normalize(System.Text.NormalizationForm.FormD).ToLowerInvariant(), "-").Trim('-');
        slug = new string(slug.Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-').ToArray());
        return slug.Length == 0 ? "article" : slug.Length > 80 ? slug[..80].TrimEnd('-') : slug;
    }

    [GeneratedRegex(@"[^\p{L}\p{Nd}]+")]
    private static partial Regex SlugParts();

    /// <summary>The expertise a reader asked for (a cookie's value), intermediate when none or unknown.</summary>
    public static ExpertiseLevel Level(string? value) => value switch
    {
        "novice" => ExpertiseLevel.Novice,
        "expert" => ExpertiseLevel.Expert,
        _ => ExpertiseLevel.Intermediate,
    };
}
