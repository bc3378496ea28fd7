using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Loopdesk.Core.Lexicon;

namespace Loopdesk.Core.Tests.Lexicon;

public class LexiconCheckerTests
{
    private static readonly LexiconChecker Checker = new(LexiconEntries.Defaults);

    private static LexiconFinding Single(string text, string ruleId, bool apologised = false)
    {
        var findings = Checker.Check(text, apologised);
        var finding = Assert.Single(findings, f => f.RuleId == ruleId);
        Assert.Equal(finding.Text, text.Substring(finding.Start, finding.Length));
        return finding;
    }

    private static LexiconEntry RegexEntry(string pattern) => new("custom", LexiconCategory.Banned, pattern, true, "because", "better");

    [Fact]
    public void The_defaults_are_valid_distinct_and_cover_every_category()
    {
        Assert.InRange(LexiconEntries.Defaults.Count, 20, 40);
        Assert.All(LexiconEntries.Defaults, e => Assert.True(LexiconEntries.Validate(e).IsOk, e.Id));
        Assert.Equal(LexiconEntries.Defaults.Count, LexiconEntries.Defaults.Select(e => e.Id).Distinct().Count());
        foreach (var category in Enum.GetValues<LexiconCategory>()) Assert.Contains(LexiconEntries.Defaults, e => e.Category == category);
    }

    [Fact]
    public void Finds_a_banned_phrase_with_why_and_better_words()
    {
        var finding = Single("I understand, but it's our policy to charge for returns.", "banned.our-policy");
        Assert.Equal(LexiconCategory.Banned, finding.Category);
        Assert.Equal("it's our policy", finding.Text);
        Assert.Contains("rules", finding.Why, StringComparison.Ordinal);
        Assert.Contains("Here is what I can do", finding.Suggestion, StringComparison.Ordinal);
        Assert.Equal("You're wrong", Single("You're wrong about the invoice.", "banned.you-are-wrong").Text);
    }

    [Fact]
    public void Finds_a_sales_pitch()
    {
        var findings = Checker.Check("Fixed! By the way, upgrade to Premium and check out our new dashboard — special offer, limited-time only, buy now!", false);
        Assert.All(findings, f => Assert.Equal(LexiconCategory.SalesPitch, f.Category));
        Assert.Equal(["sales.upgrade", "sales.check-out-new", "sales.special-offer", "sales.limited-time", "sales.buy-now"], findings.Select(f => f.RuleId));
        Assert.Equal("upgrade to Premium", findings[0].Text);
    }

    [Fact]
    public void Finds_probing_questions_before_any_apology()
    {
        Assert.Equal("Did you plug it in", Single("Hi! Did you plug it in? And have you tried restarting?", "probe.plugged-in").Text);
        Assert.Equal("have you tried restarting", Single("Hi! Did you plug it in? And have you tried restarting?", "probe.restart").Text);
        Assert.Equal(LexiconCategory.Probing, Single("Did you restart the router?", "probe.restart").Category);
        Assert.Equal("Did you try rebooting", Single("Did you try rebooting?", "probe.restart").Text);
        Assert.Equal("have you tried to clear your cache", Single("Hello, have you tried to clear your cache?", "probe.clear-cache").Text);
    }

    [Fact]
    public void Probing_is_fine_after_an_apology_in_the_conversation()
        => Assert.DoesNotContain(Checker.Check("Did you plug it in? Did you restart it?", conversationHasApology: true), f => f.Category == LexiconCategory.Probing);

    [Fact]
    public void Probing_is_fine_after_an_apology_earlier_in_the_same_text_but_not_before_it()
    {
        Assert.Empty(Checker.Check("I'm so sorry this happened. Did you restart the printer after the update?", false));
        var findings = Checker.Check("Did you restart the printer? Sorry, I should have asked that first. Have you cleared the cache?", false);
        Assert.Equal("probe.restart", Assert.Single(findings).RuleId);
        Assert.Empty(Checker.Check("Our apologies for the delay! Have you read the FAQ?", false));
    }

    [Fact]
    public void Finds_handing_the_problem_back()
    {
        var finding = Single("For a refund you'll need to ask a manager.", "escalation.ask-a-manager");
        Assert.Equal(LexiconCategory.Escalation, finding.Category);
        Assert.Equal("you'll need to ask a manager", finding.Text);
        Assert.Equal("You need to ask a manager", Single("You need to ask a manager.", "escalation.ask-a-manager").Text);
        Single("That's not our department, you will have to contact another team.", "escalation.other-department");
    }

