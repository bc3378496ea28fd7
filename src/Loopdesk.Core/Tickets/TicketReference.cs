using System.Security.Cryptography;

namespace Loopdesk.Core.Tickets;

/// <summary>
/// A ticket reference a customer can read over the phone: eight symbols as "ABCD-2345", from an alphabet
/// without the look-alikes 0/O and 1/I/L. Random, so references do not reveal how many tickets exist.
/// </summary>
public static class TicketReference
{
    public const string Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    public const int Length = 9;

    public static string New()
    {
        Span<char> chars = stackalloc char[Length];
        for (var i = 0; i < Length; i++)
        {
            chars[i] = i == 4 ? '-' : Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(chars);
    }

    /// <summary>
    /// Reads a reference as a person may type or say it: any case, with or without the dash or a leading "#".
    /// Null when it cannot be one of ours.
    /// </summary>
    public static string? Parse(string? input)
    {
        if (string.IsNullOrWhiteSpace(input)) return null;
        Span<char> symbols = stackalloc char[8];
        var n = 0;
        foreach (var raw in input.Trim().TrimStart('#'))
        {
            if (raw is '-' or ' ') continue;
            var c = char.ToUpperInvariant(raw);
            if (n == 8 || !Alphabet.Contains(c, StringComparison.Ordinal)) return null;
            symbols[n++] = c;
        }
        return n == 8 ? $"{symbols[..4]}-{symbols[4..]}" : null;
    }
}
