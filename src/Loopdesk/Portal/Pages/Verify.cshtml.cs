using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;

namespace Loopdesk.Portal.Pages;

/// <summary>The secure form of an identity verification, opened from the link mailed to the ticket's customer.</summary>
public sealed class VerifyModel(LoopdeskDb db, Verifications verifications, IStringLocalizer<Strings> l) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }

    public PortalVerification? Verification { get; private set; }
    public bool Done { get; private set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        Verification = await verifications.FindOpenAsync(db, Token, ct);
        if (Verification is null) Response.StatusCode = StatusCodes.Status404NotFound;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(Dictionary<string, string?> values, CancellationToken ct)
    {
        Verification = await verifications.FindOpenAsync(db, Token, ct);
        if (Verification is null)
        {
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }
        if (!await verifications.CompleteAsync(db, Verification, values, ct))
        {
            Error = l["VerifyMissing"];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        Done = true;
        return Page();
    }
}
