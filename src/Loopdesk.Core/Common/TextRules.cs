using System.Globalization;
using System.Text;

namespace Loopdesk.Core.Common;

/// <summary>
/// Checks on human-entered text that guard against spoofing: invisible characters (zero-width,
/// bidi overrides, other format and control characters), compatibility look-alikes of Latin letters and digits
/// (full-width "ｐａｙｐａｌ") and words that mix look-alike scripts (a Cyrillic "а" inside a Latin word), the usual
/// tricks to pass one person off as another.
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
            if (rune.Value >= 0x80 && IsLatinLookAlike(rune)) return $"contains a look-alike of a Latin letter or digit ({rune}, U+{rune.Value:X4})";
        }
        foreach (var word in text.Split([' ', '\t', '\n', '\r', '-', '.', '@', '_', '\''], StringSplitOptions.RemoveEmptyEntries))
        {
            if (MixesScripts(word)) return $"mixes look-alike alphabets in \"{word}\"";
        }
        return null;
    }

    /// <summary>
    /// True for a compatibility form that stands for plain Latin letters or digits: full-width "ｆ", mathematical "𝐟",
    /// the Roman numeral "ⅰ", a ligature "ﬁ". Accented letters and other alphabets are themselves.
    /// </summary>
    public static bool IsLatinLookAlike(Rune rune)
    {
        // letters and digits only: symbols such as "™" or "²" stand for nothing a name could be mistaken for
        if (!Rune.IsLetter(rune) && Rune.GetUnicodeCategory(rune) is not (UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber)) return false;
        Span<char> units = stackalloc char[2];
        var text = new string(units[..rune.EncodeToUtf16(units)]);
        if (text.IsNormalized(NormalizationForm.FormKC)) return false;
        var plain = text.Normalize(NormalizationForm.FormKC);
        return plain.Length > 0 && plain.All(char.IsAsciiLetterOrDigit);
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
