using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Rules;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Loopdesk.Portal.Pages;

public sealed record RequestDone(string Reference, string ExpectBy, string Email);

/// <summary>The request form: opens a portal ticket through the same path as every channel, after the spam checks.</summary>
public sealed class RequestModel(
    LoopdeskDb db, TicketCommands commands, FormGuard guard, PortalFiles files, TimeProvider clock, IEnumerable<IServiceExpectations> expectations,
    IStringLocalizer<Strings> l, Microsoft.Extensions.Options.IOptions<Platform.LoopdeskOptions> loopdesk, ILogger<RequestModel> log) : PageModel
{
    public static readonly (string Value, string Label)[] Categories =
        [("question", "CatQuestion"), ("problem", "CatProblem"), ("complaint", "CatComplaint"), ("suggestion", "CatSuggestion")];

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Subject { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public string? Category { get; set; }
    [BindProperty] public List<IFormFile> Files { get; set; } = [];

    public string Stamp { get; private set; } = "";
    public string? Error { get; private set; }
    public RequestDone? Done { get; private set; }
    public string MaxFile => PortalFiles.Megabytes(files.MaxFileBytes);
    public string MaxTotal => PortalFiles.Megabytes(files.MaxTotalBytes);

    public void OnGet()
    {
        Stamp = guard.Stamp();
        Name ??= User.Identity?.Name;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var honeypot = Request.Form[FormGuard.HoneypotField].ToString();
        var stamp = Request.Form[FormGuard.StampField].ToString();
        if (guard.Check(honeypot, stamp) is { } why)
        {
            log.LogInformation("Request form refused as automatic ({Reason})", why);
            return Refuse(why == "stamp.too_fast" ? l["TooFast"] : l["FormExpired"]);
        }
        var email = EmailAddress.Normalize(Email, out _);
        var type = Category switch { "problem" => TicketType.Problem, "complaint" => TicketType.Complaint, "suggestion" => TicketType.Suggestion, _ => TicketType.Question };
        var name = Name?.Trim();
        var subject = Subject?.Trim();
        var body = Description?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > Customer.NameMaxLength || TextRules.FindProblem(name) is not null) return Refuse(l["NeedName"]);
        if (email is null) return Refuse(l["NeedEmail"]);
        if (string.IsNullOrEmpty(subject) || subject.Length > Ticket.SubjectMaxLength || TextRules.FindProblem(subject) is not null) return Refuse(l["NeedSubject"]);
        if (string.IsNullOrEmpty(body) || body.Length > Loopdesk.Tickets.Limits.BodyMaxLength) return Refuse(l["NeedDescription"]);
        if (files.Problem(Files) is { } fileProblem) return Refuse(fileProblem);

        var attachments = await files.StoreAsync(Files, ct);
        var created = await commands.CreateAsync(new CreateTicketRequest
        {
            Subject = subject,
            Body = body,
            Channel = Channel.Portal,
            Type = type,
            Tags = ["portal"],
            Customer = new CustomerRef { Name = name, Email = email },
        }, Actor.System, Core.Agents.AgentRole.Agent, ct, attachments: attachments);

        var now = clock.GetUtcNow();
        var ticket = await db.Tickets.AsNoTracking().FirstAsync(t => t.Id == created.Id, ct);
        var due = expectations.FirstOrDefault() is { } e ? (await e.DueTimesAsync(db, ticket, now, ct))?.FirstReply : null;
        due ??= now.AddHours(4);
        var zone = TimeZoneInfo.TryFindSystemTimeZoneById(loopdesk.Value.Company.TimeZone, out var z) ? z : TimeZoneInfo.Utc;
        Done = new RequestDone(ticket.Reference, Core.Templates.HumanTime.Due(due.Value, now, zone, System.Globalization.CultureInfo.CurrentUICulture.TwoLetterISOLanguageName), email);
        return Page();
    }

    private PageResult Refuse(string message)
    {
        Error = message;
        Stamp = guard.Stamp();
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
