using System.Diagnostics;
using Loopdesk.Core.Templates;

namespace Loopdesk.Core.Tests.Templates;

public class TemplateTextTests
{
    // Monday 2 March 2026, 09:00 UTC
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly TemplateContext Utc = new(Now);

    private static Dictionary<string, object?> Values(DateTimeOffset? firstReplyDue = null) => new()
    {
        ["customer"] = new Dictionary<string, object?> { ["first_name"] = "Ada", ["name"] = "Ada Lovelace" },
        ["ticket"] = new Dictionary<string, object?> { ["reference"] = "LD-1042", ["subject"] = "Printer on fire", ["status"] = "open" },
        ["agent"] = new Dictionary<string, object?> { ["name"] = "Grace Hopper", ["first_name"] = "Grace" },
        ["sla"] = new Dictionary<string, object?> { ["first_reply_due"] = firstReplyDue ?? Now.AddHours(5).AddMinutes(47) },
    };

    private static string Humanize(DateTimeOffset due, string language = "en", string zone = "UTC", DateTimeOffset? now = null)
        => TemplateText.Render("{{ sla.first_reply_due | humanize }}", Values(due), new TemplateContext(now ?? Now, language, zone));

    private static void Denied(string source, string code, string? mentions = null)
    {
        var verdict = TemplateText.Validate(source, TemplateVocabulary.Default);
        Assert.False(verdict.IsOk, $"expected {code} for: {source[..Math.Min(source.Length, 80)]}");
        Assert.Equal(code, verdict.Code);
        if (mentions is not null) Assert.Contains(mentions, verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Renders_the_example_placeholders()
    {
        const string source = "Hi {{ customer.first_name }}, {{ agent.name }} here about {{ ticket.reference }} ({{ ticket.subject }}). "
            + "You will hear from us {{ sla.first_reply_due | humanize }}.";
        Assert.True(TemplateText.Validate(source, TemplateVocabulary.Default).IsOk);
        Assert.Equal("Hi Ada, Grace Hopper here about LD-1042 (Printer on fire). You will hear from us today by 15:00.",
            TemplateText.Render(source, Values(), Utc));
    }

    [Fact]
    public void Conditions_compare_placeholders()
    {
        const string source = "{% if ticket.status == 'open' and customer.first_name %}Hi {{ customer.first_name }}{% elsif ticket.status == 'pending' %}P"
            + "{% else %}Hello{% endif %}{% unless agent.name contains 'Grace' %}!{% else %}.{% endunless %}{% comment %}note to self{% endcomment %}";
        Assert.True(TemplateText.Validate(source, TemplateVocabulary.Default).IsOk);
        Assert.Equal("Hi Ada.", TemplateText.Render(source, Values(), Utc));
    }

    [Theory]
    [InlineData("{{ system }}", "system")]
    [InlineData("{{ customer.password }}", "customer.password")]
    [InlineData("{{ customer }}", "customer")]
    [InlineData("{% if system.secret == 1 %}x{% endif %}", "system.secret")]
    [InlineData("{{ ticket.reference | default: secret.key }}", "secret.key")]
    public void Unknown_placeholders_are_refused_by_name(string source, string name)
        => Denied(source, "template.unknown_placeholder", "{{ " + name + " }}");

    [Fact]
    public void A_caller_can_widen_the_vocabulary()
    {
        var vocabulary = TemplateVocabulary.Default.With("order.number");
        Assert.True(TemplateText.Validate("{{ order.number }}", vocabulary).IsOk);
        Assert.False(TemplateText.Validate("{{ order.number }}", TemplateVocabulary.Default).IsOk);
        Assert.Contains("ticket.reference", vocabulary.Paths);
        Assert.Throws<ArgumentException>(() => TemplateVocabulary.Default.With("Order Number"));
    }

    [Theory]
    [InlineData("{{#each x}}")]
    [InlineData("Hello {{ customer.first_name }")]
    [InlineData("{% if customer.name %}no end")]
    public void Broken_syntax_is_a_syntax_error_not_a_crash(string source)
    {
        Denied(source, "template.syntax");
        var thrown = Assert.Throws<TemplateException>(() => TemplateText.Render(source, Values(), Utc));
        Assert.Equal("template.syntax", thrown.Verdict.Code);
    }

    [Fact]
    public void Syntax_errors_say_where()
        => Denied("Dear customer,\nthanks {{ customer. }}", "template.syntax", "line 2, column");

    [Fact]
    public void An_each_nesting_bomb_is_a_syntax_error()
        => Denied(string.Concat(Enumerable.Repeat("{{#each x}}", 1500)), "template.syntax");

    [Fact]
    public void A_for_nesting_bomb_is_refused_quickly()
    {
        var source = string.Concat(Enumerable.Repeat("{% for a in b %}", 600)) + "x" + string.Concat(Enumerable.Repeat("{% endfor %}", 600));
        Assert.True(source.Length <= TemplateText.MaxLength);
        var watch = Stopwatch.StartNew();
        Denied(source, "template.unsupported_tag", "for");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("{% for x in ticket.tags %}{{ x }}{% endfor %}", "for")]
    [InlineData("{% assign x = 'y' %}", "assign")]
    [InlineData("{% capture x %}y{% endcapture %}", "capture")]
    [InlineData("{% include 'secrets' %}", "include")]
    [InlineData("{% render 'secrets' %}", "render")]
    [InlineData("{% cycle 'a', 'b' %}", "cycle")]
    [InlineData("{% raw %}{{ x }}{% endraw %}", "raw")]
    [InlineData("{% liquid echo 1 %}", "liquid")]
    [InlineData("{% case ticket.status %}{% when 'open' %}o{% endcase %}", "case")]
    public void Other_tags_are_refused(string source, string tag)
        => Denied(source, "template.unsupported_tag", "{% " + tag + " %}");

    [Fact]
    public void Comments_may_hold_anything()
        => Assert.True(TemplateText.Validate("{% comment %}{% for x in y %}{% endcomment %}{% # a note %}Hi", TemplateVocabulary.Default).IsOk);

    [Fact]
    public void Five_nested_ifs_are_fine_and_six_are_refused()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("{% if ticket.status %}", depth)) + "x"
            + string.Concat(Enumerable.Repeat("{% endif %}", depth));
        Assert.True(TemplateText.Validate(Nested(5), TemplateVocabulary.Default).IsOk);
        Assert.Equal("x", TemplateText.Render(Nested(5), Values(), Utc));
        Denied(Nested(6), "template.too_deep");
        Denied("{% if ticket.status %}{% unless customer.name %}{% if a.b %}{% if a.b %}{% if a.b %}{% unless c.d %}x"
            + "{% endunless %}{% endif %}{% endif %}{% endif %}{% endunless %}{% endif %}", "template.too_deep");
        Denied(Nested(500), "template.too_deep");
    }

