using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Loopdesk.Portal.Pages.My;

/// <summary>
/// The emailed sign-in link. Opening it only shows a button: the link is spent by the customer's click (a post), not by
/// a mail scanner that fetches every link it sees. Every failure reads the same.
/// </summary>
public sealed class MyLinkModel(LoopdeskDb db, PortalAccess access) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty(SupportsGet = true)] public string? Email { get; set; }
    public bool Failed { get; private set; }

    public void OnGet() => Failed = string.IsNullOrEmpty(Token) || string.IsNullOrEmpty(Email);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var customer = await access.RedeemAsync(db, Token, Email, ct);
        if (customer is null)
        {
            Failed = true;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        await access.SignInAsync(HttpContext, customer, Core.Customers.EmailAddress.Normalize(Email, out _)!);
        return LocalRedirect("/my");
    }
}
