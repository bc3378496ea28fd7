namespace Loopdesk.Core.Sentiment;

/// <summary>
/// How a text reads, as VADER's <c>polarity_scores</c> gives it. <see cref="Negative"/>, <see cref="Neutral"/> and
/// <see cref="Positive"/> are the shares of the text in each class (they add up to about 1, rounded to 3 decimals);
/// <see cref="Compound"/> is the overall score from -1 (most negative) to +1 (most positive), rounded to 4 decimals.
/// The usual reading: compound &gt;= 0.05 is positive, &lt;= -0.05 negative, in between neutral.
/// </summary>
public readonly record struct SentimentScores(double Negative, double Neutral, double Positive, double Compound);