    [Fact]
    public void A_long_chain_of_conditions_is_refused()
    {
        var chain = string.Join(" and ", Enumerable.Repeat("ticket.status", 1000));
        Denied("{% if " + chain + " %}x{% endif %}", "template.too_complex");
    }

    [Fact]
    public void A_huge_template_is_refused()
    {
        var source = new string('a', TemplateText.MaxLength + 1);
        Denied(source, "template.too_long");
        Assert.Throws<TemplateException>(() => TemplateText.Render(source, Values(), Utc));
        Assert.True(TemplateText.Validate(new string('a', TemplateText.MaxLength), TemplateVocabulary.Default).IsOk);
    }

    [Theory]
    [InlineData("{{ ticket.reference | nosuchfilter }}", "nosuchfilter")]
    [InlineData("{{ ticket.reference | upcase | json }}", "json")]
    [InlineData("{% if ticket.status == 'open' %}{{ ticket.reference | size }}{% endif %}", "size")]
    [InlineData("{{ ticket.reference | default: customer.name | strip_html }}", "strip_html")]
    public void Unknown_filters_are_refused(string source, string filter)
        => Denied(source, "template.unknown_filter", "'" + filter + "'");

    [Theory]
    [InlineData("{{ customer['name'] }}")]
    [InlineData("{{ (1..5) }}")]
    public void Brackets_and_ranges_are_refused(string source)
    {
        var verdict = TemplateText.Validate(source, TemplateVocabulary.Default);
        Assert.False(verdict.IsOk);
        Assert.Contains(verdict.Code, new[] { "template.unsupported_expression", "template.syntax" });
    }

