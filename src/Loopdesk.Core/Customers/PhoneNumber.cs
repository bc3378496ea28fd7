namespace Loopdesk.Core.Customers;

/// <summary>
/// A phone number as people write it ("+1 (555) 010-2345", "0049 30 1234567", "555.010.2345"), reduced to its
/// digits (an international "00" prefix becomes "+"). Two numbers are the same person's when one's digits end
/// with the other's and they share at least <see cref="MatchDigits"/> trailing digits, so a national form matches
/// the international one.
/// </summary>
public static class PhoneNumber
{
    public const int MatchDigits = 8;

    public static string? Normalize(string? input, out string? problem)
    {
        problem = null;
        var text = input?.Trim() ?? "";
        if (text.Length == 0) { problem = "is empty"; return null; }
        if (text.Length > 40) { problem = "is longer than 40 characters"; return null; }
        var digits = new System.Text.StringBuilder(16);
        var plus = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= '0' and <= '9') digits.Append(c);
            else if (c == '+' && i == 0) plus = true;
            else if (c is ' ' or '-' or '.' or '(' or ')' or '/') continue;
            else { problem = "may hold only digits, spaces and + - . ( ) /"; return null; }
        }
        var d = digits.ToString();
        if (!plus && d.StartsWith("00", StringComparison.Ordinal)) { plus = true; d = d[2..]; }
        if (d.Length is < 7 or > 15) { problem = "must have between 7 and 15 digits"; return null; }
        return plus ? "+" + d : d;
    }

    /// <summary>The last digits, the part two ways of writing one number share.</summary>
    public static string Tail(string normalized)
    {
        var digits = normalized.TrimStart('+');
        return digits.Length <= MatchDigits ? digits : digits[^MatchDigits..];
    }

    /// <summary>True when the two normalized numbers are the same line written two ways.</summary>
    public static bool SameLine(string a, string b)
    {
        var x = a.TrimStart('+');
        var y = b.TrimStart('+');
        if (x.Length < y.Length) (x, y) = (y, x);
        if (a.StartsWith('+') && b.StartsWith('+')) return x == y;
        // a national number drops the country code and often a trunk "0"
        return x.EndsWith(y.TrimStart('0'), StringComparison.Ordinal) && y.TrimStart('0').Length >= MatchDigits;
    }
}
