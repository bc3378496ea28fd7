using System.Runtime.InteropServices;
using Loopdesk.Platform;

namespace Loopdesk.Tests.Platform;

/// <summary>The server gives glibc's free memory back to the system while it is busy (docs/configuration.md).</summary>
public sealed class NativeHeapTests
{
    private const int Chunks = 16_384, ChunkBytes = 4_000;

    [Fact]
    public void Memory_freed_inside_the_C_heap_goes_back_to_the_system()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc's arenas exist on Linux only");
        // 64 MB in small blocks, and one block after them, so that freeing them leaves a hole glibc keeps for itself
        var ones = Enumerable.Repeat((byte)1, ChunkBytes).ToArray();
        var chunks = new nint[Chunks];
        for (var i = 0; i < Chunks; i++)
        {
            chunks[i] = Marshal.AllocHGlobal(ChunkBytes);
            Marshal.Copy(ones, 0, chunks[i], ChunkBytes);
        }
        var fence = Marshal.AllocHGlobal(ChunkBytes);
        try
        {
            foreach (var chunk in chunks)
                Marshal.FreeHGlobal(chunk);
            var held = ResidentBytes();
            Assert.True(NativeHeap.Trim(), "malloc_trim was not found in libc.so.6");
            var given = held - ResidentBytes();
            Assert.True(given > 32L << 20, $"only {given >> 20} MB of the 64 MB freed went back to the system");
        }
        finally
        {
            Marshal.FreeHGlobal(fence);
        }
    }

    private static long ResidentBytes()
        => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
