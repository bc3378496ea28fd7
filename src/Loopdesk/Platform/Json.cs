using System.Text.Json;
using System.Text.Json.Serialization;
using Loopdesk.Core.Common;

namespace Loopdesk.Platform;

public static class Json
{
    /// <summary>camelCase properties, kebab-case enum values ("on-hold"), unknown and repeated properties refused.</summary>
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        o.Converters.Add(new SingleEnumNameConverterFactory(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false)));
        o.Converters.Add(new OptionalConverterFactory());
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