    [Theory]
    [InlineData("It’s our policy.")]
    [InlineData("It‘s our policy.")]
    [InlineData("Itʼs our policy.")]
    [InlineData("“It's our policy”")]
    public void Curly_quotes_and_apostrophes_match(string text)
        => Assert.StartsWith("It", Single(text, "banned.our-policy").Text, StringComparison.Ordinal);

    [Fact]
    public void Contractions_match_both_ways()
    {
        var entry = new LexiconEntry("t.dont", LexiconCategory.Banned, "I don't know", false, "because", "better");
        var expanded = new LexiconEntry("t.do-not", LexiconCategory.Banned, "we are unable", false, "because", "better");
        var checker = new LexiconChecker([entry, expanded]);
        Assert.Single(checker.Check("Honestly I do not know.", false), f => f.RuleId == "t.dont");
        Assert.Single(checker.Check("Honestly I don’t know.", false), f => f.RuleId == "t.dont");
        Assert.Single(checker.Check("Sadly we're unable to.", false), f => f.RuleId == "t.do-not");
        Assert.Single(checker.Check("Sadly we are unable to.", false), f => f.RuleId == "t.do-not");
        Single("It is our policy.", "banned.our-policy");
        Single("We can't help you with that.", "banned.cannot-help");
        Single("We cannot help you with that.", "banned.cannot-help");
        Single("We can not help you with that.", "banned.cannot-help");
        Single("Don't miss out!", "sales.dont-miss-out");
        Single("Do not miss out!", "sales.dont-miss-out");
        Single("I'm afraid you won't have to; you're wrong", "banned.you-are-wrong");
    }

    [Fact]
    public void Punctuation_case_and_spacing_between_words_are_ignored()
    {
        var finding = Single("Well...   it's... our   POLICY!!", "banned.our-policy");
        Assert.Equal("it's... our   POLICY", finding.Text);
        Single("Please, calm-down.", "banned.calm-down");
        Single("you\nare\twrong", "banned.you-are-wrong");
    }

    [Fact]
    public void Spans_point_at_the_original_text()
    {
        const string text = "Héllo Zoë 👋, thanks for waiting.\r\n\r\nUnfortunately it’s   our policy — sorry!";
        var finding = Single(text, "banned.our-policy");
        Assert.Equal(text.IndexOf("it’s", StringComparison.Ordinal), finding.Start);
        Assert.Equal("it’s   our policy", finding.Text);
    }

    [Theory]
    [InlineData("Our refund policy allows 30 days.")]
    [InlineData("Your manager will call you tomorrow.")]
    [InlineData("I'll ask a manager to look at it today.")]
    [InlineData("The policy is clear: you get a full refund.")]
    [InlineData("We're upgrading our servers tonight.")]
    [InlineData("Is it in the politics section?")]
    [InlineData("Clearly you've been patient, thank you.")]
    [InlineData("Our team will call you back within the hour.")]
    [InlineData("")]
    [InlineData("   \n\t ... !!! ")]
    public void No_false_positives(string text)
        => Assert.Empty(Checker.Check(text, false));

    [Fact]
    public void Phrases_match_whole_words_only()
    {
        var checker = new LexiconChecker([new LexiconEntry("t.cat", LexiconCategory.Banned, "cat", false, "because", "better")]);
        Assert.Empty(checker.Check("concatenate the category", false));
        Assert.Equal(2, checker.Check("Cat, cat.", false).Count);
    }

    [Fact]
    public void Apologies_are_recognised()
    {
        Assert.True(LexiconChecker.ContainsApology("So SORRY about that."));
        Assert.True(LexiconChecker.ContainsApology("Please accept our apologies."));
        Assert.True(LexiconChecker.ContainsApology("I apologise for the delay."));
        Assert.True(LexiconChecker.ContainsApology("We truly regret the trouble."));
        Assert.False(LexiconChecker.ContainsApology("Thanks for getting in touch."));
        Assert.False(LexiconChecker.ContainsApology(""));
    }

