using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fluid.Values;

namespace Loopdesk.Core.Templates;

/// <summary>
/// Turns the plain values handed to a template into Fluid values, lazily and without reflection: dictionaries,
/// strings, numbers, booleans, moments (shown in the reader's time zone), durations, enums and ids. Anything else
/// reads as nothing, so no member of an arbitrary object is ever reachable from a template.
/// </summary>
internal static class TemplateValues
{
    /// <summary>How deep nested dictionaries are followed; deeper (or cyclic) trees read as nothing.</summary>
    public const int MaxDepth = 8;

    public static FluidValue From(object? value, TimeZoneInfo zone, string language, int depth = 0) => value switch
    {
        null => NilValue.Instance,
        string s => new StringValue(s),
        bool b => BooleanValue.Create(b),
        int n => NumberValue.Create(n),
        long n => NumberValue.Create(n),
        short n => NumberValue.Create(n),
        byte n => NumberValue.Create(n),
        uint n => NumberValue.Create(n),
        ulong n => NumberValue.Create(n),
        decimal n => NumberValue.Create(n),
        double n when double.IsFinite(n) => NumberValue.Create((decimal)n),
        float n when float.IsFinite(n) => NumberValue.Create((decimal)n),
        DateTimeOffset d => new DateTimeValue(TimeZoneInfo.ConvertTime(d, zone)),
        DateTime d => new DateTimeValue(TimeZoneInfo.ConvertTime(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d, zone)),
        DateOnly d => new StringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeSpan t => new DurationValue(t, language),
        Guid g => new StringValue(g.ToString("D")),
        Uri u => new StringValue(u.ToString()),
        Enum e => new StringValue(JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString())),
        IReadOnlyDictionary<string, object?> d when depth < MaxDepth => new DictionaryValue(new Tree(d, zone, language, depth + 1)),
        IReadOnlyDictionary<string, string> d when depth < MaxDepth => new DictionaryValue(new Tree(
            d.ToDictionary(kv => kv.Key, kv => (object?)kv.Value, StringComparer.Ordinal), zone, language, depth + 1)),
        _ => NilValue.Instance,
    };

    /// <summary>A dictionary whose values are converted when a template reads them.</summary>
    private sealed class Tree(IReadOnlyDictionary<string, object?> values, TimeZoneInfo zone, string language, int depth) : IFluidIndexable
    {
        public int Count => values.Count;

        public IEnumerable<string> Keys => values.Keys;

        public bool TryGetValue(string name, out FluidValue value)
        {
            if (values.TryGetValue(name, out var raw))
            {
                value = From(raw, zone, language, depth);
                return true;
            }
            value = NilValue.Instance;
            return false;
        }
    }
}

/// <summary>A length of time; it prints the way people say it ("2 hours") in the reader's language.</summary>
internal sealed class DurationValue(TimeSpan span, string language) : FluidValue
{
    public TimeSpan Span { get; } = span;

    public override FluidValues Type => FluidValues.Object;

    public override bool Equals(FluidValue? other) => other is DurationValue d && d.Span == Span;

    public override bool Equals(object? obj) => obj is FluidValue other && Equals(other);

    public override int GetHashCode() => Span.GetHashCode();

    public override bool ToBooleanValue() => true;

    public override decimal ToNumberValue() => (decimal)Span.TotalSeconds;

    public override string ToStringValue() => HumanTime.Duration(Span, language);

    public override object ToObjectValue() => Span;

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(encoder);
        writer.Write(encoder.Encode(ToStringValue()));
        return ValueTask.CompletedTask;
    }
}
