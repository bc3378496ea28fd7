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
}
