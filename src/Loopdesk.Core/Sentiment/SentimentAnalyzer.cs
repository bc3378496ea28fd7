using System.Buffers;
using System.Collections.Frozen;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Loopdesk.Core.Sentiment;

/// <summary>
/// Scores how positive or negative a customer's message reads, so that an angry one can be noticed before it is
/// read. It is VADER (Hutto &amp; Gilbert 2014, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of
/// Social Media Text"): the validated VADER lexicon embedded in this assembly (see README.md beside this file),
/// with VADER's rules for negation, degree words ("very", "kind of"), words in capitals among words that are not,
/// the contrast of "but", "least", a few idioms, and the emphasis of "!" and "?".
/// Emoji are not translated into words as the Python reference does, since its emoji table is not in the vendored
/// package: only the lexicon's text emoticons (":)", ":D", "&lt;3") carry sentiment. English only.
/// An instance holds no state but the lexicon and may be shared between threads.
/// </summary>
public sealed class SentimentAnalyzer
{
    // The empirically derived constants of VADER's rules, as in its reference source.
    private const double BoosterIncrement = 0.293;
    private const double BoosterDecrement = -0.293;
    private const double CapsIncrement = 0.733;
    private const double NegationScalar = -0.74;
    private const double ExclamationIncrement = 0.292;
    private const int MaxExclamations = 4;
    private const double QuestionIncrement = 0.18;
    private const double ManyQuestionsIncrement = 0.96;
    private const double NormalizationAlpha = 15;
    private const string LexiconResource = "Loopdesk.Core.Sentiment.vader_lexicon.txt";

