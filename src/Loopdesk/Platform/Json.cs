using System.Text.Json;
using System.Text.Json.Serialization;
using Loopdesk.Core.Common;

namespace Loopdesk.Platform;

public static class Json
{
    /// <summary>camelCase properties, kebab-case enum values ("on-hold"), times with their offset, unknown and repeated properties refused.</summary>
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.Converters.Add(new SingleEnumNameConverterFactory(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)));
        o.Converters.Add(new OptionalConverterFactory());
        o.Converters.Add(new OffsetTimeConverter());
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        // {"subject":"S","subject":"T"} would otherwise be "T": two readers of one body could disagree on what it says
        o.AllowDuplicateProperties = false;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        o.AllowTrailingCommas = false;
        o.ReadCommentHandling = JsonCommentHandling.Disallow;
        o.MaxDepth = 32;
    }
}

/// <summary>Reads <see cref="Optional{T}"/>: a property that is present (even as null) has a value; an absent one does not.</summary>
public sealed class OptionalConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert)
        => typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
        => (JsonConverter)Activator.CreateInstance(typeof(OptionalConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
    {
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => new(true, JsonSerializer.Deserialize<T>(ref reader, options)!);

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options)
            => JsonSerializer.Serialize(writer, value.Value, options);
    }
}

/// <summary>
/// Reads an enum value from one name only. <see cref="JsonStringEnumConverter"/> also reads a comma-separated list of names
/// as the bitwise OR of their values, on any enum: "normal, high" would be urgent, and "social, visit" a channel that
/// does not exist (and then cannot be written back). Writing is the inner converter's.
/// </summary>
public sealed class SingleEnumNameConverterFactory(JsonStringEnumConverter names) : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => names.CanConvert(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
        => (JsonConverter)Activator.CreateInstance(typeof(SingleNameConverter<>).MakeGenericType(typeToConvert), names.CreateConverter(typeToConvert, options))!;

    private sealed class SingleNameConverter<T>(JsonConverter inner) : JsonConverter<T> where T : struct, Enum
    {
        private readonly JsonConverter<T> _inner = (JsonConverter<T>)inner;

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String && reader.GetString()!.Contains(',', StringComparison.Ordinal)) throw new JsonException();
            return _inner.Read(ref reader, typeToConvert, options);
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => _inner.Write(writer, value, options);
    }
}

/// <summary>
/// Reads a time only with its offset ("2026-03-02T09:00:00Z", "…+01:00"): without one the reader would take the server's
/// own time zone, and an import would move by hours without a word. Writing is the usual ISO 8601.
/// </summary>
public sealed class OffsetTimeConverter : JsonConverter<DateTimeOffset>
{
    public const string NeedsOffset = "A time needs its offset";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var value)) throw new JsonException();
        var text = reader.GetString()!;
        var time = text.IndexOfAny(['T', 't']);
        var zone = time < 0 ? -1 : text.IndexOfAny(['Z', 'z', '+', '-'], time);
        if (zone < 0) throw new JsonException($"{NeedsOffset}, like 2026-03-02T09:00:00Z or 2026-03-02T10:00:00+01:00.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
