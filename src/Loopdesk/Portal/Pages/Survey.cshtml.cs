using Loopdesk.Data;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;

namespace Loopdesk.Portal.Pages;

/// <summary>The page the survey mail links to (/survey/{id}?token=…): the token proves the link, as in the API.</summary>
public sealed class SurveyModel(LoopdeskDb db, TimeProvider clock, IStringLocalizer<Strings> l) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }

    public string? Message { get; private set; }
    public bool Ok { get; private set; }

    public void OnGet()
    {
        if (string.IsNullOrEmpty(Token)) Message = l["SurveyInvalid"];
    }

    public async Task<IActionResult> OnPostAsync(Guid id, int rating, string? comment, CancellationToken ct)
    {
        var survey = await db.Surveys.FirstOrDefaultAsync(s => s.Id == id, ct);
        var verdict = survey is null ? Core.Common.Verdict.Deny("survey.invalid_token", "unknown survey") : survey.Answer(Token ?? "", rating, comment, clock.GetUtcNow());
        if (!verdict.IsOk)
        {
            Message = verdict.Code == "survey.answered" ? l["SurveyAnswered"] : l["SurveyInvalid"];
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            Message = l["SurveyAnswered"];
            return Page();
        }
        (Message, Ok) = (l["SurveyThanks"], true);
        return Page();
    }
}
