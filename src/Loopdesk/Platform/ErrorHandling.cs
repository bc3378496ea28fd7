using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Platform;

/// <summary>
/// Turns what escapes a handler into problem details: a request the framework could not read keeps its status
/// (400 malformed or missing JSON, 413 too large, 415 wrong content type) with the JSON path at fault; a query value
/// it could not convert is a 400 validation problem naming the parameter; a lost update race is 412; anything else is
/// a 500 that says nothing of the inside.
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var context = httpContext;
        var (status, kind, title, detail, field) = exception switch
        {
            BadHttpRequestException bad => Describe(bad, context.Request),
            DbUpdateConcurrencyException => (412, "stale", "The resource changed since you read it.", "Someone else changed it at the same moment; read it again and retry.", (string?)"If-Match"),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "aborted", "Client closed the request.", null, null),
            _ => (500, "internal", "Something went wrong on our side.", "The error was logged; please try again or contact your administrator.", null),
        };
        if (status == 500) log.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        if (status == 499) return true;
        // a validation problem has the same shape as Problems.Validation: code, field, and errors by field
        var problem = kind == "validation" && field is not null && detail is not null
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [detail] })
            : new ProblemDetails();
        (problem.Status, problem.Title, problem.Detail, problem.Type) = (status, title, detail, Problems.TypePrefix + kind);
        if (kind == "validation") problem.Extensions["code"] = "validation";
        if (field is not null) problem.Extensions["field"] = field;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static (int, string, string, string?, string?) Describe(BadHttpRequestException bad, HttpRequest request)
    {
        var json = bad.InnerException as JsonException ?? bad.InnerException?.InnerException as JsonException;
        return bad.StatusCode switch
        {
            413 => (413, "too-large", "The request is too large.", bad.Message, null),
            415 => (415, "unsupported-media-type", "Unsupported content type.", "Send the body as application/json.", "Content-Type"),
            // a required field left out is invalid, not unreadable: the body is JSON
            _ when json is not null && MissingField(json) is { } missing => (400, "validation", "The request is not valid.", $"'{missing}' is required.", missing),
            _ when json is not null => (400, "malformed", "The request body could not be read.", JsonMessage(json), RepeatedField(json) ?? JsonField(json.Path)),
            _ when NoBody().IsMatch(bad.Message) || RequiredFromBody(bad.Message) => (400, "malformed", "The request body could not be read.", "A JSON body is required.", null),
            _ when QueryValue(bad.Message, request) is ({ } field, { } message) => (400, "validation", "The request is not valid.", message, field),
            _ => (bad.StatusCode, "bad-request", "The request could not be read.", bad.Message, null),
        };
    }

    // The framework's words (RequestDelegateFactory) for a value it could not bind; the API answers in its own.
    [GeneratedRegex("""^Implicit body inferred for parameter "[^"]*" but no body was provided\.""")]
    private static partial Regex NoBody();

    [GeneratedRegex("""^Required parameter "(?<type>.+) (?<name>[^ "]+)" was not provided from (?<source>[^.]+)\.$""")]
    private static partial Regex NotProvided();

    [GeneratedRegex("""^Failed to bind parameter "(?<type>.+) (?<name>[^ "]+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex NotConverted();

    [GeneratedRegex("""^[+-]?[0-9]+$""")]
    private static partial Regex WholeNumber();

    private static bool RequiredFromBody(string message) => NotProvided().Match(message) is { Success: true } m && m.Groups["source"].Value == "body";

    /// <summary>
    /// The query parameter (camelCase, as the API spells it) whose value the framework could not convert or did not
    /// find, and a message saying what it takes. None for a route or header value: those keep the framework's answer.
    /// </summary>
    private static (string? Field, string? Message) QueryValue(string message, HttpRequest request)
    {
        if (NotProvided().Match(message) is { Success: true } missing && missing.Groups["source"].Value.Contains("query", StringComparison.Ordinal))
        {
            var name = CamelCase(missing.Groups["name"].Value);
            return (name, $"{name} is required.");
        }
        if (NotConverted().Match(message) is not { Success: true } failed) return (null, null);
        var field = CamelCase(failed.Groups["name"].Value);
        if (!request.Query.ContainsKey(field)) return (null, null);
        var type = failed.Groups["type"].Value;
        if (type.StartsWith("Nullable<", StringComparison.Ordinal)) type = type["Nullable<".Length..^1];
        return (field, type switch
        {
            "Guid" => $"{field} is not a valid id.",
            "int" or "long" => WholeNumber().IsMatch(failed.Groups["value"].Value) ? $"{field} is out of range." : $"{field} is not a whole number.",
            "bool" => $"{field} is true or false.",
            "DateTimeOffset" => $"{field} is not a time; give one in ISO 8601 with an offset, like 2026-03-02T09:00:00Z.",
            _ => $"{field} is not a valid value.",
        });
    }

    private static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static string JsonMessage(JsonException json)
    {
        // System.Text.Json messages name .NET types; say it in the API's words
        var message = json.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return $"Unknown field '{JsonField(json.Path)}'.";
        if (message.StartsWith(OffsetTimeConverter.NeedsOffset, StringComparison.Ordinal)) return $"'{JsonField(json.Path)}': {message}";
        if (RepeatedField(json) is { } repeated) return $"'{repeated}' is given more than once.";
        if (json.Path is { Length: > 1 }) return $"The value of '{JsonField(json.Path)}' is not valid (wrong type, or not one of the allowed values).";
        return "The body is not valid JSON.";
    }

    private static string? JsonField(string? path) => path is null or "$" ? null : path.TrimStart('$', '.');

    /// <summary>
    /// A member given twice in one object. System.Text.Json's path ends at the repeated member of a record and at the
    /// object of a dictionary or JsonElement, whose message names the member ("Duplicate property 'x' …") or not.
    /// </summary>
    private static string? RepeatedField(JsonException json)
    {
        if (!json.Message.StartsWith("Duplicate propert", StringComparison.Ordinal)) return null;
        var path = JsonField(json.Path);
        var named = DuplicateName().Match(json.Message) is { Success: true } m ? m.Groups["name"].Value : null;
        if (named is null || path is null) return path ?? named;
        return path == named || path.EndsWith("." + named, StringComparison.Ordinal) ? path : path + "." + named;
    }

    [GeneratedRegex("^Duplicate property '(?<name>[^']*)'")]
    private static partial Regex DuplicateName();

    /// <summary>The first required member a body left out: System.Text.Json names it only in its message ("… missing required properties including: 'subject', 'body'.").</summary>
    private static string? MissingField(JsonException json)
    {
        const string marker = "missing required properties including: '";
        var start = json.Message.IndexOf(marker, StringComparison.Ordinal);
        var end = start < 0 ? -1 : json.Message.IndexOf('\'', start + marker.Length);
        if (end < 0) return null;
        var name = json.Message[(start + marker.Length)..end];
        return JsonField(json.Path) is { } parent ? parent + "." + name : name;
    }
}

/// <summary>Answers 413 before reading a body whose declared length is over the limit, and caps the rest on Kestrel.</summary>
public sealed class RequestSizeLimit(RequestDelegate next, Microsoft.Extensions.Options.IOptions<LoopdeskOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // raw mail carries its attachments: the inbound endpoint takes messages up to the email limit
        var limit = context.Request.Path.StartsWithSegments("/api/v1/inbound/mime", StringComparison.OrdinalIgnoreCase)
            ? Math.Max(options.Value.Email.MaxMessageBytes, options.Value.Api.MaxRequestBodyBytes)
            // the portal's forms carry files up to the email limits, plus the form's text
            : Portal.PortalSetup.TakesFiles(context.Request)
                ? Math.Max(options.Value.Email.MaxAttachmentBytesPerMessage + 1024 * 1024, options.Value.Api.MaxRequestBodyBytes)
                : options.Value.Api.MaxRequestBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"The body is {context.Request.ContentLength} bytes; the limit is {limit}.", StatusCodes.Status413PayloadTooLarge);
        }
        await next(context);
    }
}
