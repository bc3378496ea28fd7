using System.ComponentModel.DataAnnotations;
using Loopdesk.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web.Admin;

/// <summary>What the settings pages share: the API's request checks, and refusals put in words for the person at the page.</summary>
public static class AdminForms
{
    /// <summary>The checks the API runs on a request before its handler (data annotations, then the request's own); the first failure, or null.</summary>
    public static string? Validate(object request)
    {
        var results = new List<ValidationResult>();
        return Validator.TryValidateObject(request, new ValidationContext(request), results, validateAllProperties: true)
            ? null
            : results[0].ErrorMessage;
    }

    /// <summary>The request's own checks as a finished refusal, or null to go on: <c>ValidateThen(r) ?? ChangeAsync(…)</c>.</summary>
    public static Task<string?>? ValidateThen(object request) => Validate(request) is { } problem ? Task.FromResult<string?>(problem) : null;

    /// <summary>The version a page read, in the form the update methods compare (the API's ETag).</summary>
    public static string Version(int version) => $"\"v{version}\"";

    /// <summary>Says why a change was refused: a stale one in the page's words, any other with the API's own detail.</summary>
    public static string Explain(ProblemHttpResult problem, string what)
        => problem.ProblemDetails.Extensions.TryGetValue("code", out var code) && code as string == "stale"
            ? Stale(what)
            : problem.ProblemDetails.Detail ?? $"The {what} was not saved.";

    public static string Stale(string what)
        => $"Someone else changed this {what} since you opened it, so nothing was saved. Their version is shown now; make your change again if it still applies.";

    /// <summary>
    /// Runs one change in its own database context and says why it was refused, or null when it was saved. A save that lost a
    /// race with another one reads as stale, like the API's 412.
    /// </summary>
    public static async Task<string?> ChangeAsync(WorkspaceDb workspace, string what, Func<LoopdeskDb, IServiceProvider, Task<ProblemHttpResult?>> change)
    {
        try
        {
            var problem = await workspace.RunAsync(change);
            return problem is null ? null : Explain(problem, what);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Stale(what);
        }
    }

    /// <summary>Text split into trimmed, non-empty parts: tags, skills, blocked senders, holidays.</summary>
    public static List<string> Split(string? text, params char[] separators)
        => [.. (text ?? "").Split(separators.Length == 0 ? [',', '\n'] : separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