    private static readonly Lazy<SentimentAnalyzer> LazyDefault =
        new(() => new SentimentAnalyzer(LoadLexicon()), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Python's <c>string.punctuation</c>, which VADER strips from the ends of words.</summary>
    private static readonly SearchValues<char> Punctuation = SearchValues.Create("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

    private static readonly FrozenSet<string> Negations = FrozenSet.Create(StringComparer.Ordinal,
    [
        "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
        "ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
        "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
        "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
        "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
        "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
        "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
        "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite",
    ]);

    /// <summary>Degree adverbs that raise ("boosters") or lower ("dampeners") the intensity of what follows.</summary>
    private static readonly FrozenDictionary<string, double> Boosters = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["absolutely"] = BoosterIncrement, ["amazingly"] = BoosterIncrement, ["awfully"] = BoosterIncrement,
        ["completely"] = BoosterIncrement, ["considerable"] = BoosterIncrement, ["considerably"] = BoosterIncrement,
        ["decidedly"] = BoosterIncrement, ["deeply"] = BoosterIncrement, ["effing"] = BoosterIncrement,
        ["enormous"] = BoosterIncrement, ["enormously"] = BoosterIncrement, ["entirely"] = BoosterIncrement,
        ["especially"] = BoosterIncrement, ["exceptional"] = BoosterIncrement, ["exceptionally"] = BoosterIncrement,
        ["extreme"] = BoosterIncrement, ["extremely"] = BoosterIncrement, ["fabulously"] = BoosterIncrement,
        ["flipping"] = BoosterIncrement, ["flippin"] = BoosterIncrement, ["frackin"] = BoosterIncrement,
        ["fracking"] = BoosterIncrement, ["fricking"] = BoosterIncrement, ["frickin"] = BoosterIncrement,
        ["frigging"] = BoosterIncrement, ["friggin"] = BoosterIncrement, ["fully"] = BoosterIncrement,
        ["fuckin"] = BoosterIncrement, ["fucking"] = BoosterIncrement, ["fuggin"] = BoosterIncrement,
        ["fugging"] = BoosterIncrement, ["greatly"] = BoosterIncrement, ["hella"] = BoosterIncrement,
        ["highly"] = BoosterIncrement, ["hugely"] = BoosterIncrement, ["incredible"] = BoosterIncrement,
        ["incredibly"] = BoosterIncrement, ["intensely"] = BoosterIncrement, ["major"] = BoosterIncrement,
        ["majorly"] = BoosterIncrement, ["more"] = BoosterIncrement, ["most"] = BoosterIncrement,
        ["particularly"] = BoosterIncrement, ["purely"] = BoosterIncrement, ["quite"] = BoosterIncrement,
        ["really"] = BoosterIncrement, ["remarkably"] = BoosterIncrement, ["so"] = BoosterIncrement,
        ["substantially"] = BoosterIncrement, ["thoroughly"] = BoosterIncrement, ["total"] = BoosterIncrement,
        ["totally"] = BoosterIncrement, ["tremendous"] = BoosterIncrement, ["tremendously"] = BoosterIncrement,
        ["uber"] = BoosterIncrement, ["unbelievably"] = BoosterIncrement, ["unusually"] = BoosterIncrement,
        ["utter"] = BoosterIncrement, ["utterly"] = BoosterIncrement, ["very"] = BoosterIncrement,
        ["almost"] = BoosterDecrement, ["barely"] = BoosterDecrement, ["hardly"] = BoosterDecrement,
        ["just enough"] = BoosterDecrement, ["kind of"] = BoosterDecrement, ["kinda"] = BoosterDecrement,
        ["kindof"] = BoosterDecrement, ["kind-of"] = BoosterDecrement, ["less"] = BoosterDecrement,
        ["little"] = BoosterDecrement, ["marginal"] = BoosterDecrement, ["marginally"] = BoosterDecrement,
        ["occasional"] = BoosterDecrement, ["occasionally"] = BoosterDecrement, ["partly"] = BoosterDecrement,
        ["scarce"] = BoosterDecrement, ["scarcely"] = BoosterDecrement, ["slight"] = BoosterDecrement,
        ["slightly"] = BoosterDecrement, ["somewhat"] = BoosterDecrement, ["sort of"] = BoosterDecrement,
        ["sorta"] = BoosterDecrement, ["sortof"] = BoosterDecrement, ["sort-of"] = BoosterDecrement,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Phrases around a lexicon word whose valence replaces the word's own.</summary>
    private static readonly FrozenDictionary<string, double> SpecialCases = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["the shit"] = 3, ["the bomb"] = 3, ["bad ass"] = 1.5, ["badass"] = 1.5, ["bus stop"] = 0.0,
        ["yeah right"] = -2, ["kiss of death"] = -1.5, ["to die for"] = 3,
        ["beating heart"] = 3.1, ["broken heart"] = -2.9,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, double> _lexicon;

    private SentimentAnalyzer(FrozenDictionary<string, double> lexicon) => _lexicon = lexicon;

    /// <summary>The analyzer over the embedded VADER lexicon, read once on first use.</summary>
    public static SentimentAnalyzer Default => LazyDefault.Value;

    /// <summary>
    /// VADER's <c>polarity_scores</c> of <paramref name="text"/>. Text with no words (empty, white space, a lone
    /// character) scores all zeros, as in VADER. VADER is made for a sentence or a short message; a long text gets one
    /// score for the whole, in time proportional to its length.
    /// </summary>
    public SentimentScores Score(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Tokenize(text);
        if (words.Count == 0) return new SentimentScores(0, 0, 0, 0);

        var lower = new string[words.Count];
        for (var i = 0; i < words.Count; i++) lower[i] = words[i].ToLowerInvariant();
        var capsDiffer = SomeButNotAllUpper(words);

        var sentiments = new double[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            // degree words modify the word after them and carry no sentiment of their own
            if (Boosters.ContainsKey(lower[i])) continue;
            if (i < words.Count - 1 && lower[i] == "kind" && lower[i + 1] == "of") continue;
            sentiments[i] = Valence(words, lower, i, capsDiffer);
        }
        ApplyBut(lower, sentiments);
        return Summarize(sentiments, text);
    }

    /// <summary>True when the scores read angry: the compound is at or below <paramref name="threshold"/>.</summary>
    public static bool SoundsAngry(SentimentScores scores, double threshold = -0.6) => scores.Compound <= threshold;

    private double Valence(List<string> words, string[] lower, int i, bool capsDiffer)
    {
        if (!_lexicon.TryGetValue(lower[i], out var own)) return 0;
        var valence = own;

        // "no" right before a lexicon word negates it rather than counting as negative itself
        if (lower[i] == "no" && i != words.Count - 1 && _lexicon.ContainsKey(lower[i + 1])) valence = 0;
        if ((i > 0 && lower[i - 1] == "no")
            || (i > 1 && lower[i - 2] == "no")
            || (i > 2 && lower[i - 3] == "no" && lower[i - 1] is "or" or "nor"))
        {
            valence = own * NegationScalar;
        }

        if (capsDiffer && IsUpper(words[i])) valence = valence > 0 ? valence + CapsIncrement : valence - CapsIncrement;

        // the three words before, the farther ones weighing less, when they are not lexicon words themselves
        for (var distance = 0; distance < 3; distance++)
        {
            var j = i - (distance + 1);
            if (j < 0 || _lexicon.ContainsKey(lower[j])) continue;
            var scalar = BoosterScalar(words[j], lower[j], valence, capsDiffer);
            if (distance == 1) scalar *= 0.95;
            else if (distance == 2) scalar *= 0.9;
            valence += scalar;
            valence = CheckNegation(valence, lower, distance, i);
            if (distance == 2) valence = CheckSpecialCases(valence, lower, i);
        }
        return CheckLeast(valence, lower, i);
    }

    private static double BoosterScalar(string word, string lowerWord, double valence, bool capsDiffer)
    {
        if (!Boosters.TryGetValue(lowerWord, out var scalar)) return 0;
        if (valence < 0) scalar = -scalar;
        if (capsDiffer && IsUpper(word)) scalar = valence > 0 ? scalar + CapsIncrement : scalar - CapsIncrement;
        return scalar;
    }

    /// <summary>
    /// A negation up to three words before flips and damps the valence ("not good"), except in "without (a) doubt";
    /// "never so good" and "never this good" strengthen it instead.
    /// </summary>
    private static double CheckNegation(double valence, string[] lower, int distance, int i)
    {
        switch (distance)
        {
            case 0:
                if (IsNegation(lower[i - 1])) valence *= NegationScalar;
                break;
            case 1:
                if (lower[i - 2] == "never" && lower[i - 1] is "so" or "this") valence *= 1.25;
                else if (!(lower[i - 2] == "without" && lower[i - 1] == "doubt") && IsNegation(lower[i - 2])) valence *= NegationScalar;
                break;
            default:
                if ((lower[i - 3] == "never" && lower[i - 2] is "so" or "this") || lower[i - 1] is "so" or "this") valence *= 1.25;
                else if (!(lower[i - 3] == "without" && (lower[i - 2] == "doubt" || lower[i - 1] == "doubt"))
                         && IsNegation(lower[i - 3]))
                {
                    valence *= NegationScalar;
                }
                break;
        }
        return valence;
    }

    private static bool IsNegation(string lowerWord) => Negations.Contains(lowerWord) || lowerWord.Contains("n't", StringComparison.Ordinal);

    private static double CheckSpecialCases(double valence, string[] lower, int i)
    {
        var oneZero = $"{lower[i - 1]} {lower[i]}";
        var twoOneZero = $"{lower[i - 2]} {lower[i - 1]} {lower[i]}";
        var twoOne = $"{lower[i - 2]} {lower[i - 1]}";
        var threeTwoOne = $"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}";
        var threeTwo = $"{lower[i - 3]} {lower[i - 2]}";
        foreach (var sequence in (ReadOnlySpan<string>)[oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo])
        {
            if (SpecialCases.TryGetValue(sequence, out var special))
            {
                valence = special;
                break;
            }
        }
        if (lower.Length - 1 > i && SpecialCases.TryGetValue($"{lower[i]} {lower[i + 1]}", out var after)) valence = after;
        if (lower.Length - 1 > i + 1 && SpecialCases.TryGetValue($"{lower[i]} {lower[i + 1]} {lower[i + 2]}", out var after2)) valence = after2;

        // degree phrases of several words: "kind of", "sort of", "just enough"
        foreach (var nGram in (ReadOnlySpan<string>)[threeTwoOne, threeTwo, twoOne])
        {
            if (Boosters.TryGetValue(nGram, out var scalar)) valence += scalar;
        }
        return valence;
    }

    /// <summary>"least good" negates; "at least good" and "very least good" do not.</summary>
    private double CheckLeast(double valence, string[] lower, int i)
    {
        if (i > 1 && lower[i - 1] == "least" && !_lexicon.ContainsKey(lower[i - 1]))
        {
            if (lower[i - 2] != "at" && lower[i - 2] != "very") valence *= NegationScalar;
        }
        else if (i > 0 && lower[i - 1] == "least" && !_lexicon.ContainsKey(lower[i - 1]))
        {
            valence *= NegationScalar;
        }
        return valence;
    }

    /// <summary>What comes after the first "but" counts half again as much, what comes before it half as much.</summary>
    private static void ApplyBut(string[] lower, double[] sentiments)
    {
        var but = Array.IndexOf(lower, "but");
        if (but < 0) return;
        for (var i = 0; i < sentiments.Length; i++)
        {
            if (i < but) sentiments[i] *= 0.5;
            else if (i > but) sentiments[i] *= 1.5;
        }
    }

    private static SentimentScores Summarize(double[] sentiments, string text)
    {
        var sum = 0.0;
        foreach (var s in sentiments) sum += s;
        var emphasis = PunctuationEmphasis(text);
        if (sum > 0) sum += emphasis;
        else if (sum < 0) sum -= emphasis;
        var compound = Normalize(sum);

        double positive = 0, negative = 0;
        var neutral = 0;
        foreach (var s in sentiments)
        {
            // the +1 and -1 make up for the neutral words, each counted as 1
            if (s > 0) positive += s + 1;
            else if (s < 0) negative += s - 1;
            else neutral++;
        }
        if (positive > Math.Abs(negative)) positive += emphasis;
        else if (positive < Math.Abs(negative)) negative -= emphasis;

        var total = positive + Math.Abs(negative) + neutral;
        return new SentimentScores(
            Negative: RoundHalfEven(Math.Abs(negative / total), 3),
            Neutral: RoundHalfEven(Math.Abs(neutral / total), 3),
            Positive: RoundHalfEven(Math.Abs(positive / total), 3),
            Compound: RoundHalfEven(compound, 4));
    }

    /// <summary>Up to four "!" add emphasis each; two or three "?" add some, more than three a fixed amount.</summary>
    private static double PunctuationEmphasis(string text)
    {
        var exclamations = Math.Min(text.AsSpan().Count('!'), MaxExclamations);
        var questions = text.AsSpan().Count('?');
        var questionEmphasis = questions switch
        {
            <= 1 => 0.0,
            <= 3 => questions * QuestionIncrement,
            _ => ManyQuestionsIncrement,
        };
        return exclamations * ExclamationIncrement + questionEmphasis;
    }

    private static double Normalize(double score) =>
        Math.Clamp(score / Math.Sqrt(score * score + NormalizationAlpha), -1.0, 1.0);

    /// <summary>
    /// The words of the text as VADER sees them: split on white space, single characters left out, and punctuation
    /// stripped from both ends of a word unless that leaves two characters or fewer (so ":)" and ":D" stay whole
    /// while "funny!!!" becomes "funny"); contractions such as "isn't" keep their apostrophe.
    /// </summary>
    private static List<string> Tokenize(string text)
    {
        var words = new List<string>();
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length)
        {
            while (i < span.Length && IsSpace(span[i])) i++;
            var start = i;
            while (i < span.Length && !IsSpace(span[i])) i++;
            var token = span[start..i];
            if (CodePoints(token) <= 1) continue;

            var first = token.IndexOfAnyExcept(Punctuation);
            var stripped = first < 0 ? [] : token[first..(token.LastIndexOfAnyExcept(Punctuation) + 1)];
            words.Add(CodePoints(stripped) <= 2 ? token.ToString() : stripped.ToString());
        }
        return words;
    }

    /// <summary>White space as Python's <c>str.split()</c> knows it.</summary>
    private static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    private static int CodePoints(ReadOnlySpan<char> s)
    {
        var count = 0;
        foreach (var c in s)
        {
            if (!char.IsLowSurrogate(c)) count++;
        }
        return count;
    }

    /// <summary>Python's <c>str.isupper()</c>: at least one cased letter, and no lower or title case one.</summary>
    private static bool IsUpper(string word)
    {
        var upper = false;
        foreach (var rune in word.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter) return false;
            if (category == UnicodeCategory.UppercaseLetter) upper = true;
        }
        return upper;
    }

