using Loopdesk.Core.Common;

namespace Loopdesk.Platform;

/// <summary>Reads enum values from query strings the way JSON spells them ("on-hold").</summary>
public static class WireValues
{
    public static bool TryParse<T>(string text, out T value) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(Wire.Name(candidate), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }
        value = default;
        return false;
    }

    public static string Expected<T>(string field) where T : struct, Enum
        => $"{field} is one of: {string.Join(", ", Enum.GetValues<T>().Select(v => Wire.Name(v)))}.";
}
