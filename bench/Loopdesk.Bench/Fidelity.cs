using System.Globalization;
using System.Text.RegularExpressions;

namespace Loopdesk.Bench;

/// <summary>
/// Checks that the harness writes rows as the server does: a ticket opened through the API and one written by the harness
/// from the same request are read back from every table, and each column must hold the same kind of value (upper-case
/// id text, EF's instant text, JSON, a native uuid …); columns that do not depend on ids or time must be equal.
/// </summary>
internal static partial class Fidelity
{
    private static readonly Dictionary<string, string[]> SameValue = new(StringComparer.Ordinal)
    {
        ["Tickets"] = ["Subject", "Status", "Type", "Priority", "Channel", "Tags", "CustomFields", "SharedWith", "Version", "DueAt", "AssigneeId"],
        ["Messages"] = ["Direction", "Channel", "AuthorKind", "Text", "Html", "Internal", "ExternalId", "Attachments"],
        ["Contacts"] = ["Channel", "Summary", "RecordedByKind"],
        ["TicketEvents"] = ["Type", "ActorKind", "Data"],
        ["Customers"] = ["PreferredName", "Language", "TimeZone", "Expertise", "LifetimeValue", "Referrals", "AccountCount", "Vip", "Notes", "MergedIntoId", "Version"],
        ["CustomerIdentities"] = ["Kind"],
    };

    /// <summary>Differences between two tickets' rows; empty when they match. <paramref name="sameValues"/>: also compare the fixed columns.</summary>
    public static async Task<List<string>> CompareAsync(Store store, Guid ticketA, Guid ticketB, bool sameValues, CancellationToken ct)
    {
        var problems = new List<string>();
        var ta = await store.RowsWhereAsync("Tickets", "Id", ticketA, ct);
        var tb = await store.RowsWhereAsync("Tickets", "Id", ticketB, ct);
        Compare("Tickets", ta, tb, sameValues, problems);
        if (ta.Count != 1 || tb.Count != 1) return problems;
        foreach (var table in new[] { "Messages", "Contacts", "TicketEvents" })
        {
            Compare(table, await store.RowsWhereAsync(table, "TicketId", ticketA, ct), await store.RowsWhereAsync(table, "TicketId", ticketB, ct), sameValues, problems);
        }
        var ca = AsGuid(ta[0]["CustomerId"]);
        var cb = AsGuid(tb[0]["CustomerId"]);
        Compare("Customers", await store.RowsWhereAsync("Customers", "Id", ca, ct), await store.RowsWhereAsync("Customers", "Id", cb, ct), sameValues, problems);
        Compare("CustomerIdentities", await store.RowsWhereAsync("CustomerIdentities", "CustomerId", ca, ct),
            await store.RowsWhereAsync("CustomerIdentities", "CustomerId", cb, ct), sameValues, problems);
        return problems;
    }

    private static void Compare(string table, List<Dictionary<string, object?>> a, List<Dictionary<string, object?>> b, bool sameValues, List<string> problems)
    {
        if (sameValues && a.Count != b.Count)
        {
            problems.Add($"{table}: {a.Count} rows from the API, {b.Count} from the harness");
            return;
        }
        if (a.Count == 0 || b.Count == 0)
        {
            problems.Add($"{table}: no rows to compare");
            return;
        }
        // rows in creation order (ids are time-ordered); without equal counts, every row is held against the first of the other side
        a = [.. a.OrderBy(r => Canonical(r["Id"]), StringComparer.Ordinal)];
        b = [.. b.OrderBy(r => Canonical(r["Id"]), StringComparer.Ordinal)];
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var ra = a[sameValues ? i : Math.Min(i, a.Count - 1)];
            var rb = b[sameValues ? i : Math.Min(i, b.Count - 1)];
            foreach (var (column, va) in ra)
            {
                if (!rb.TryGetValue(column, out var vb))
                {
                    problems.Add($"{table}.{column}: missing");
                    continue;
                }
                if (va is not null && vb is not null && Kind(va) != Kind(vb))
                {
                    problems.Add($"{table}.{column}: API wrote {Kind(va)} ({Canonical(va)}), harness {Kind(vb)} ({Canonical(vb)})");
                }
                else if (sameValues && SameValue.TryGetValue(table, out var columns) && columns.Contains(column)
                    && Masked(Canonical(va)) != Masked(Canonical(vb)))
                {
                    problems.Add($"{table}.{column}: API wrote '{Canonical(va)}', harness '{Canonical(vb)}'");
                }
            }
        }
    }

    private static Guid AsGuid(object? value) => value switch
    {
        Guid g => g,
        string s => Guid.Parse(s),
        _ => throw new InvalidOperationException($"not an id: {value}"),
    };

    /// <summary>The kind of value a column holds, as the database gave it back.</summary>
    public static string Kind(object value)
    {
        if (value is not string s)
        {
            return value is DateTime d ? $"DateTime({d.Kind})" : value.GetType().Name;
        }
        if (Guid.TryParseExact(s, "D", out _)) return s.Any(char.IsAsciiLetterLower) ? "id text (lower case)" : "id text (upper case)";
        if (SqliteInstant().IsMatch(s)) return "instant text";
        if (s.StartsWith('[')) return "JSON array";
        if (s.StartsWith('{')) return "JSON object";
        if (DecimalText().IsMatch(s)) return "decimal text";
        return "text";
    }

    private static string Canonical(object? value) => value switch
    {
        null => "null",
        string s => s,
        Array array => "[" + string.Join(",", array.Cast<object?>().Select(Canonical)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Ids and references vary from ticket to ticket; everything else in an event's data must not.</summary>
    private static string Masked(string s) => Reference().Replace(AnyGuid().Replace(s, "<id>"), "<reference>");

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,7})?$", RegexOptions.CultureInvariant)]
    private static partial Regex SqliteInstant();

    [GeneratedRegex(@"^-?\d+\.\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalText();

    [GeneratedRegex(@"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", RegexOptions.CultureInvariant)]
    private static partial Regex AnyGuid();

    [GeneratedRegex(@"\b[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}\b", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
