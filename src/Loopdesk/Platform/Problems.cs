using Loopdesk.Core.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loopdesk.Platform;

/// <summary>
/// The RFC 9457 problem details every error is written as. <c>type</c> is a stable URN per kind of error
/// (listed in docs/api.md); <c>code</c> names the exact rule; <c>field</c> names the field at fault.
/// </summary>
public static class Problems
{
    public const string TypePrefix = "urn:loopdesk:problem:";

    public static ProblemHttpResult Validation(string field, string message)
    {
        var problem = Create(StatusCodes.Status400BadRequest, "validation", "The request is not valid.", message, field, "validation");
        // as the framework's validation problems: every message by field
        problem.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [message] };
        return problem;
    }

    public static ProblemHttpResult Forbidden(string message, string? field = null)
        => Create(StatusCodes.Status403Forbidden, "forbidden", "Not allowed.", message, field, "forbidden");

    public static ProblemHttpResult NotFound(string what)
        => Create(StatusCodes.Status404NotFound, "not-found", "Not found.", $"No {what} with that id or reference.", null, "not-found");

    public static ProblemHttpResult Conflict(string code, string message, string? field = null)
        => Create(StatusCodes.Status409Conflict, "conflict", "Conflict.", message, field, code);

    public static ProblemHttpResult PreconditionFailed(string currentETag)
    {
        var problem = Create(StatusCodes.Status412PreconditionFailed, "stale", "The resource changed since you read it.",
            $"If-Match did not match the current version {currentETag}; read it again and retry.", "If-Match", "stale");
        problem.ProblemDetails.Extensions["currentETag"] = currentETag;
        return problem;
    }

    /// <summary>Reads an If-Match header of the form "vN" (or "*", or none: no version); the problem says why it is not one.</summary>
    public static ProblemHttpResult? ReadIfMatch(string? ifMatch, out int? version)
    {
        version = null;
        if (ifMatch is null || ifMatch == "*") return null;
        if (!(ifMatch.StartsWith("\"v", StringComparison.Ordinal) && int.TryParse(ifMatch.Trim('"')[1..], out var parsed)))
            return Validation("If-Match", "If-Match is the ETag you read, like \"v3\".");
        version = parsed;
        return null;
    }

    public static ProblemHttpResult RuleViolation(Verdict verdict)
        => Create(StatusCodes.Status422UnprocessableEntity, "rule", "The change is not allowed.", verdict.Message, verdict.Field, verdict.Code);

    public static ProblemHttpResult Unprocessable(string code, string message, string? field)
        => Create(StatusCodes.Status422UnprocessableEntity, "rule", "The change is not allowed.", message, field, code);

    public static ProblemHttpResult Create(int status, string kind, string title, string? detail, string? field, string? code)
    {
        var extensions = new Dictionary<string, object?>();
        if (code is not null) extensions["code"] = code;
        if (field is not null) extensions["field"] = field;
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + kind, extensions: extensions);
    }
}
