using System.Text.RegularExpressions;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Lexicon;

/// <summary>The lexicon a new help desk starts with, and the checks an entry passes before an admin can save it.</summary>
public static class LexiconEntries
{
    public const int IdMaxLength = 100;
    public const int PatternMaxLength = 500;
    public const int WhyMaxLength = 1_000;
    public const int SuggestionMaxLength = 1_000;

    /// <summary>
    /// How regular expressions are compiled: linear time (no backtracking), so no pattern can run away on a long reply.
    /// This engine has no backreferences, lookarounds, atomic groups or conditionals.
    /// </summary>
    public const RegexOptions RegexOptionsUsed = RegexOptions.NonBacktracking | RegexOptions.IgnoreCase | RegexOptions.CultureInvariant;

    /// <summary>A second guard: no single rule may spend longer than this on one text.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>Checks an entry: an id, a category, a pattern of at most <see cref="PatternMaxLength"/> characters that compiles, and why and better words.</summary>
    public static Verdict Validate(LexiconEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrWhiteSpace(entry.Id)) return Verdict.Deny("lexicon.id_required", "Give the entry an id.", "id");
        if (entry.Id.Length > IdMaxLength) return Verdict.Deny("lexicon.id_too_long", $"An id may be at most {IdMaxLength} characters.", "id");
        if (!Enum.IsDefined(entry.Category)) return Verdict.Deny("lexicon.category_unknown", "Choose banned, sales pitch, probing or escalation.", "category");
        if (string.IsNullOrWhiteSpace(entry.Pattern)) return Verdict.Deny("lexicon.pattern_required", "Give the words to look for.", "pattern");
        if (entry.Pattern.Length > PatternMaxLength)
        {
            return Verdict.Deny("lexicon.pattern_too_long", $"A pattern may be at most {PatternMaxLength} characters; this one has {entry.Pattern.Length}.", "pattern");
        }
        if (string.IsNullOrWhiteSpace(entry.Why)) return Verdict.Deny("lexicon.why_required", "Say why these words hurt, so the agent learns something.", "why");
        if (entry.Why.Length > WhyMaxLength) return Verdict.Deny("lexicon.why_too_long", $"The why may be at most {WhyMaxLength} characters.", "why");
        if (string.IsNullOrWhiteSpace(entry.Suggestion)) return Verdict.Deny("lexicon.suggestion_required", "Suggest better words.", "suggestion");
        if (entry.Suggestion.Length > SuggestionMaxLength)
        {
            return Verdict.Deny("lexicon.suggestion_too_long", $"The suggestion may be at most {SuggestionMaxLength} characters.", "suggestion");
        }
        if (!entry.IsRegex)
        {
            return NormalizedText.Of(entry.Pattern).WordCount == 0
                ? Verdict.Deny("lexicon.pattern_required", "The phrase has no words in it.", "pattern")
                : Verdict.Ok;
        }
        return CompileRegex(entry.Pattern, out _);
    }

    /// <summary>Compiles a rule's regular expression, wrapped in word boundaries.</summary>
    internal static Verdict CompileRegex(string pattern, out Regex? regex)
    {
        regex = null;
        Regex raw;
        try
        {
            // the pattern on its own first, so a wrapper cannot mend or hide its syntax
            raw = new Regex(pattern, RegexOptionsUsed, MatchTimeout);
            regex = new Regex(@"\b(?:" + pattern + @")\b", RegexOptionsUsed, MatchTimeout);
        }
        catch (NotSupportedException e)
        {
            return Verdict.Deny("lexicon.unsupported_regex",
                "This pattern needs backtracking (a backreference like \\1, a lookahead or lookbehind, an atomic group or a conditional), "
                + "which could make checking a long reply take forever. Rewrite it without those, or split it into several entries. (" + e.Message + ")",
                "pattern");
        }
        catch (ArgumentException e)
        {
            return Verdict.Deny("lexicon.invalid_regex", "This is not a valid regular expression: " + e.Message, "pattern");
        }
        if (raw.IsMatch(""))
        {
            regex = null;
            return Verdict.Deny("lexicon.invalid_regex", "The pattern matches empty text; it would flag every reply.", "pattern");
        }
        return Verdict.Ok;
    }

    /// <summary>
    /// The starting lexicon, as an experienced support lead would coach a new colleague. Regular expressions are written
    /// against normalized text: lower case, single spaces, contractions expanded ("can't" is "can not").
    /// </summary>
    public static IReadOnlyList<LexiconEntry> Defaults { get; } =
    [
        // Banned: words that put the customer down or close the door
        new("banned.our-policy", LexiconCategory.Banned, "(it is|that is|this is)( just| simply)? (our|company|the) policy", true,
            "Hides behind rules; the customer hears \"no\" without a reason, and feels nobody is on their side.",
            "Explain the reason and what you can do: \"Here is what I can do…\" or \"We do this because…, so the best way forward is…\""),
        new("banned.you-are-wrong", LexiconCategory.Banned, "you are (wrong|mistaken|incorrect)", true,
            "Nobody has ever been convinced by being told they are wrong; it turns a problem into a fight.",
            "Share what you see: \"From what I can see on our side…\" or \"I may be missing something, here is what our records show…\""),
        new("banned.calm-down", LexiconCategory.Banned, "calm down", false,
            "Telling an upset person to calm down tells them their feelings do not count. It never calms anyone.",
            "Acknowledge first: \"I can hear how frustrating this has been, and I want to sort it out.\""),
        new("banned.as-i-said", LexiconCategory.Banned, "as (i|we) (already |previously )?(said|mentioned|explained|stated|told you)", true,
            "Sounds like \"you were not listening\". If they missed it, our first explanation was not clear enough.",
            "Say it again, better: \"To recap…\" or \"Let me put that more clearly…\""),
        new("banned.per-my-last", LexiconCategory.Banned, "(as )?per my (last|previous|earlier) (email|e mail|message|reply|note)", true,
            "Reads as passive-aggressive, however politely meant.",
            "Repeat the point itself: \"Just to bring the key part back up: …\""),
        new("banned.nothing-we-can-do", LexiconCategory.Banned, "(there is )?nothing (else )?(i|we) can do", true,
            "A dead end. Customers forgive a \"no\" much more easily than a shrug.",
            "Offer what is possible: \"I can't change X, but I can do Y, and here is how we'll keep you posted.\""),
        new("banned.cannot-help", LexiconCategory.Banned, "(i|we) (can not|am not able to|are not able to|am unable to|are unable to) help you", true,
            "Closes the door on the person, not just the request.",
            "Say what you can do, or who can: \"This is outside what I can change, so I've asked our billing team to pick it up today.\""),
        new("banned.not-my-job", LexiconCategory.Banned, "not my (job|problem|fault|responsibility)", true,
            "Whatever reached us is ours to look after; the customer does not care about our org chart.",
            "Own the next step: \"I'll make sure this gets to the right person and follow up with you.\""),
        new("banned.user-error", LexiconCategory.Banned, "user error", false,
            "Blames the customer, even when it is true. If people keep making the same mistake, the product is making it easy.",
            "Describe the fix, not the fault: \"The setting that does this is a bit hidden — here is where to find it.\""),
        new("banned.you-should-have", LexiconCategory.Banned, "you should have (read|checked|known|followed|looked|noticed|seen)", true,
            "Hindsight as a reproach; it cannot be acted on and it stings.",
            "Look forward: \"Next time, the quickest way is…\" or simply help with where they are now."),
        new("banned.you-must-have", LexiconCategory.Banned, "you (must|probably) have (deleted|removed|changed|entered|typed|clicked|forgotten|missed|broken|done something)", true,
            "A guess that blames them. Even when it turns out right, it is not how they want to hear it.",
            "Describe what happened, not who did it: \"It looks like the file was removed on Tuesday — here's how to bring it back.\""),
        new("banned.to-be-honest", LexiconCategory.Banned, "(to be honest|to be frank|honestly speaking)", true,
            "Implies we are not always honest.",
            "Leave it out; say the honest thing plainly."),
        new("banned.misunderstood", LexiconCategory.Banned, "you (have )?(misunderstood|misread|got it wrong|got that wrong)", true,
            "Puts the misunderstanding on them; it takes two to misunderstand.",
            "Own the clarity: \"I don't think I explained that well — what I meant was…\""),

        // Sales pitches: a support reply is not the place
        new("sales.upgrade", LexiconCategory.SalesPitch, "upgrade (to |your plan to |your account to )?(our |the )?(premium|pro|plus|business|enterprise|gold)", true,
            "Selling while someone is stuck feels like being charged for our own bug.",
            "Solve the problem first. If a plan really fits their need, mention it once the issue is fixed, as information, not a pitch."),
        new("sales.special-offer", LexiconCategory.SalesPitch, "(special|exclusive) (offer|deal|discount|promotion)", true,
            "Turns a support conversation into marketing; the customer came for help.",
            "Leave offers to marketing emails the customer opted into."),
        new("sales.buy-now", LexiconCategory.SalesPitch, "(buy|subscribe|sign up|upgrade) (now|today)", true,
            "Pressure to buy in a support reply erodes trust in everything else we say.",
            "Remove it. If a product would help, explain how it solves their problem and let them decide."),
        new("sales.check-out-new", LexiconCategory.SalesPitch, "check out our (new|latest)", true,
            "A product plug they did not ask for, in a reply they need for something else.",
            "Stick to their question; new features belong in release notes."),
        new("sales.limited-time", LexiconCategory.SalesPitch, "(limited time|for a limited period|while stocks last|while supplies last)", true,
            "Urgency tactics in support feel manipulative.",
            "Remove it. A support reply makes no offer that expires."),
        new("sales.dont-miss-out", LexiconCategory.SalesPitch, "do not miss out", false,
            "Marketing language; it does not belong in help.",
            "Remove it, and keep the reply about their issue."),

        // Probing: fair questions, but only after we have said sorry
        new("probe.plugged-in", LexiconCategory.Probing, "(did|have) you (try |tried )?(to )?(plug|plugged|plugging) (it|this|that|the \\w+) in", true,
            "Before an apology, this sounds like we think they are clueless.",
            "Apologise for the trouble first, then own the check: \"Sorry this stopped working. To rule out the simple things, could you check the cable is firmly in?\""),
        new("probe.restart", LexiconCategory.Probing, "(did|have) you (try |tried )?(to )?(re ?start|re ?started|re ?starting|re ?boot|re ?booted|re ?booting|turn it off|turned it off|turning it off)", true,
            "The classic brush-off when it comes first; they have almost certainly tried it.",
            "Say sorry first and explain why: \"Sorry about this. A restart clears a known glitch here — could you try it once more and let me know?\""),
        new("probe.read-the-docs", LexiconCategory.Probing, "(did|have) you (read|checked|looked at|seen|tried) (the|our) (manual|faq|faqs|documentation|docs|help center|help centre|knowledge base|guide)", true,
            "Sounds like \"RTFM\". They came to a person because the page did not help.",
            "Apologise, then give the answer with the link: \"Sorry for the hassle. Here are the steps (and the article, should you need it again): …\""),
        new("probe.clear-cache", LexiconCategory.Probing, "(did|have) you (try |tried )?(to )?(clear|cleared|clearing) (your|the) (cache|cookies|browser)", true,
            "A checklist question before any empathy reads as a script.",
            "Acknowledge and guide: \"Sorry about that. Clearing the browser cache often fixes this — here's how: …\""),
        new("probe.are-you-sure", LexiconCategory.Probing, "are you (sure|certain) (that )?you", true,
            "Questions their competence before we have shown any goodwill.",
            "Apologise and check together: \"Sorry this is being stubborn. Could you walk me through what you entered, so we can spot it together?\""),

        // Escalation: handing the problem back to the customer
        new("escalation.ask-a-manager", LexiconCategory.Escalation,
            "you (need to|have to|will have to|will need to|would have to|would need to|must|should) (ask|talk to|speak to|speak with|contact|call|email) (a|the|your|my|our) (manager|supervisor|team lead|boss)", true,
            "Makes the customer do our internal work. Getting a manager involved is our job, not theirs.",
            "Escalate it yourself: \"I've asked my manager to look at this and will get back to you by …\""),
        new("escalation.other-department", LexiconCategory.Escalation,
            "you (need to|have to|will have to|will need to|would have to|should) (contact|call|email|ask|talk to|reach out to|get in touch with) (another|a different|the other|the right|the relevant|the appropriate|our other) (department|team)", true,
            "Sends them off to start over somewhere else; every handover is a new wait and a new explanation.",
            "Hand it over warmly yourself: \"I've passed this to our shipping team with all the details, so you won't have to repeat anything.\""),
        new("escalation.not-our-department", LexiconCategory.Escalation, "(not|outside) (our|my) (department|team|area)", true,
            "To the customer we are one company; our departments are our business.",
            "\"That's handled by our finance colleagues — I've forwarded it to them and I'll keep an eye on it.\""),
        new("escalation.call-us", LexiconCategory.Escalation, "you (will )?(need|have) to (call|phone|ring) (us|our|the)", true,
            "Pushes them to another channel and another queue, when they chose this one.",
            "Handle it here if you can; if a call truly helps, offer to call them: \"Would it help if I gave you a ring? When suits you?\""),
    ];
}
