using System.Globalization;
using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.OutputCaching;

namespace Loopdesk.Portal.Pages;

[OutputCache(PolicyName = PortalSetup.PageCache)]
public sealed class ContactModel(LoopdeskDb db, ContactInfo contact) : PageModel
{
    public ContactSnapshot? Snapshot { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => Snapshot = await contact.ReadAsync(db, ct);

    /// <summary>A time in the calendar's zone (the portal's, unless another is given), in the reader's language.</summary>
    public string Local(DateTimeOffset at, string? timeZone = null)
    {
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(timeZone ?? Snapshot!.Hours.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
        return TimeZoneInfo.ConvertTime(at, zone).ToString("dddd HH:mm", CultureInfo.CurrentCulture);
    }

    public static string Duration(TimeSpan t) => Core.Templates.HumanTime.Duration(t, CultureInfo.CurrentUICulture.TwoLetterISOLanguageName);
}
