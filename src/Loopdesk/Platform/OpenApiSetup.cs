using System.Text.Json;
using System.Text.Json.Nodes;
using Loopdesk.Core.Common;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Loopdesk.Platform;

internal static class OpenApiSetup
{
    public static void Configure(OpenApiOptions o)
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Loopdesk API",
                Version = "v1",
                Description = "Tickets, customers, teams and agents of a Loopdesk help desk. Authenticate with a personal API token "
                    + "(`Authorization: Bearer ldk_…`). Errors are RFC 9457 problem details whose `type` is a stable URN and whose "
                    + "`field` names the field at fault. Updates take `If-Match` with the ETag of the version you read.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A personal API token, made with `loopdesk token create` or POST /api/v1/agents/{id}/tokens.",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            DescribeErrors(operation, context.Description);
            return Task.CompletedTask;
        });
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Components!.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas[ProblemSchema] = Problem();
            DescribeVersions(document);
            return Task.CompletedTask;
        });
        // the schema exporter cannot see the names through Json's SingleEnumNameConverterFactory: list them (null too when nullable)
        o.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            var enumType = Nullable.GetUnderlyingType(type) ?? type;
            if (!enumType.IsEnum || schema.Enum is { Count: > 0 }) return Task.CompletedTask;
            schema.Enum = [.. Enum.GetNames(enumType).Select(n => (JsonNode)JsonValue.Create(JsonNamingPolicy.KebabCaseLower.ConvertName(n)))];
            if (enumType != type) schema.Enum.Add(null!);
            return Task.CompletedTask;
        });
        // Optional<T> is a JSON value of T that may be absent: describe it as T
        o.AddSchemaTransformer(async (schema, context, ct) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(Optional<>)) return;
            var inner = await context.GetOrCreateSchemaAsync(type.GetGenericArguments()[0], null, ct);
            schema.Type = inner.Type;
            schema.Format = inner.Format;
            schema.Enum = inner.Enum;
            schema.Properties = inner.Properties;
            schema.Items = inner.Items;
            schema.Required = inner.Required;
        });
    }


    private const string ProblemSchema = "Problem";

    /// <summary>
    /// The errors an operation of the API can answer, each an RFC 9457 problem: what every request may get (400, 429), what
    /// a signed-in route adds (401, 403), one naming a resource (404), and one that sends a body (413, 415, 422).
    /// </summary>
    private static void DescribeErrors(OpenApiOperation operation, Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description)
    {
        var path = description.RelativePath ?? "";
        if (!path.StartsWith("api/v1/", StringComparison.Ordinal)) return;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var signedIn = metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Any()
            && !metadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any();
        var sendsBody = description.HttpMethod is "POST" or "PUT" or "PATCH";
        operation.Responses ??= [];
        void Add(string status, string text) => operation.Responses.TryAdd(status, ProblemResponse(text));
        Add("400", "The request is not valid (`urn:loopdesk:problem:validation`: `field` names the field, `errors` lists every message) "
            + "or could not be read (`urn:loopdesk:problem:malformed`).");
        if (signedIn)
        {
            Add("401", "No credentials, or unknown, expired or revoked ones (`urn:loopdesk:problem:unauthorized`).");
            Add("403", "The role is too low, or the action is not yours (`urn:loopdesk:problem:forbidden`).");
        }
        if (path.Contains('{', StringComparison.Ordinal)) Add("404", "Nothing with that id or reference, or nothing you may see (`urn:loopdesk:problem:not-found`).");
        if (sendsBody)
        {
            Add("413", "The body is over the size limit (`urn:loopdesk:problem:too-large`).");
            Add("415", "The body is not in a media type the operation takes (`urn:loopdesk:problem:unsupported-media-type`).");
            Add("422", "The change breaks a rule (`urn:loopdesk:problem:rule`); `code` names the rule.");
        }
        Add("429", "Over the rate limit (`urn:loopdesk:problem:rate-limited`).");
        foreach (var (status, response) in operation.Responses)
        {
            if (status == "201" && response is OpenApiResponse created)
            {
                created.Headers ??= new Dictionary<string, IOpenApiHeader>();
                created.Headers.TryAdd("Location", new OpenApiHeader { Description = "Where the new resource is read.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
            }
        }
    }

    /// <summary>
    /// A resource changed with <c>If-Match</c> is versioned: its reads and writes answer its ETag, and a stale If-Match is 412.
    /// </summary>
    private static void DescribeVersions(OpenApiDocument document)
    {
        foreach (var (_, item) in document.Paths)
        {
            if (item.Operations is not { } operations) continue;
            static bool TakesIfMatch(OpenApiOperation op)
                => op.Parameters?.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, "If-Match", StringComparison.OrdinalIgnoreCase)) == true;
            if (!operations.Values.Any(TakesIfMatch)) continue;
            foreach (var (method, op) in operations)
            {
                if (TakesIfMatch(op))
                {
                    op.Responses ??= [];
                    op.Responses.TryAdd("412", ProblemResponse("If-Match does not match the current version (`urn:loopdesk:problem:stale`, with `currentETag`); nothing changed."));
                }
                if (method != HttpMethod.Get && method != HttpMethod.Patch && method != HttpMethod.Put) continue;
                foreach (var (status, response) in op.Responses ?? [])
                {
                    if (status != "200" || response is not OpenApiResponse ok) continue;
                    ok.Headers ??= new Dictionary<string, IOpenApiHeader>();
                    ok.Headers.TryAdd("ETag", new OpenApiHeader { Description = "The version read, like \"v3\": send it back as If-Match.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                }
            }
        }
    }

    private static OpenApiResponse ProblemResponse(string text) => new()
    {
        Description = text,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema) } },
    };

    /// <summary>The shape of every error (docs/api.md, Errors).</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 9457 problem: `type` is a stable URN per kind of error, `field` the field at fault, `code` the exact rule.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["field"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
        },
    };
}