    /// <summary>True when some of the words, but not all, are in capitals: only then do capitals add emphasis.</summary>
    private static bool SomeButNotAllUpper(List<string> words)
    {
        var upper = 0;
        foreach (var word in words)
        {
            if (IsUpper(word)) upper++;
        }
        var others = words.Count - upper;
        return others > 0 && others < words.Count;
    }

    /// <summary>
    /// Python's <c>round(value, digits)</c>: the nearest multiple of 10^-digits to the exact binary value, ties to
    /// even. Scaling by a power of ten first, as <see cref="Math.Round(double, int)"/> does, can turn a value just
    /// off a tie into a tie and round it the other way.
    /// </summary>
    private static double RoundHalfEven(double value, int digits)
    {
        if (value == 0 || !double.IsFinite(value)) return value == 0 ? 0 : value;
        var bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        var exponent = (int)(bits >> 52);
        var mantissa = bits & ((1L << 52) - 1);
        if (exponent == 0) exponent = 1;
        else mantissa |= 1L << 52;
        exponent -= 1075; // |value| = mantissa * 2^exponent exactly

        var power = BigInteger.Pow(10, digits);
        var scaled = mantissa * power;
        BigInteger rounded;
        if (exponent >= 0)
        {
            rounded = scaled << exponent;
        }
        else
        {
            var denominator = BigInteger.One << -exponent;
            rounded = BigInteger.DivRem(scaled, denominator, out var remainder);
            var half = (remainder << 1).CompareTo(denominator);
            if (half > 0 || (half == 0 && !rounded.IsEven)) rounded += 1;
        }
        var result = (double)rounded / (double)power;
        if (result == 0) return 0;
        return value < 0 ? -result : result;
    }

    private static FrozenDictionary<string, double> LoadLexicon()
    {
        using var stream = typeof(SentimentAnalyzer).Assembly.GetManifestResourceStream(LexiconResource)
            ?? throw new InvalidOperationException($"The embedded resource {LexiconResource} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        // token TAB mean valence TAB standard deviation TAB the ten ratings; a token listed twice keeps its last line
        var lexicon = new Dictionary<string, double>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            lexicon[fields[0]] = double.Parse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return lexicon.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
