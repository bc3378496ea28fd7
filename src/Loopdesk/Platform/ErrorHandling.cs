using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Platform;

/// <summary>
/// Turns what escapes a handler into problem details: a request the framework could not read keeps its status
/// (400 malformed JSON, 413 too large, 415 wrong content type) with the JSON path at fault; a lost update race is
/// 412; anything else is a 500 that says nothing of the inside.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var context = httpContext;
        var (status, kind, title, detail, field) = exception switch
        {
            BadHttpRequestException bad => Describe(bad),
            DbUpdateConcurrencyException => (412, "stale", "The resource changed since you read it.", "Someone else changed it at the same moment; read it again and retry.", (string?)"If-Match"),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "aborted", "Client closed the request.", null, null),
            _ => (500, "internal", "Something went wrong on our side.", "The error was logged; please try again or contact your administrator.", null),
        };
        if (status == 500) log.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        context.Response.StatusCode = status;
        if (status == 499) return true;
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = Problems.TypePrefix + kind };
        if (field is not null) problem.Extensions["field"] = field;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static (int, string, string, string?, string?) Describe(BadHttpRequestException bad)
    {
        var json = bad.InnerException as JsonException ?? bad.InnerException?.InnerException as JsonException;
        return bad.StatusCode switch
        {
            413 => (413, "too-large", "The request is too large.", bad.Message, null),
            415 => (415, "unsupported-media-type", "Unsupported content type.", "Send the body as application/json.", "Content-Type"),
            _ when json is not null => (400, "malformed", "The request body could not be read.", JsonMessage(json), MissingField(json) ?? JsonField(json.Path)),
            _ => (bad.StatusCode, "bad-request", "The request could not be read.", bad.Message, null),
        };
    }

    private static string JsonMessage(JsonException json)
    {
        // System.Text.Json messages name .NET types; say it in the API's words
        var message = json.Message;
        if (MissingField(json) is { } missing) return $"'{missing}' is required.";
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal)) return $"Unknown field '{JsonField(json.Path)}'.";
        if (json.Path is { Length: > 1 }) return $"The value of '{JsonField(json.Path)}' is not valid (wrong type, or not one of the allowed values).";
        return "The body is not valid JSON.";
    }

    private static string? JsonField(string? path) => path is null or "$" ? null : path.TrimStart('$', '.');

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
