using System.Runtime.InteropServices;

namespace Loopdesk.Platform;

/// <summary>
/// Gives the C library's free memory back to the system on Linux. SQLite, the JIT and the runtime allocate native memory
/// on many threads; glibc gives each thread that finds the heap busy an arena of its own (up to eight per core) and keeps
/// what is freed in each for later, so a server that has been busy holds tens of MB it no longer uses. Every
/// <see cref="Every"/>, when the server has allocated since the last time, <c>malloc_trim</c> returns the free pages of
/// every arena. Other C libraries than glibc are left alone.
/// </summary>
internal sealed class NativeHeap(TimeProvider time, ILogger<NativeHeap> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var collections = -1;
        using var timer = new PeriodicTimer(Every, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // a quiet server has nothing new to give back
            var now = GC.CollectionCount(0);
            if (now == collections)
                continue;
            collections = now;
            if (!Trim())
            {
                log.LogInformation("The C library is not glibc; its free memory is left to it");
                return;
            }
        }
    }

    /// <summary>Returns the free pages of every glibc arena to the system; false where there is no glibc.</summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            _ = MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "malloc_trim", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocTrim(nuint pad);
}
