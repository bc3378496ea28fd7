using System.Diagnostics;
using System.Text;
using Loopdesk.Core.Sentiment;

namespace Loopdesk.Core.Tests.Sentiment;

public class SentimentAnalyzerTests
{
    private static readonly SentimentAnalyzer Analyzer = SentimentAnalyzer.Default;

    // The example sentences of VADER's README (vaderSentiment 3.3.2) with the scores it publishes for them.
    [Theory]
    [InlineData("VADER is smart, handsome, and funny.", 0.0, 0.254, 0.746, 0.8316)]
    [InlineData("VADER is smart, handsome, and funny!", 0.0, 0.248, 0.752, 0.8439)]
    [InlineData("VADER is very smart, handsome, and funny.", 0.0, 0.299, 0.701, 0.8545)]
    [InlineData("VADER is VERY SMART, handsome, and FUNNY.", 0.0, 0.246, 0.754, 0.9227)]
    [InlineData("VADER is VERY SMART, handsome, and FUNNY!!!", 0.0, 0.233, 0.767, 0.9342)]
    [InlineData("VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!", 0.0, 0.294, 0.706, 0.9469)]
    [InlineData("VADER is not smart, handsome, nor funny.", 0.646, 0.354, 0.0, -0.7424)]
    [InlineData("The book was good.", 0.0, 0.508, 0.492, 0.4404)]
    [InlineData("At least it isn't a horrible book.", 0.0, 0.637, 0.363, 0.431)]
    [InlineData("The book was only kind of good.", 0.0, 0.697, 0.303, 0.3832)]
    [InlineData("The plot was good, but the characters are uncompelling and the dialog is not great.", 0.327, 0.579, 0.094, -0.7042)]
    [InlineData("Today SUX!", 0.779, 0.221, 0.0, -0.5461)]
    [InlineData("Today only kinda sux! But I'll get by, lol", 0.127, 0.556, 0.317, 0.5249)]
    [InlineData("Make sure you :) or :D today!", 0.0, 0.294, 0.706, 0.8633)]
    [InlineData("Not bad at all", 0.0, 0.513, 0.487, 0.431)]
    // published in the tests of the npm port the lexicon comes from
    [InlineData("The book was kind of good.", 0.0, 0.657, 0.343, 0.3832)]
    public void VADERs_published_examples_score_as_published(string text, double negative, double neutral, double positive, double compound)
        => Assert.Equal(new SentimentScores(negative, neutral, positive, compound), Analyzer.Score(text));

    [Fact]
    public void An_angry_complaint_sounds_angry()
    {
        var scores = Analyzer.Score("This is the THIRD time I've written and NOBODY answers. Absolutely unacceptable!!!");
        Assert.True(SentimentAnalyzer.SoundsAngry(scores), $"compound {scores.Compound}");
        Assert.True(scores.Negative > scores.Positive);
    }

    [Theory]
    [InlineData("Thank you so much, the new release fixed it. Great support!")]
    [InlineData("Thanks for the quick answer, that solved my problem :)")]
    public void A_thank_you_does_not_sound_angry(string text)
    {
        var scores = Analyzer.Score(text);
        Assert.False(SentimentAnalyzer.SoundsAngry(scores));
        Assert.True(scores.Compound >= 0.05, $"compound {scores.Compound}");
    }

