using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Loopdesk.Portal.Pages.My;

public sealed record MyTicketRow(string Reference, string Subject, TicketStatus Status, DateTimeOffset UpdatedAt);

/// <summary>"My tickets": the sign-in form (a link by email, the same answer for every address) and the signed-in customer's tickets.</summary>
public sealed class MyIndexModel(LoopdeskDb db, PortalAccess access, IOptions<PortalOptions> options, IStringLocalizer<Strings> l) : PageModel
{
    public List<MyTicketRow>? Tickets { get; private set; }
    public string? SignedInEmail { get; private set; }
    public bool Sent { get; private set; }
    public string? Error { get; private set; }
    public int SignInMinutes => options.Value.SignInLinkMinutes;

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (await PortalAccess.CustomerIdAsync(HttpContext) is not { } customerId) return;
        SignedInEmail = (await HttpContext.AuthenticateAsync(PortalAccess.Scheme)).Principal?.FindFirst(PortalAccess.EmailClaim)?.Value;
        Tickets = await db.Tickets.AsNoTracking().Where(t => t.CustomerId == customerId).OrderByDescending(t => t.UpdatedAt).Take(200)
            .Select(t => new MyTicketRow(t.Reference, t.Subject, t.Status, t.UpdatedAt)).ToListAsync(ct);
    }

    public async Task<IActionResult> OnPostLinkAsync(string? email, CancellationToken ct)
    {
        var normalized = EmailAddress.Normalize(email, out _);
        if (normalized is null)
        {
            Error = l["NeedEmail"];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        await access.RequestLinkAsync(db, normalized, HttpContext.Connection.RemoteIpAddress?.ToString(), ct);
        Sent = true;
        return Page();
    }

    public async Task<IActionResult> OnPostSignOutAsync()
    {
        await HttpContext.SignOutAsync(PortalAccess.Scheme);
        return LocalRedirect("/my");
    }
}
