namespace Loopdesk.Core.Common;

/// <summary>
/// A value that may be absent, as opposed to present and null: a partial update leaves absent fields
/// alone and clears fields that are present with null.
/// </summary>
public readonly record struct Optional<T>(bool HasValue, T Value)
{
    public static implicit operator Optional<T>(T value) => new(true, value);

    public T Or(T fallback) => HasValue ? Value : fallback;
}
