using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal.Pages.Help;

[OutputCache(PolicyName = PortalSetup.PageCache)]
public sealed class HelpIndexModel(LoopdeskDb db, HelpCenter help) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }

    public List<HelpCategory> Categories { get; private set; } = [];
    public List<ArticleSummary> Results { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Categories = await db.HelpCategories.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(ct);
        if (string.IsNullOrWhiteSpace(Q)) Q = null;
        else Results = await help.SearchAsync(db, Q, 20, ct);
    }
}
