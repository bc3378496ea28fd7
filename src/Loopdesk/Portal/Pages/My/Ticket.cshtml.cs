using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Loopdesk.Portal.Pages.My;

public sealed record TimelineItem(string Kind, string Who, DateTimeOffset At, string? Text, IReadOnlyList<Attachment> Files);

/// <summary>
/// One of the signed-in customer's tickets: its public timeline (never internal notes), a reply, "yes, resolved" /
/// "no, still a problem" while it is solved, and the survey once it is closed. Another customer's reference is 404.
/// </summary>
public sealed class MyTicketModel(LoopdeskDb db, PortalFiles files, FileStore store, TimeProvider clock, IStringLocalizer<Strings> l) : PageModel
{
    [FromRoute] public string Reference { get; set; } = "";

    public Ticket? Ticket { get; private set; }
    public List<TimelineItem> Timeline { get; private set; } = [];
    public bool OpenSurvey { get; private set; }
    public string? Notice { get; private set; }
    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(ct) ? Page() : Gone();

    public async Task<IActionResult> OnGetFileAsync(string? key, CancellationToken ct)
    {
        if (!await LoadAsync(ct) || key is null) return Gone();
        var file = Timeline.SelectMany(i => i.Files).FirstOrDefault(f => f.StorageKey == key);
        if (file is null || store.Open(key) is not { } stream) return NotFound();
        // served as a download, never rendered in the portal's origin
        return File(stream, "application/octet-stream", file.FileName);
    }

    public async Task<IActionResult> OnPostReplyAsync(string? text, List<IFormFile>? uploads, CancellationToken ct)
    {
        if (!await LoadAsync(ct, track: true)) return Gone();
        var sent = Request.Form.Files.ToList();
        if (string.IsNullOrWhiteSpace(text) || text.Length > Limits.BodyMaxLength) return await RefuseAsync(l["NeedMessage"], ct);
        if (files.Problem(sent) is { } problem) return await RefuseAsync(problem, ct);
        var attachments = await files.StoreAsync(sent, ct);
        return await SayAsync(text.Trim(), attachments, l["ReplySent"], ct);
    }

    public async Task<IActionResult> OnPostResolvedAsync(CancellationToken ct)
    {
        if (!await LoadAsync(ct, track: true)) return Gone();
        // the customer agrees: the ticket closes, and closing sends the survey (Resolved means the customer agrees)
        var verdict = Ticket!.Apply(new TicketChange { Status = TicketStatus.Closed }, Actor.Customer(Ticket.CustomerId), clock.GetUtcNow());
        if (!verdict.IsOk) return await RefuseAsync(l["NotSolvedAnyMore"], ct);
        await db.SaveChangesAsync(ct);
        return RedirectToPage(new { reference = Ticket.Reference, done = "resolved" });
    }

    public async Task<IActionResult> OnPostNotResolvedAsync(string? text, CancellationToken ct)
    {
        if (!await LoadAsync(ct, track: true)) return Gone();
        if (Ticket!.Status != TicketStatus.Solved) return await RefuseAsync(l["NotSolvedAnyMore"], ct);
        // as in email, the customer's answer opens the ticket again, with the same owner
        var said = string.IsNullOrWhiteSpace(text) ? l["StillAProblemText"].Value : $"{l["StillAProblemText"].Value}\n\n{text.Trim()}";
        return await SayAsync(said, [], l["Reopened"], ct);
    }

    public async Task<IActionResult> OnPostSurveyAsync(int rating, string? comment, CancellationToken ct)
    {
        if (!await LoadAsync(ct)) return Gone();
        var ticketId = Ticket!.Id;
        var survey = await db.Surveys.FirstOrDefaultAsync(s => s.TicketId == ticketId, ct);
        if (survey is null) return await RefuseAsync(l["NoSurvey"], ct);
        var verdict = survey.AnswerAsCustomer(Ticket.CustomerId, rating, comment, clock.GetUtcNow());
        if (!verdict.IsOk) return await RefuseAsync(verdict.Code == "survey.answered" ? l["SurveyAnswered"] : l["SurveyInvalid"], ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return await RefuseAsync(l["SurveyAnswered"], ct);
        }
        return RedirectToPage(new { reference = Ticket.Reference, done = "survey" });
    }

    private async Task<IActionResult> SayAsync(string text, IReadOnlyList<Attachment> attachments, string notice, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var verdict = Ticket!.AddMessage(new NewMessage(MessageDirection.Inbound, Channel.Portal, text, Attachments: attachments), Actor.Customer(Ticket.CustomerId), now, now, out _);
        if (!verdict.IsOk) return await RefuseAsync(l["ClosedTicket"], ct);
        await db.SaveChangesAsync(ct);
        return RedirectToPage(new { reference = Ticket.Reference, done = notice == l["Reopened"] ? "reopened" : "reply" });
    }

    private async Task<IActionResult> RefuseAsync(string message, CancellationToken ct)
    {
        await LoadAsync(ct);
        Error = message;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    /// <summary>Someone else's ticket, or none, looks the same as a ticket that does not exist; signed out goes to sign-in.</summary>
    private IActionResult Gone() => Ticket is null && _signedOut ? LocalRedirect("/my") : NotFound();

    private bool _signedOut;

    private async Task<bool> LoadAsync(CancellationToken ct, bool track = false)
    {
        var customerId = await PortalAccess.CustomerIdAsync(HttpContext);
        if (customerId is null)
        {
            _signedOut = true;
            return false;
        }
        var reference = TicketReference.Parse(Reference);
        if (reference is null) return false;
        var query = track ? db.Tickets : db.Tickets.AsNoTracking();
        Ticket = await query.FirstOrDefaultAsync(t => t.Reference == reference && t.CustomerId == customerId, ct);
        if (Ticket is null) return false;
        var id = Ticket.Id;
        var messages = await db.Messages.AsNoTracking().Where(m => m.TicketId == id && !m.Internal).OrderBy(m => m.OccurredAt).ThenBy(m => m.Id).ToListAsync(ct);
        var agentIds = messages.Where(m => m.AuthorKind == ActorKind.Agent && m.AuthorId != null).Select(m => m.AuthorId!.Value).Distinct().ToList();
        var agents = await db.Agents.AsNoTracking().Where(a => agentIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.Name, ct);
        Timeline = [.. messages.Select(m => new TimelineItem(
            m.Direction == MessageDirection.Inbound ? "in" : "out",
            m.Direction == MessageDirection.Inbound ? l["You"] : m.AuthorId is { } a && agents.TryGetValue(a, out var name) ? name : l["SupportTeam"],
            m.OccurredAt, m.Text, [.. m.Attachments.Where(f => f.StorageKey is not null && !f.Inline)]))];
        OpenSurvey = Ticket.Status == TicketStatus.Closed && await db.Surveys.AnyAsync(s => s.TicketId == id && s.AnsweredAt == null, ct);
        Notice = Request.Query["done"].ToString() switch
        {
            "resolved" => l["ThanksResolved"].Value,
            "reopened" => l["Reopened"].Value,
            "reply" => l["ReplySent"].Value,
            "survey" => l["SurveyThanks"].Value,
            _ => null,
        };
        return true;
    }
}
