using System.Security.Claims;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Platform;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Portal;

/// <summary>
/// "My tickets" sign-in by emailed link, and the customer's session: a cookie of its own ("loopdesk.portal", scheme
/// <see cref="Scheme"/>), never the staff cookie, carrying the customer's id and the address they proved.
/// </summary>
public sealed class PortalAccess(TimeProvider clock, IOptions<PortalOptions> options, IOptions<LoopdeskOptions> loopdesk, PortalMail mail)
{
    public const string Scheme = "portal";
    public const string CustomerClaim = "loopdesk:customer";
    public const string EmailClaim = "loopdesk:email";

    /// <summary>
    /// Records the request and, when the address belongs to a customer and has not had too many links this hour, queues
    /// a link to it. The caller shows the same answer whatever happened.
    /// </summary>
    public async Task RequestLinkAsync(LoopdeskDb db, string email, string? ip, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var o = options.Value;
        var hourAgo = now.AddHours(-1);
        var recent = await db.PortalSignIns.CountAsync(s => s.Email == email && s.CreatedAt > hourAgo, ct);
        var known = await db.CustomerIdentities.AnyAsync(i => i.Kind == IdentityKind.Email && i.Value == email, ct);
        var token = LinkTokens.New();
        if (recent >= o.SignInLinksPerAddressPerHour) return;
        db.PortalSignIns.Add(new PortalSignIn(email, LinkTokens.Hash(token), ip, now, now.AddMinutes(o.SignInLinkMinutes)));
        if (known)
        {
            var link = $"{loopdesk.Value.PublicUrl.TrimEnd('/')}/my/link?token={token}&email={Uri.EscapeDataString(email)}";
            mail.Queue(db, new PortalMailMessage(email, $"Your sign-in link for {o.BrandName}",
                $"Hello,\n\nSomeone (we hope you) asked to see your requests with {o.BrandName}. Open this link within {o.SignInLinkMinutes} minutes to sign in:\n\n{link}\n\n"
                + "The link works once. If you did not ask for it, ignore this mail: nobody can sign in without it.\n"), now);
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Spends a link for <paramref name="email"/>; the customer it signs in, or null (reused, expired, another address, unknown: all alike).</summary>
    public async Task<Customer?> RedeemAsync(LoopdeskDb db, string? token, string? email, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100 || string.IsNullOrEmpty(email)) return null;
        var normalized = EmailAddress.Normalize(email, out _);
        var hash = LinkTokens.Hash(token);
        var row = await db.PortalSignIns.FirstOrDefaultAsync(s => s.TokenHash == hash, ct);
        if (row is null || normalized is null || row.Email != normalized || !row.Use(clock.GetUtcNow())) return null;
        var customerId = await db.CustomerIdentities.Where(i => i.Kind == IdentityKind.Email && i.Value == normalized).Select(i => (Guid?)i.CustomerId).FirstOrDefaultAsync(ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return null; // spent meanwhile by another click
        }
        if (customerId is null) return null;
        var customer = await db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.Id == customerId, ct);
        // a merged customer's tickets live on the customer it was merged into
        while (customer?.MergedIntoId is { } into) customer = await db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.Id == into, ct);
        return customer;
    }

    public Task SignInAsync(HttpContext http, Customer customer, string email)
    {
        var identity = new ClaimsIdentity([new Claim(CustomerClaim, customer.Id.ToString()), new Claim(EmailClaim, email), new Claim(ClaimTypes.Name, customer.PreferredName ?? customer.Name)], Scheme);
        // a browser-session cookie; the ticket inside it expires after Loopdesk:Portal:SessionDays (see PortalSetup)
        return http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
    }

    /// <summary>The signed-in customer's id, or null.</summary>
    public static async Task<Guid?> CustomerIdAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(Scheme);
        return result.Succeeded && Guid.TryParse(result.Principal.FindFirstValue(CustomerClaim), out var id) ? id : null;
    }
}
