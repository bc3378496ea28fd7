using System.Text.RegularExpressions;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Customers;

/// <summary>A handle on another network, written "network:handle" ("mastodon:@anna@social.example", "x:anna_k").</summary>
public static partial class SocialHandle
{
    public static string? Normalize(string? input, out string? problem)
    {
        problem = null;
        var text = input?.Trim() ?? "";
        if (text.Length is 0 or > 160) { problem = "must be \"network:handle\", up to 160 characters"; return null; }
        if (TextRules.FindProblem(text) is { } p) { problem = p; return null; }
        var match = Shape().Match(text);
        if (!match.Success) { problem = "must be \"network:handle\" (letters, digits, _ . - @)"; return null; }
        return $"{match.Groups[1].Value.ToLowerInvariant()}:{match.Groups[2].Value.TrimStart('@').ToLowerInvariant()}";
    }

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):(@?[\p{L}\p{N}_.@-]{1,120})$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
