using System.Text.RegularExpressions;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Customers;

/// <summary>An email address in the one form we compare on: trimmed, lower-case, checked for spoofing.</summary>
public static partial class EmailAddress
{
    public const int MaxLength = 254;

    /// <summary>Normalizes <paramref name="input"/>; returns null and says why when it is not a usable address.</summary>
    public static string? Normalize(string? input, out string? problem)
    {
        problem = null;
        var text = input?.Trim() ?? "";
        if (text.Length == 0) { problem = "is empty"; return null; }
        if (text.Length > MaxLength) { problem = $"is longer than {MaxLength} characters"; return null; }
        if (TextRules.FindProblem(text) is { } p) { problem = p; return null; }
        if (!Shape().IsMatch(text)) { problem = "is not an email address (name@example.com)"; return null; }
        return text.ToLowerInvariant();
    }

    // Local part: the dot-atom of RFC 5322 (no quoted strings, which nobody legitimately uses with a help desk);
    // domain: labels of letters, digits and hyphens, with a dot. Unicode letters are allowed (IDN, EAI).
    [GeneratedRegex(@"^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*@([\p{L}\p{N}]([\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}]{2,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
