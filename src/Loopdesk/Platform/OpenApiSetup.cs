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
}
