using System.Text.RegularExpressions;

namespace Loopdesk.Core.Lexicon;

/// <summary>
/// Reads a reply before it is sent and points at wording that hurts: banned phrases, sales pitches, probing questions
/// asked before any apology, and handing the problem back to the customer. Matching ignores case, punctuation, curly
/// quotes and contractions; findings point at the text as written.
/// </summary>
public sealed partial class LexiconChecker
{
    private readonly Rule[] _rules;

    /// <exception cref="ArgumentException">An entry does not pass <see cref="LexiconEntries.Validate"/>.</exception>
    public LexiconChecker(IReadOnlyList<LexiconEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var rules = new List<Rule>(entries.Count);
        foreach (var entry in entries)
        {
            var verdict = LexiconEntries.Validate(entry);
            if (!verdict.IsOk) throw new ArgumentException($"Lexicon entry \"{entry.Id}\": {verdict.Message}", nameof(entries));
            if (entry.IsRegex)
            {
                LexiconEntries.CompileRegex(entry.Pattern, out var regex);
                rules.Add(new Rule(entry, null, regex));
            }
            else
            {
                rules.Add(new Rule(entry, NormalizedText.Of(entry.Pattern).Value, null));
            }
        }
        _rules = [.. rules];
    }

    /// <summary>
    /// The findings in <paramref name="text"/>, in order of position. Probing questions are left out when
    /// <paramref name="conversationHasApology"/> (we already said sorry earlier in the ticket) or when the text
    /// apologises before asking them.
    /// </summary>
    public IReadOnlyList<LexiconFinding> Check(string text, bool conversationHasApology)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return [];
        var normalized = NormalizedText.Of(text);
        if (normalized.WordCount == 0) return [];
        var firstApology = conversationHasApology ? 0 : FirstApology(normalized.Value);
        var findings = new List<LexiconFinding>();
        var seen = new HashSet<(int, int, string)>();
        foreach (var rule in _rules)
        {
            if (rule.Entry.Category == LexiconCategory.Probing && conversationHasApology) continue;
            foreach (var (start, end) in Matches(rule, normalized.Value))
            {
                if (rule.Entry.Category == LexiconCategory.Probing && firstApology >= 0 && firstApology < start) continue;
                if (normalized.ToOriginal(start, end) is not { } span) continue;
                if (!seen.Add((span.Start, span.End, rule.Entry.Id))) continue;
                var e = rule.Entry;
                findings.Add(new LexiconFinding(span.Start, span.End - span.Start, text[span.Start..span.End], e.Id, e.Category, e.Why, e.Suggestion));
            }
        }
        findings.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start)
            : a.Length != b.Length ? b.Length.CompareTo(a.Length)
            : string.CompareOrdinal(a.RuleId, b.RuleId));
        return findings;
    }

    /// <summary>Whether the text says sorry: "sorry", "I apologise", "our apologies", "we regret".</summary>
    public static bool ContainsApology(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return FirstApology(NormalizedText.Of(text).Value) >= 0;
    }

    private static int FirstApology(string normalized)
    {
        var match = Apology().Match(normalized);
        return match.Success ? match.Index : -1;
    }

    private static IEnumerable<(int Start, int End)> Matches(Rule rule, string normalized)
    {
        if (rule.Phrase is { Length: > 0 } phrase)
        {
            var from = 0;
            while (from <= normalized.Length - phrase.Length)
            {
                var at = normalized.IndexOf(phrase, from, StringComparison.Ordinal);
                if (at < 0) yield break;
                var end = at + phrase.Length;
                if ((at == 0 || normalized[at - 1] == ' ') && (end == normalized.Length || normalized[end] == ' ')) yield return (at, end);
                from = at + 1;
            }
            yield break;
        }
        if (rule.Regex is null) yield break;
        var found = new List<(int, int)>();
        try
        {
            foreach (var match in rule.Regex.EnumerateMatches(normalized))
            {
                if (match.Length > 0) found.Add((match.Index, match.Index + match.Length));
            }
        }
        catch (RegexMatchTimeoutException)
        {
            // the second guard: a rule that runs out of time reports what it found so far
        }
        foreach (var span in found) yield return span;
    }

    private sealed record Rule(LexiconEntry Entry, string? Phrase, Regex? Regex);

    [GeneratedRegex(@"\b(sorry|apolog(y|ies|ise|ize|ised|ized|ising|izing)|(i|we) (truly |really |sincerely |deeply )?regret)\b",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex Apology();
}
