namespace Loopdesk.Core.Common;

/// <summary>
/// Time-ordered ids (UUID version 7, RFC 9562) that are also strictly increasing within this process: ids made in the
/// same millisecond carry a 12-bit counter (RFC 9562 method 1), so sorting by id is sorting by creation, in the database
/// too (uuid and canonical text order agree). Events and messages of one change sort in the order they were made.
/// </summary>
public static class Ids
{
    private static readonly Lock Gate = new();
    private static long _lastMs = -1;
    private static int _counter;

    public static Guid New(DateTimeOffset now)
    {
        var ms = Math.Max(0, now.ToUnixTimeMilliseconds());
        long stamp;
        int counter;
        lock (Gate)
        {
            if (ms > _lastMs)
            {
                _lastMs = ms;
                _counter = Random.Shared.Next(0, 1024);
            }
            else if (++_counter > 0xFFF)
            {
                // the counter ran out (or the clock went back): borrow the next millisecond
                _lastMs++;
                _counter = 0;
            }
            stamp = _lastMs;
            counter = _counter;
        }
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[8..]);
        bytes[0] = (byte)(stamp >> 40);
        bytes[1] = (byte)(stamp >> 32);
        bytes[2] = (byte)(stamp >> 24);
        bytes[3] = (byte)(stamp >> 16);
        bytes[4] = (byte)(stamp >> 8);
        bytes[5] = (byte)stamp;
        bytes[6] = (byte)(0x70 | ((counter >> 8) & 0x0F));
        bytes[7] = (byte)counter;
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>Where an id made by <see cref="New"/> falls: its millisecond and counter as one number, larger for later ids.</summary>
    public static long Position(Guid id)
    {
        Span<byte> b = stackalloc byte[16];
        id.TryWriteBytes(b, bigEndian: true, out _);
        long stamp = 0;
        for (var i = 0; i < 6; i++) stamp = (stamp << 8) | b[i];
        return (stamp << 12) | ((long)(b[6] & 0x0F) << 8) | b[7];
    }

    /// <summary>The position of the first id made at <paramref name="time"/>.</summary>
    public static long Position(DateTimeOffset time) => Math.Max(0, time.ToUnixTimeMilliseconds()) << 12;

    /// <summary>The smallest id at a position: every id made at or after it sorts at or after it.</summary>
    public static Guid First(long position)
    {
        var p = Math.Max(0, position);
        var stamp = p >> 12;
        Span<byte> b = stackalloc byte[16];
        for (var i = 0; i < 6; i++) b[i] = (byte)(stamp >> (8 * (5 - i)));
        b[6] = (byte)(0x70 | ((p >> 8) & 0x0F));
        b[7] = (byte)p;
        b[8] = 0x80;
        return new Guid(b, bigEndian: true);
    }
}
