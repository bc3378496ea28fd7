using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal.Pages.Help;

[OutputCache(PolicyName = PortalSetup.PageCache)]
public sealed class HelpCategoryModel(LoopdeskDb db) : PageModel
{
    public HelpCategory? Category { get; private set; }
    public List<ArticleSummary> Articles { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string slug, CancellationToken ct)
    {
        Category = await db.HelpCategories.AsNoTracking().FirstOrDefaultAsync(c => c.Slug == slug, ct);
        if (Category is null) return NotFound();
        var id = Category.Id;
        Articles = await db.HelpArticles.AsNoTracking().Where(a => a.CategoryId == id && a.Published).OrderBy(a => a.Title)
            .Select(a => new ArticleSummary(a.Id, a.Slug, a.Title, a.Summary, a.CategoryId)).ToListAsync(ct);
        return Page();
    }
}
