using System.Globalization;
using System.Text;

namespace Loopdesk.Platform;

/// <summary>
/// An opaque keyset cursor: where the previous page (sorted newest first) ended, as an instant and a tie-breaking key
/// (a ticket reference, an id). Clients pass it back as-is; one this API did not make fails to decode.
/// </summary>
public readonly record struct PageCursor(DateTimeOffset At, string Key)
{
    public PageCursor(DateTimeOffset at, Guid id) : this(at, GuidKey(id)) { }

    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(At.UtcTicks.ToString(CultureInfo.InvariantCulture) + "|" + Key))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True for no cursor (null) and for a well-formed one whose key <paramref name="validKey"/> accepts.</summary>
    public static bool TryDecode(string? value, Func<string, bool> validKey, out PageCursor? cursor)
    {
        cursor = null;
        if (string.IsNullOrEmpty(value)) return true;
        if (value.Length > 200) return false;
        try
        {
            var base64 = value.Replace('-', '+').Replace('_', '/');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=')));
            var parts = text.Split('|');
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                || ticks > DateTimeOffset.MaxValue.UtcTicks || !validKey(parts[1]))
            {
                return false;
            }
            cursor = new PageCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static bool IsGuidKey(string key) => Guid.TryParseExact(key, "D", out var id) && GuidKey(id) == key;

    /// <summary>
    /// Drops the rows at or before the cursor from rows sorted newest first, ids breaking ties in the database's order
    /// (upper-case canonical text, which is also uuid byte order).
    /// </summary>
    public static IEnumerable<T> After<T>(IEnumerable<T> rows, PageCursor? cursor, Func<T, DateTimeOffset> at, Func<T, Guid> id)
        => cursor is not { } c ? rows : rows.Where(r => at(r) < c.At || (at(r) == c.At && string.CompareOrdinal(GuidKey(id(r)), c.Key) < 0));

    private static string GuidKey(Guid id) => id.ToString("D").ToUpperInvariant();
}
