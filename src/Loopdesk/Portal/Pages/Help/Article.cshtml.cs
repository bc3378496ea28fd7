using System.Security.Cryptography;
using System.Text;
using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal.Pages.Help;

/// <summary>
/// One article, in the variant for the reader's level (picked on the page, remembered in a cookie), with "did this help?"
/// (one vote per visitor: a random id in a cookie, stored hashed) and related articles.
/// </summary>
public sealed class HelpArticleModel(LoopdeskDb db, HelpCenter help, TimeProvider clock) : PageModel
{
    [FromRoute] public string Slug { get; set; } = "";

    public HelpArticle? Article { get; private set; }
    public HelpCategory? Category { get; private set; }
    public string BodyHtml { get; private set; } = "";
    public string LevelName { get; private set; } = "intermediate";
    public bool Voted { get; private set; }
    public List<ArticleSummary> Related { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string? level, CancellationToken ct)
    {
        if (level is "novice" or "intermediate" or "expert")
        {
            Response.Cookies.Append(PortalSetup.ExpertiseCookie, level, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true });
        }
        return await LoadAsync(level, ct) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostVoteAsync(bool helpful, CancellationToken ct)
    {
        if (!await LoadAsync(null, ct)) return NotFound();
        if (!Voted)
        {
            var visitor = Request.Cookies[PortalSetup.VisitorCookie];
            if (visitor is null || visitor.Length > 64)
            {
                visitor = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                Response.Cookies.Append(PortalSetup.VisitorCookie, visitor, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, MaxAge = TimeSpan.FromDays(365), IsEssential = true });
            }
            var article = await db.HelpArticles.FirstAsync(a => a.Id == Article!.Id, ct);
            db.HelpVotes.Add(new HelpVote(article.Id, Hash(visitor), helpful, clock.GetUtcNow()));
            article.Counted(helpful);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // the same visitor's second vote (two tabs): the first one counts
            }
        }
        return RedirectToPage(new { slug = Slug });
    }

    private static string Hash(string visitor) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(visitor)));

    private async Task<bool> LoadAsync(string? level, CancellationToken ct)
    {
        Article = await db.HelpArticles.AsNoTracking().FirstOrDefaultAsync(a => a.Slug == Slug && a.Published, ct);
        if (Article is null) return false;
        var categoryId = Article.CategoryId;
        Category = await db.HelpCategories.AsNoTracking().FirstOrDefaultAsync(c => c.Id == categoryId, ct);
        LevelName = level ?? Request.Cookies[PortalSetup.ExpertiseCookie] ?? "intermediate";
        if (LevelName is not ("novice" or "intermediate" or "expert")) LevelName = "intermediate";
        BodyHtml = help.Html(Article, HelpCenter.Level(LevelName));
        if (Request.Cookies[PortalSetup.VisitorCookie] is { Length: <= 64 } visitor)
        {
            var hash = Hash(visitor);
            var id = Article.Id;
            Voted = await db.HelpVotes.AnyAsync(v => v.ArticleId == id && v.VisitorHash == hash, ct);
        }
        Related = await help.RelatedAsync(db, Article, 5, ct);
        return true;
    }
}
