using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Loopdesk.Portal.Pages;

/// <summary>The language switch: remembers the choice in a cookie and goes back to the page it came from (on this site only).</summary>
public sealed class LanguageModel : PageModel
{
    public IActionResult OnGet(string? culture, string? returnUrl)
    {
        if (PortalSetup.Cultures.FirstOrDefault(c => c.Name == culture) is { } chosen)
        {
            Response.Cookies.Append(PortalSetup.CultureCookie, CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
                new CookieOptions { MaxAge = TimeSpan.FromDays(365), SameSite = SameSiteMode.Lax, HttpOnly = true, IsEssential = true });
        }
        return LocalRedirect(PortalTheme.LocalPath(returnUrl));
    }
}
