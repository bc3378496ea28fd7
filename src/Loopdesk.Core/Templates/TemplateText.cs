using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Fluid;
using Fluid.Parser;
using Fluid.Values;
using Loopdesk.Core.Common;
using FluidContext = Fluid.TemplateContext;

namespace Loopdesk.Core.Templates;

/// <summary>
/// Templates and macros with placeholders (<c>Hello {{ customer.first_name }}</c>, <c>{{ sla.first_reply_due | humanize }}</c>),
/// in the Liquid syntax, checked when saved and rendered safely: a template reads only the values it is given, runs no code,
/// has no loops, and fails validation on any placeholder, filter or tag it does not know.
/// </summary>
public static partial class TemplateText
{
    public const int MaxLength = 20_000;
    public const int MaxIfDepth = 5;
    /// <summary>How many parsed templates are kept; the cache starts over when it is full.</summary>
    public const int CacheSize = 512;

    private const string LanguageKey = "loopdesk.language";

    private static readonly FluidParser Parser = new(new FluidParserOptions
    {
        AllowFunctions = false,
        AllowParentheses = false,
        AllowLiquidTag = false,
    });

    private static readonly TemplateOptions Options = CreateOptions();
    private static readonly TextEncoder HtmlEncoding = HtmlEncoder.Create(UnicodeRanges.All);
    private static readonly ConcurrentDictionary<string, Parsed> Cache = new(StringComparer.Ordinal);

    /// <summary>Checks a template before it is saved: its length, syntax, tags, filters, and that every placeholder is in <paramref name="vocabulary"/>.</summary>
    public static Verdict Validate(string source, TemplateVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var parsed = Parse(source);
        if (!parsed.Verdict.IsOk) return parsed.Verdict;
        var unknown = parsed.Paths.Where(p => !vocabulary.Contains(p)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count == 0) return Verdict.Ok;
        var names = string.Join(", ", unknown.Select(p => "{{ " + p + " }}"));
        return Verdict.Deny("template.unknown_placeholder",
            $"Unknown placeholder{(unknown.Count == 1 ? "" : "s")} {names}. Placeholders you can use: {string.Join(", ", vocabulary.Paths.Order(StringComparer.Ordinal))}.",
            "source");
    }

    /// <summary>
    /// Renders a template with <paramref name="values"/>: a tree of dictionaries whose leaves are strings, numbers, booleans,
    /// moments, durations, enums or ids. A missing value renders as nothing (or as the <c>default</c> filter says).
    /// Placeholders are not checked against a vocabulary here; that happened when the template was saved.
    /// </summary>
    /// <exception cref="TemplateException">The template is too long, does not parse, or uses a tag or filter that is not allowed.</exception>
    public static string Render(string source, IReadOnlyDictionary<string, object?> values, TemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(context);
        var parsed = Parse(source);
        if (!parsed.Verdict.IsOk) throw new TemplateException(parsed.Verdict);

        var zone = FindZone(context.TimeZoneId);
        var language = HumanTime.PrimaryLanguage(context.Language);
        var now = context.Now;
        var fluid = new FluidContext(Options)
        {
            TimeZone = zone,
            CultureInfo = CultureFor(context.Language),
            Now = () => now,
        };
        fluid.AmbientValues[LanguageKey] = language;
        foreach (var (name, value) in values)
        {
            fluid.SetValue(name, TemplateValues.From(value, zone, language));
        }
        return parsed.Template!.Render(fluid, context.Html ? HtmlEncoding : NullEncoder.Default);
    }

    private sealed record Parsed(Verdict Verdict, IFluidTemplate? Template, IReadOnlyList<string> Paths);

    private static Parsed Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > MaxLength)
        {
            return new Parsed(Verdict.Deny("template.too_long",
                $"A template may be at most {MaxLength:N0} characters long; this one has {source.Length:N0}.", "source"), null, []);
        }
        if (Cache.TryGetValue(source, out var cached)) return cached;
        var parsed = ParseUncached(source);
        if (Cache.Count >= CacheSize) Cache.Clear();
        Cache[source] = parsed;
        return parsed;
    }

    private static Parsed ParseUncached(string source)
    {
        var verdict = TemplateRules.ScanTags(source);
        if (!verdict.IsOk) return new Parsed(verdict, null, []);
        if (!Parser.TryParse(source, out var template, out var error))
        {
            return new Parsed(Verdict.Deny("template.syntax", SyntaxMessage(error), "source"), null, []);
        }
        var statements = template is FluidTemplate fluid ? fluid.Statements : null;
        if (statements is null)
        {
            return new Parsed(Verdict.Deny("template.syntax", "The template could not be read.", "source"), null, []);
        }
        var paths = new List<string>();
        verdict = TemplateRules.Check(statements, paths);
        return verdict.IsOk ? new Parsed(Verdict.Ok, template, paths) : new Parsed(verdict, null, []);
    }

    /// <summary>"Line 1, column 3: a value was expected." from Fluid's "A value was expected at (1:3)\nSource: …".</summary>
    private static string SyntaxMessage(string? error)
    {
        var first = (error ?? "").Split('\n')[0].Trim();
        var at = ErrorPosition().Match(first);
        if (!at.Success) return first.Length == 0 ? "The template could not be read." : $"The template could not be read: {first}";
        var what = first[..at.Index].Trim();
        if (what.Length > 0) what = char.ToLowerInvariant(what[0]) + what[1..];
        return string.Create(CultureInfo.InvariantCulture,
            $"The template could not be read at line {at.Groups[1].Value}, column {at.Groups[2].Value}: {what}.");
    }

    [GeneratedRegex(@"\s*at \((\d+):(\d+)\)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorPosition();

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            MemberAccessStrategy = new DefaultMemberAccessStrategy(),
            MaxSteps = 10_000,
            MaxRecursion = 1,
            StrictVariables = false,
            StrictFilters = true,
        };
        options.ValueConverters.Clear();
        var builtIn = new Dictionary<string, FilterDelegate>(StringComparer.Ordinal);
        foreach (var (name, filter) in options.Filters) builtIn[name] = filter;
        options.Filters.Clear();
        foreach (var name in TemplateRules.Filters)
        {
            if (name == "humanize") continue;
            options.Filters.AddFilter(name, builtIn[name]);
        }
        options.Filters.AddFilter("humanize", Humanize);
        return options;
    }

    /// <summary>A moment becomes "today by 15:00" in the reader's zone and language, a duration "2 hours"; anything else passes through.</summary>
    private static ValueTask<FluidValue> Humanize(FluidValue input, FilterArguments arguments, FluidContext context)
    {
        var language = context.AmbientValues.TryGetValue(LanguageKey, out var l) && l is string s ? s : "en";
        if (input is DurationValue duration) return new StringValue(HumanTime.Duration(duration.Span, language));
        if (input.IsNil()) return NilValue.Instance;
        if (input is DateTimeValue or StringValue && input.TryGetDateTimeInput(context, out var moment))
        {
            return new StringValue(HumanTime.Due(moment, context.Now(), context.TimeZone, language));
        }
        return input;
    }

    private static TimeZoneInfo FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc;
        }
        catch (InvalidTimeZoneException)
        {
            return TimeZoneInfo.Utc;
        }
    }

    private static CultureInfo CultureFor(string? language)
    {
        if (string.IsNullOrWhiteSpace(language)) return CultureInfo.GetCultureInfo("en");
        try
        {
            return CultureInfo.GetCultureInfo(language);
        }
        catch (CultureNotFoundException)
        {
            return CultureInfo.GetCultureInfo("en");
        }
    }
}