    [Fact]
    public void A_plain_question_is_neutral()
    {
        var scores = Analyzer.Score("How do I change the email address on my account?");
        Assert.Equal(0, scores.Compound);
        Assert.Equal(1, scores.Neutral);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" \r\n\t ")]
    [InlineData("a")]
    public void Text_without_words_scores_zero(string text)
    {
        var scores = Analyzer.Score(text);
        Assert.Equal(new SentimentScores(0, 0, 0, 0), scores);
        Assert.False(SentimentAnalyzer.SoundsAngry(scores));
    }

    [Fact]
    public void Null_text_is_refused() => Assert.Throws<ArgumentNullException>(() => Analyzer.Score(null!));

    [Theory]
    [InlineData("The update is not good.", "The update is good.")]
    [InlineData("Sentiment analysis has never been good.", "Sentiment analysis has never been this good!")]
    [InlineData("Roger Dodger is one of the least compelling variations on this theme.", "Roger Dodger is at least compelling as a variation on the theme.")]
    [InlineData("The support was great, but the product is terrible.", "The product is terrible, but the support was great.")]
    public void The_rules_turn_the_score_the_way_VADER_means(string lower, string higher)
        => Assert.True(Analyzer.Score(lower).Compound < Analyzer.Score(higher).Compound);

    [Fact]
    public void Capitals_boosters_and_exclamation_marks_raise_the_intensity()
    {
        var plain = Analyzer.Score("The delay is bad.").Compound;
        Assert.True(Analyzer.Score("The delay is very bad.").Compound < plain);
        Assert.True(Analyzer.Score("The delay is BAD.").Compound < plain);
        Assert.True(Analyzer.Score("The delay is bad!!!").Compound < plain);
        Assert.True(Analyzer.Score("The delay is somewhat bad.").Compound > plain);
    }

    [Fact]
    public void Emoji_carry_no_sentiment_but_text_emoticons_do()
    {
        Assert.Equal(0, Analyzer.Score("Catch utf-8 emoji such as 💘 and 💋 and 😁").Compound);
        Assert.True(Analyzer.Score("works now :)").Compound > 0);
        Assert.True(Analyzer.Score("still broken :(").Compound < 0);
    }

    [Fact]
    public void The_three_shares_add_up_to_about_one()
    {
        var scores = Analyzer.Score("The plot was good, but the characters are uncompelling and the dialog is not great.");
        Assert.InRange(scores.Negative + scores.Neutral + scores.Positive, 0.998, 1.002);
    }

    [Theory]
    [InlineData(-0.6, true)]
    [InlineData(-0.9, true)]
    [InlineData(-0.5999, false)]
    [InlineData(0.5, false)]
    public void Sounding_angry_is_a_compound_at_or_below_the_threshold(double compound, bool angry)
        => Assert.Equal(angry, SentimentAnalyzer.SoundsAngry(new SentimentScores(0.5, 0.5, 0, compound)));

    [Fact]
    public void The_threshold_can_be_set()
    {
        var scores = new SentimentScores(0.3, 0.7, 0, -0.4);
        Assert.False(SentimentAnalyzer.SoundsAngry(scores));
        Assert.True(SentimentAnalyzer.SoundsAngry(scores, threshold: -0.3));
    }

    [Fact]
    public void A_very_long_text_scores_in_reasonable_time()
    {
        string[] sentences =
        [
            "This is the THIRD time I've written and NOBODY answers. ",
            "The book was only kind of good, but the support team was great! ",
            "Not bad at all :) ",
            "How do I reset my password??? ",
        ];
        var text = new StringBuilder();
        for (var i = 0; text.Length < 200 * 1024; i++) text.Append(sentences[i % sentences.Length]);

        var clock = Stopwatch.StartNew();
        var scores = Analyzer.Score(text.ToString());
        clock.Stop();

        Assert.InRange(scores.Compound, -1, 1);
        Assert.InRange(scores.Negative + scores.Neutral + scores.Positive, 0.998, 1.002);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void The_default_analyzer_is_one_instance_safe_to_share_between_threads()
    {
        Assert.Same(SentimentAnalyzer.Default, SentimentAnalyzer.Default);
        const string text = "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!";
        var expected = Analyzer.Score(text);
        var results = new SentimentScores[64];
        Parallel.For(0, results.Length, i => results[i] = SentimentAnalyzer.Default.Score(text));
        Assert.All(results, r => Assert.Equal(expected, r));
    }
}