    [Fact]
    public void Humanize_speaks_of_deadlines_at_several_distances()
    {
        Assert.Equal("as soon as possible", Humanize(Now.AddMinutes(-5)));
        Assert.Equal("within the hour", Humanize(Now.AddMinutes(40)));
        Assert.Equal("today by 15:00", Humanize(Now.AddHours(5).AddMinutes(47)));
        Assert.Equal("today by 15:00", Humanize(Now.AddHours(6)));
        Assert.Equal("tomorrow by 10:00", Humanize(Now.AddHours(25)));
        Assert.Equal("on Friday by 12:00", Humanize(new DateTimeOffset(2026, 3, 6, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal("on 9 March by 12:00", Humanize(new DateTimeOffset(2026, 3, 9, 12, 0, 0, TimeSpan.Zero)));
        Assert.Equal("on 3 March 2027 by 12:00", Humanize(new DateTimeOffset(2027, 3, 3, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Humanize_uses_the_readers_time_zone_across_midnight()
    {
        // 22:30 in Amsterdam (CET), the deadline is 00:30 there: tomorrow for the reader, still today in UTC
        var now = new DateTimeOffset(2026, 3, 2, 21, 30, 0, TimeSpan.Zero);
        var due = new DateTimeOffset(2026, 3, 2, 23, 30, 0, TimeSpan.Zero);
        Assert.Equal("tomorrow by 00:30", Humanize(due, zone: "Europe/Amsterdam", now: now));
        Assert.Equal("today by 23:30", Humanize(due, zone: "UTC", now: now));
        // New York is five hours behind: 16:30 there, due 18:30 there
        Assert.Equal("today by 18:30", Humanize(due, zone: "America/New_York", now: now));
    }

    [Fact]
    public void Rounding_up_never_moves_a_deadline_past_midnight()
        => Assert.Equal("today by 23:50", Humanize(new DateTimeOffset(2026, 3, 2, 23, 50, 0, TimeSpan.Zero)));

    [Fact]
    public void Humanize_speaks_dutch_and_falls_back_to_english()
    {
        Assert.Equal("morgen vóór 10:00", Humanize(Now.AddHours(25), "nl"));
        Assert.Equal("op vrijdag vóór 12:00", Humanize(new DateTimeOffset(2026, 3, 6, 12, 0, 0, TimeSpan.Zero), "nl-BE"));
        Assert.Equal("op 9 maart vóór 12:00", Humanize(new DateTimeOffset(2026, 3, 9, 12, 0, 0, TimeSpan.Zero), "nl"));
        Assert.Equal("tomorrow by 10:00", Humanize(Now.AddHours(25), "fr"));
    }

    [Fact]
    public void Humanize_turns_durations_into_words()
    {
        var values = new Dictionary<string, object?>
        {
            ["sla"] = new Dictionary<string, object?>
            {
                ["a"] = TimeSpan.FromHours(2), ["b"] = TimeSpan.FromDays(3), ["c"] = TimeSpan.FromMinutes(1), ["d"] = TimeSpan.FromSeconds(20),
            },
        };
        Assert.Equal("2 hours|3 days|1 minute|less than a minute",
            TemplateText.Render("{{ sla.a | humanize }}|{{ sla.b | humanize }}|{{ sla.c | humanize }}|{{ sla.d }}", values, Utc));
        Assert.Equal("2 uur|3 dagen", TemplateText.Render("{{ sla.a | humanize }}|{{ sla.b }}", values, Utc with { Language = "nl" }));
        Assert.Equal("90 minutes", HumanTime.Duration(TimeSpan.FromMinutes(90)));
    }

    [Fact]
    public void A_missing_value_renders_as_nothing_or_as_its_default()
    {
        var values = new Dictionary<string, object?> { ["customer"] = new Dictionary<string, object?> { ["first_name"] = null } };
        Assert.Equal("Hi ,", TemplateText.Render("Hi {{ customer.first_name }},", values, Utc));
        Assert.Equal("Hi there,", TemplateText.Render("Hi {{ customer.first_name | default: 'there' }},", values, Utc));
        Assert.Equal("Hi there,", TemplateText.Render("Hi {{ agent.name | default: 'there' }},", new Dictionary<string, object?>(), Utc));
        Assert.Equal("soon", TemplateText.Render("{{ sla.first_reply_due | humanize | default: 'soon' }}", values, Utc));
    }

    [Fact]
    public void Text_filters_work()
    {
        Assert.Equal("ADA|ada lovelace|Printer on fire|Print...",
            TemplateText.Render("{{ customer.first_name | upcase }}|{{ customer.name | downcase }}|{{ ticket.subject | downcase | capitalize }}|{{ ticket.subject | truncate: 8 }}",
                Values(), Utc));
    }

    [Fact]
    public void The_date_filter_formats_in_the_readers_zone_and_language()
    {
        var values = Values(new DateTimeOffset(2026, 3, 2, 23, 30, 0, TimeSpan.Zero));
        Assert.Equal("03-03-2026 00:30", TemplateText.Render("{{ sla.first_reply_due | date: '%d-%m-%Y %H:%M' }}", values, Utc with { TimeZoneId = "Europe/Amsterdam" }));
        Assert.Equal("3 maart", TemplateText.Render("{{ sla.first_reply_due | date: '%-d %B' }}", values, Utc with { TimeZoneId = "Europe/Amsterdam", Language = "nl" }));
    }

    [Fact]
    public void Html_mode_encodes_values_but_not_the_template()
    {
        var values = new Dictionary<string, object?> { ["customer"] = new Dictionary<string, object?> { ["first_name"] = "<script>alert(1)</script> Zoë" } };
        const string source = "<p>Hi {{ customer.first_name }}</p>";
        Assert.Equal("<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; Zoë</p>", TemplateText.Render(source, values, Utc with { Html = true }));
        Assert.Equal("<p>Hi <script>alert(1)</script> Zoë</p>", TemplateText.Render(source, values, Utc));
    }

    [Fact]
    public void Only_plain_values_are_readable()
    {
        var values = new Dictionary<string, object?>
        {
            ["ticket"] = new Dictionary<string, object?> { ["reference"] = new Uri("https://example.invalid/secret"), ["subject"] = new StringWriter() },
            ["agent"] = new InvalidOperationException("boom"),
        };
        Assert.Equal("https://example.invalid/secret||", TemplateText.Render("{{ ticket.reference }}|{{ ticket.subject }}|{{ agent.name }}", values, Utc));
    }

    [Fact]
    public void A_cyclic_value_tree_does_not_hang()
    {
        var loop = new Dictionary<string, object?>();
        loop["name"] = "x";
        loop["team"] = loop;
        var values = new Dictionary<string, object?> { ["team"] = loop };
        Assert.Equal("x", TemplateText.Render("{{ team.name }}", values, Utc));
    }

    [Fact]
    public void Rendering_a_saved_template_is_cheap()
    {
        const string source = "Hi {{ customer.first_name }}, about {{ ticket.reference }}: {% if ticket.status == 'open' %}we're on it{% endif %}, "
            + "expect us {{ sla.first_reply_due | humanize }}.";
        var values = Values();
        TemplateText.Render(source, values, Utc);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++) TemplateText.Render(source, values, Utc);
        // well under a millisecond each; the bound is loose for a busy machine
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"1000 renders took {watch.Elapsed}");
    }
}
