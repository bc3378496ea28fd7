using Microsoft.Extensions.Primitives;

namespace Loopdesk.Platform;

/// <summary>
/// In the API's query strings an empty value is a parameter not given: <c>?status=&amp;teamId=</c>, as forms and
/// URL templates send them, lists everything rather than failing to read "" as a status or an id.
/// </summary>
public sealed class EmptyQueryValues(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) && query.Any(p => p.Value.Any(string.IsNullOrEmpty)))
        {
            var given = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, values) in query)
            {
                var nonEmpty = values.Where(v => !string.IsNullOrEmpty(v)).ToArray();
                if (nonEmpty.Length > 0) given[key] = new StringValues(nonEmpty);
            }
            context.Request.Query = new QueryCollection(given);
        }
        return next(context);
    }
}