    [Fact]
    public void A_catastrophic_pattern_runs_in_linear_time()
    {
        const string evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
        Assert.True(LexiconEntries.Validate(RegexEntry("(a+)+$")).IsOk);
        var watch = Stopwatch.StartNew();
        // the engine the lexicon compiles with, on the raw text a backtracking engine chokes on
        var engine = new Regex("(a+)+$", LexiconEntries.RegexOptionsUsed, LexiconEntries.MatchTimeout);
        Assert.DoesNotMatch(engine, evil);
        Assert.DoesNotMatch(engine, new string('a', 100_000) + "!");
        // through the checker the "!" is punctuation, so the run of a's is the whole normalized text
        var checker = new LexiconChecker([RegexEntry("(a+)+$")]);
        Assert.Equal(evil[..^1], Assert.Single(checker.Check(evil, false)).Text);
        checker.Check(string.Concat(Enumerable.Repeat("aaaaaaaaaa! ", 10_000)), false);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData(@"(\w+) \1")]
    [InlineData("you(?= are)")]
    [InlineData("(?<!not )sorry")]
    [InlineData("(?>a+)b")]
    public void Patterns_that_need_backtracking_are_denied(string pattern)
    {
        var verdict = LexiconEntries.Validate(RegexEntry(pattern));
        Assert.Equal("lexicon.unsupported_regex", verdict.Code);
        Assert.Contains("backtracking", verdict.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new LexiconChecker([RegexEntry(pattern)]));
    }

    [Theory]
    [InlineData("(unclosed", "lexicon.invalid_regex")]
    [InlineData("a)(b", "lexicon.invalid_regex")]
    [InlineData("[z-a]", "lexicon.invalid_regex")]
    [InlineData("a*", "lexicon.invalid_regex")]
    public void Broken_patterns_are_denied(string pattern, string code)
        => Assert.Equal(code, LexiconEntries.Validate(RegexEntry(pattern)).Code);

    [Fact]
    public void Entries_are_checked_before_saving()
    {
        Assert.Equal("lexicon.pattern_too_long", LexiconEntries.Validate(RegexEntry(new string('a', 501))).Code);
        Assert.True(LexiconEntries.Validate(RegexEntry(new string('a', 500))).IsOk);
        Assert.Equal("lexicon.id_required", LexiconEntries.Validate(new LexiconEntry(" ", LexiconCategory.Banned, "x", false, "w", "s")).Code);
        Assert.Equal("lexicon.pattern_required", LexiconEntries.Validate(new LexiconEntry("a", LexiconCategory.Banned, "...", false, "w", "s")).Code);
        Assert.Equal("lexicon.why_required", LexiconEntries.Validate(new LexiconEntry("a", LexiconCategory.Banned, "x", false, "", "s")).Code);
        Assert.Equal("lexicon.suggestion_required", LexiconEntries.Validate(new LexiconEntry("a", LexiconCategory.Banned, "x", false, "w", "")).Code);
        Assert.Equal("lexicon.category_unknown", LexiconEntries.Validate(new LexiconEntry("a", (LexiconCategory)42, "x", false, "w", "s")).Code);
    }

    [Fact]
    public void Regex_entries_match_the_normalized_text_on_word_boundaries()
    {
        var checker = new LexiconChecker([RegexEntry("(can not|will not) (refund|replace)")]);
        var finding = Assert.Single(checker.Check("Sorry, we CAN’T refund it.", false));
        Assert.Equal("CAN’T refund", finding.Text);
        Assert.Empty(checker.Check("We can not refunding", false));
    }

    [Fact]
    public void Empty_text_has_no_findings()
        => Assert.Empty(Checker.Check("", false));

    [Fact]
    public void A_100_kb_reply_is_checked_quickly()
    {
        var builder = new StringBuilder();
        while (builder.Length < 100_000)
        {
            builder.Append("Thanks for your patience while we looked into the sync problem on your account. ");
            if (builder.Length % 7 == 0) builder.Append("It’s our policy, you’re wrong! ");
        }
        builder.Append("Did you restart it? Upgrade to premium now.");
        Checker.Check("warm up", false);
        var watch = Stopwatch.StartNew();
        var findings = Checker.Check(builder.ToString(), false);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
        Assert.Contains(findings, f => f.RuleId == "probe.restart");
        Assert.Contains(findings, f => f.RuleId == "sales.upgrade");
    }
}
