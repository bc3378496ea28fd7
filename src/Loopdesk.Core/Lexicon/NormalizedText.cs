using System.Text;

namespace Loopdesk.Core.Lexicon;

/// <summary>
/// Text as the lexicon reads it: lower case words joined by single spaces, curly apostrophes straightened,
/// contractions expanded ("it's" → "it is", "can't" and "cannot" → "can not"), punctuation dropped. Every word
/// remembers where it came from, so a match in the normalized text maps back to a span of the original.
/// </summary>
internal sealed class NormalizedText
{
    private readonly List<int> _normStarts = [];
    private readonly List<int> _normEnds = [];
    private readonly List<int> _origStarts = [];
    private readonly List<int> _origEnds = [];

    private NormalizedText(string value) => Value = value;

    public string Value { get; private set; }

    public int WordCount => _normStarts.Count;

    /// <summary>Words that stand for a pronoun plus "is" when followed by "'s".</summary>
    private static readonly HashSet<string> IsPronouns = new(StringComparer.Ordinal)
    {
        "it", "that", "what", "there", "here", "he", "she", "who", "where", "how", "when", "why", "this", "everything", "nothing", "something",
    };

    /// <summary>Whole words with irregular expansions, including common spellings without the apostrophe.</summary>
    private static readonly Dictionary<string, string[]> Irregular = new(StringComparer.Ordinal)
    {
        ["can't"] = ["can", "not"], ["cannot"] = ["can", "not"], ["cant"] = ["can", "not"],
        ["won't"] = ["will", "not"], ["shan't"] = ["shall", "not"], ["ain't"] = ["is", "not"],
        ["let's"] = ["let", "us"], ["y'all"] = ["you", "all"], ["i'm"] = ["i", "am"], ["im"] = ["i", "am"],
        ["dont"] = ["do", "not"], ["doesnt"] = ["does", "not"], ["didnt"] = ["did", "not"], ["isnt"] = ["is", "not"],
        ["arent"] = ["are", "not"], ["wasnt"] = ["was", "not"], ["werent"] = ["were", "not"], ["havent"] = ["have", "not"],
        ["hasnt"] = ["has", "not"], ["hadnt"] = ["had", "not"], ["couldnt"] = ["could", "not"], ["shouldnt"] = ["should", "not"],
        ["wouldnt"] = ["would", "not"], ["youre"] = ["you", "are"], ["theyre"] = ["they", "are"], ["youll"] = ["you", "will"],
        ["youve"] = ["you", "have"], ["ive"] = ["i", "have"], ["thats"] = ["that", "is"],
    };

    public static NormalizedText Of(string text)
    {
        var result = new NormalizedText("");
        var builder = new StringBuilder(text.Length);
        var word = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (!IsWordChar(text[i]))
            {
                i++;
                continue;
            }
            var start = i;
            word.Clear();
            while (i < text.Length)
            {
                var c = text[i];
                if (IsWordChar(c)) word.Append(char.ToLowerInvariant(c));
                else if (IsApostrophe(c) && i + 1 < text.Length && char.IsLetter(text[i + 1])) word.Append('\'');
                else break;
                i++;
            }
            foreach (var part in Expand(word.ToString()))
            {
                if (builder.Length > 0) builder.Append(' ');
                result._normStarts.Add(builder.Length);
                builder.Append(part);
                result._normEnds.Add(builder.Length);
                result._origStarts.Add(start);
                result._origEnds.Add(i);
            }
        }
        result.Value = builder.ToString();
        return result;
    }

    /// <summary>The original span of the words a normalized range [start, end) touches; null when it touches none.</summary>
    public (int Start, int End)? ToOriginal(int start, int end)
    {
        if (WordCount == 0 || end <= start) return null;
        var first = WordAt(start);
        if (first < WordCount && _normEnds[first] <= start) first++;
        var last = WordAt(end - 1);
        if (first >= WordCount || last < first) return null;
        return (_origStarts[first], _origEnds[last]);
    }

    /// <summary>The last word starting at or before a normalized position.</summary>
    private int WordAt(int position)
    {
        var index = _normStarts.BinarySearch(position);
        return index >= 0 ? index : Math.Max(0, ~index - 1);
    }

    private static string[] Expand(string word)
    {
        if (Irregular.TryGetValue(word, out var parts)) return parts;
        if (word.EndsWith("n't", StringComparison.Ordinal) && word.Length > 3) return [word[..^3], "not"];
        var apostrophe = word.LastIndexOf('\'');
        if (apostrophe > 0)
        {
            var stem = word[..apostrophe];
            switch (word[(apostrophe + 1)..])
            {
                case "re": return [stem, "are"];
                case "ve": return [stem, "have"];
                case "ll": return [stem, "will"];
                case "d": return [stem, "would"];
                case "m": return [stem, "am"];
                case "s" when IsPronouns.Contains(stem): return [stem, "is"];
            }
        }
        return [word];
    }

    private static bool IsWordChar(char c) => !IsApostrophe(c) && (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark);

    private static bool IsApostrophe(char c) => c is '\'' or '\u2019' or '\u2018' or '\u02BC' or '`' or '\u00B4' or '\u2032';
}
