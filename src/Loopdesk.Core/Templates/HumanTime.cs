using System.Globalization;

namespace Loopdesk.Core.Templates;

/// <summary>
/// Moments and durations in the words a person would use, in the reader's time zone and language:
/// "within the hour", "today by 15:00", "tomorrow by 10:00", "on Monday by 12:00", "on 3 March by 12:00";
/// "2 hours", "3 days". English and Dutch; other languages get English.
/// </summary>
/// <remarks>
/// A promise is never made earlier than the deadline it stands for, and only a little later: clock times are
/// rounded up to the next quarter hour (14:47 becomes "by 15:00") unless that would move them to the next day.
/// </remarks>
public static class HumanTime
{
    /// <summary>The phrase for a deadline <paramref name="due"/> seen at <paramref name="now"/>.</summary>
    public static string Due(DateTimeOffset due, DateTimeOffset now, TimeZoneInfo zone, string language = "en")
    {
        ArgumentNullException.ThrowIfNull(zone);
        var words = WordsFor(language);
        var left = due - now;
        if (left <= TimeSpan.Zero) return words.Overdue;
        if (left <= TimeSpan.FromHours(1)) return words.WithinTheHour;

        var localNow = TimeZoneInfo.ConvertTime(now, zone).DateTime;
        var localDue = TimeZoneInfo.ConvertTime(due, zone).DateTime;
        var shown = RoundUpToQuarter(localDue);
        if (shown.Date != localDue.Date) shown = localDue;
        var time = shown.ToString("HH:mm", CultureInfo.InvariantCulture);
        var days = (shown.Date - localNow.Date).Days;
        return days switch
        {
            0 => string.Format(CultureInfo.InvariantCulture, words.Today, time),
            1 => string.Format(CultureInfo.InvariantCulture, words.Tomorrow, time),
            < 7 => string.Format(CultureInfo.InvariantCulture, words.OnWeekday, words.Weekdays[(int)shown.DayOfWeek], time),
            _ when shown.Year == localNow.Year
                => string.Format(CultureInfo.InvariantCulture, words.OnDate, shown.Day, words.Months[shown.Month - 1], time),
            _ => string.Format(CultureInfo.InvariantCulture, words.OnDateInYear, shown.Day, words.Months[shown.Month - 1], shown.Year, time),
        };
    }

    /// <summary>A length of time, rounded the way people say it: "less than a minute", "25 minutes", "2 hours", "3 days".</summary>
    public static string Duration(TimeSpan span, string language = "en")
    {
        var words = WordsFor(language);
        var abs = span.Duration();
        if (abs < TimeSpan.FromMinutes(1)) return words.LessThanAMinute;
        if (abs < TimeSpan.FromHours(2)) return Count(Round(abs.TotalMinutes), words.Minute, words.Minutes);
        if (abs < TimeSpan.FromDays(2)) return Count(Round(abs.TotalHours), words.Hour, words.Hours);
        return Count(Round(abs.TotalDays), words.Day, words.Days);
    }

    /// <summary>The primary language subtag in lower case: "nl-BE" gives "nl".</summary>
    internal static string PrimaryLanguage(string? language)
    {
        if (string.IsNullOrWhiteSpace(language)) return "en";
        var dash = language.IndexOfAny(['-', '_']);
        return (dash < 0 ? language : language[..dash]).Trim().ToLowerInvariant();
    }

    private static long Round(double value) => (long)Math.Round(value, MidpointRounding.AwayFromZero);

    private static string Count(long n, string one, string many)
        => string.Format(CultureInfo.InvariantCulture, n == 1 ? one : many, n);

    private static DateTime RoundUpToQuarter(DateTime local)
    {
        var quarter = TimeSpan.FromMinutes(15).Ticks;
        var ticks = (local.Ticks + quarter - 1) / quarter * quarter;
        return new DateTime(ticks, local.Kind);
    }

    private static Words WordsFor(string language) => PrimaryLanguage(language) switch
    {
        "nl" => Dutch,
        _ => English,
    };

    private sealed record Words(
        string Overdue, string WithinTheHour, string Today, string Tomorrow, string OnWeekday, string OnDate, string OnDateInYear,
        string LessThanAMinute, string Minute, string Minutes, string Hour, string Hours, string Day, string Days,
        string[] Weekdays, string[] Months);

    private static readonly Words English = new(
        "as soon as possible", "within the hour", "today by {0}", "tomorrow by {0}", "on {0} by {1}", "on {0} {1} by {2}", "on {0} {1} {2} by {3}",
        "less than a minute", "{0} minute", "{0} minutes", "{0} hour", "{0} hours", "{0} day", "{0} days",
        ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]);

    private static readonly Words Dutch = new(
        "zo snel mogelijk", "binnen het uur", "vandaag vóór {0}", "morgen vóór {0}", "op {0} vóór {1}", "op {0} {1} vóór {2}", "op {0} {1} {2} vóór {3}",
        "minder dan een minuut", "{0} minuut", "{0} minuten", "{0} uur", "{0} uur", "{0} dag", "{0} dagen",
        ["zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"],
        ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]);
}
