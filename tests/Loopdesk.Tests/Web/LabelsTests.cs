using Loopdesk.Web.Workspace;

namespace Loopdesk.Tests.Web;

/// <summary>How the workspace words an age and the time left, at the edges of each unit.</summary>
public sealed class LabelsTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, "just now")]
    [InlineData(59, "just now")]
    [InlineData(60, "1 min ago")]
    [InlineData(59 * 60 + 59, "59 min ago")]
    [InlineData(3600, "1 h ago")]
    [InlineData(23 * 3600 + 59 * 60, "23 h ago")]
    [InlineData(24 * 3600, "1 day ago")]
    [InlineData(47 * 3600 + 59 * 60, "1 day ago")]
    [InlineData(48 * 3600, "2 days ago")]
    [InlineData(13 * 86400 + 23 * 3600, "13 days ago")]
    [InlineData(14 * 86400, "16 Feb 2026")]
    public void Ago_words_the_age_in_the_largest_whole_unit_then_gives_the_date(int secondsAgo, string expected)
        => Assert.Equal(expected, Labels.Ago(Now.AddSeconds(-secondsAgo), Now));

    [Fact]
    public void Ago_calls_a_time_slightly_ahead_of_the_clock_just_now()
        => Assert.Equal("just now", Labels.Ago(Now.AddSeconds(30), Now));

    [Fact]
    public void Ago_gives_the_date_as_it_was_where_it_happened()
        => Assert.Equal("1 Mar 2025", Labels.Ago(new DateTimeOffset(2025, 3, 1, 23, 30, 0, TimeSpan.FromHours(2)), Now));

    [Theory]
    [InlineData(0, "1 min left")]
    [InlineData(1, "1 min left")]
    [InlineData(60, "1 min left")]
    [InlineData(61, "2 min left")]
    [InlineData(59 * 60, "59 min left")]
    [InlineData(3600, "1 h 0 min left")]
    [InlineData(2 * 3600 + 10 * 60, "2 h 10 min left")]
    [InlineData(86400 - 60, "23 h 59 min left")]
    [InlineData(86400, "1 d 0 h left")]
    [InlineData(3 * 86400 + 5 * 3600 + 59 * 60, "3 d 5 h left")]
    [InlineData(-1, "overdue by 1 min")]
    [InlineData(-5 * 60, "overdue by 5 min")]
    [InlineData(-(2 * 3600 + 5 * 60), "overdue by 2 h 5 min")]
    [InlineData(-2 * 86400, "overdue by 2 d 0 h")]
    public void Left_words_the_time_left_or_overdue_and_never_says_zero_minutes(int seconds, string expected)
        => Assert.Equal(expected, Labels.Left(TimeSpan.FromSeconds(seconds)));
}
