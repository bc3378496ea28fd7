namespace Loopdesk.Core.Lexicon;

/// <summary>What kind of wording a lexicon entry catches.</summary>
public enum LexiconCategory
{
    /// <summary>Words that put the customer down or shut the conversation: "it's our policy", "you're wrong".</summary>
    Banned,
    /// <summary>Selling in a support reply: "upgrade to premium", "special offer".</summary>
    SalesPitch,
    /// <summary>Checking questions ("did you plug it in?") before anyone has said sorry; fine once we have.</summary>
    Probing,
    /// <summary>Handing the problem back to the customer: "you need to ask a manager".</summary>
    Escalation,
}

/// <summary>
/// One rule of the lexicon. A phrase <paramref name="Pattern"/> matches whole words, ignoring case, punctuation,
/// curly quotes and contractions ("it's our policy" finds "It is... our POLICY"). A regular expression
/// (<paramref name="IsRegex"/>) is matched against the normalized text: lower case words separated by single spaces,
/// contractions expanded ("can't" reads "can not", "you're" reads "you are"), punctuation gone.
/// </summary>
public sealed record LexiconEntry(string Id, LexiconCategory Category, string Pattern, bool IsRegex, string Why, string Suggestion);

/// <summary>
/// A piece of a reply the lexicon has something to say about: where it is in the text as written
/// (<paramref name="Start"/>, <paramref name="Length"/>, <paramref name="Text"/>), which rule, why, and better words.
/// </summary>
public sealed record LexiconFinding(int Start, int Length, string Text, string RuleId, LexiconCategory Category, string Why, string Suggestion);
