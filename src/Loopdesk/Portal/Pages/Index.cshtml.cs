using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal.Pages;

[OutputCache(PolicyName = PortalSetup.PageCache)]
public sealed class IndexModel(LoopdeskDb db) : PageModel
{
    public List<ArticleSummary> Popular { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
        => Popular = await db.HelpArticles.AsNoTracking().Where(a => a.Published).OrderByDescending(a => a.HelpfulCount).ThenBy(a => a.Title).Take(6)
            .Select(a => new ArticleSummary(a.Id, a.Slug, a.Title, a.Summary, a.CategoryId)).ToListAsync(ct);
}
