namespace Loopdesk.Core.Common;

/// <summary>The answer of a domain operation that may be refused: ok, or a stable code, a message and the field at fault.</summary>
public readonly record struct Verdict(string? Code, string? Message, string? Field)
{
    public static Verdict Ok => default;

    public bool IsOk => Code is null;

    public static Verdict Deny(string code, string message, string? field = null) => new(code, message, field);
}
