using System.Text.Json;

namespace Loopdesk.Core.Common;

/// <summary>How domain values are spelled outside: enum members in kebab case ("on-hold"), event data as compact JSON.</summary>
public static class Wire
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum
        => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    public static string Json<T>(T data) => JsonSerializer.Serialize(data, Options);

    /// <summary>Reads what <see cref="Json{T}"/> wrote.</summary>
    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"No {typeof(T).Name} in the JSON.");
}
