using System.Globalization;
using System.Text;

namespace Loopdesk.Core.Common;

/// <summary>
/// Checks on human-entered text that guard against spoofing: invisible characters (zero-width,
/// bidi overrides, other format and control characters) and words that mix look-alike scripts
/// (a Cyrillic "а" inside a Latin word), the usual tricks to pass one person off as another.
/// </summary>
public static class TextRules
{
    /// <summary>Null when the text is clean, else why it is not.</summary>
    public static string? FindProblem(string text, bool allowNewLines = false)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (allowNewLines && (rune.Value == '\n' || rune.Value == '\r' || rune.Value == '\t')) continue;
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.PrivateUse
                or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned
                || rune.Value is 0x2028 or 0x2029)
            {
                return $"contains an invisible or control character (U+{rune.Value:X4})";
            }
        }
        foreach (var word in text.Split([' ', '\t', '\n', '\r', '-', '.', '@', '_', '\''], StringSplitOptions.RemoveEmptyEntries))
        {
            if (MixesScripts(word)) return $"mixes look-alike alphabets in \"{word}\"";
        }
        return null;
    }

    /// <summary>True when one word holds letters from more than one of Latin, Greek and Cyrillic.</summary>
    public static bool MixesScripts(string word)
    {
        Script? seen = null;
        foreach (var rune in word.EnumerateRunes())
        {
            var script = ScriptOf(rune);
            if (script is null) continue;
            if (seen is not null && seen != script) return true;
            seen = script;
        }
        return false;
    }

    private enum Script { Latin, Greek, Cyrillic }

    private static Script? ScriptOf(Rune rune)
    {
        if (!Rune.IsLetter(rune)) return null;
        var v = rune.Value;
        if (v < 0x0250 || (v >= 0x1E00 && v <= 0x1EFF)) return Script.Latin;
        if ((v >= 0x0370 && v <= 0x03FF) || (v >= 0x1F00 && v <= 0x1FFF)) return Script.Greek;
        if ((v >= 0x0400 && v <= 0x052F) || (v >= 0x2DE0 && v <= 0x2DFF) || (v >= 0xA640 && v <= 0xA69F)) return Script.Cyrillic;
        return null;
    }
}
