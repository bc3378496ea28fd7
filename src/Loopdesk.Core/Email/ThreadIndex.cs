namespace Loopdesk.Core.Email;

/// <summary>
/// Outlook's <c>Thread-Index</c>: 22 bytes for the conversation (the start time as a FILETIME's top six bytes and a
/// GUID), then five bytes per reply holding the time since. Outlook groups mail with one conversation prefix.
/// </summary>
public static class ThreadIndex
{
    public static string For(Guid conversation, DateTimeOffset started, int replies, DateTimeOffset at)
    {
        var bytes = new byte[22 + 5 * Math.Max(0, replies)];
        var fileTime = started.UtcDateTime.ToFileTimeUtc();
        for (var i = 0; i < 6; i++) bytes[i] = (byte)(fileTime >> (56 - 8 * i));
        conversation.TryWriteBytes(bytes.AsSpan(6, 16));
        // every child block: the time since the start in units of 2^18 ticks (about 26 ms), 31 bits, then 4 random-ish bits
        var delta = Math.Max(0, (at.UtcDateTime.ToFileTimeUtc() - fileTime) >> 18);
        for (var r = 0; r < replies; r++)
        {
            var step = (long)((double)delta * (r + 1) / replies);
            var block = ((ulong)(step & 0x7FFFFFFF) << 9) | (uint)(r & 0x0F);
            for (var i = 0; i < 5; i++) bytes[22 + 5 * r + i] = (byte)(block >> (32 - 8 * i));
        }
        return Convert.ToBase64String(bytes);
    }
}
