using System.Diagnostics;
using System.Globalization;

namespace Loopdesk.Bench;

/// <summary>Latency percentiles, in milliseconds.</summary>
internal sealed record Latency(int Count, double P50, double P95, double P99, double Max, int Errors)
{
    public static Latency Of(List<double> millis, int errors)
    {
        if (millis.Count == 0) return new Latency(0, double.NaN, double.NaN, double.NaN, double.NaN, errors);
        millis.Sort();
        double At(double q) => millis[Math.Min(millis.Count - 1, (int)Math.Ceiling(q * millis.Count) - 1)];
        return new Latency(millis.Count, At(0.50), At(0.95), At(0.99), millis[^1], errors);
    }
}

/// <summary>CPU time of a process, from /proc (Linux), so the run can tell where the processor went.</summary>
internal static class ProcessStats
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>User plus system CPU seconds of <paramref name="pid"/>, or null when it cannot be read.</summary>
    public static double? CpuSeconds(int? pid)
    {
        if (pid is null) return null;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // after "pid (comm) ": state is field 0; utime and stime are fields 11 and 12
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// CPU seconds of <paramref name="pid"/>, of its children that ended (PostgreSQL's postmaster waits for its backends)
    /// and of its live children.
    /// </summary>
    public static double? TreeCpuSeconds(int? pid)
    {
        if (pid is null) return null;
        double total;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            total = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == pid) total += CpuSeconds(child) ?? 0;
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }
        }
        return total;
    }

    /// <summary>The whole machine's busy and stolen CPU seconds so far (all cores), from /proc/stat.</summary>
    public static (double Busy, double Steal) MachineCpu()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal
            return ((f[0] + f[1] + f[2] + f[5] + f[6]) / TicksPerSecond, f.Length > 7 ? f[7] / TicksPerSecond : 0);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    /// <summary>CPU seconds so far of the server, the database and this harness together.</summary>
    public static double OwnCpu(int? serverPid, int? databasePid)
        => (CpuSeconds(serverPid) ?? 0) + (TreeCpuSeconds(databasePid) ?? 0) + Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>VmRSS and VmHWM (peak) in bytes.</summary>
    public static (long Rss, long Peak)? Memory(int? pid)
    {
        if (pid is null) return null;
        try
        {
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
            }
            return (rss, peak);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static long Kilobytes(string line)
        => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

/// <summary>What a fixed-length window of closed-loop load achieved.</summary>
/// <summary><paramref name="OtherCores"/>: cores kept busy by other processes during the window; <paramref name="StealCores"/>: taken by the hypervisor.</summary>
internal sealed record Throughput(
    int Concurrency, double PerSecond, Latency Latency, double? ServerCpuMs, double? DatabaseCpuMs, double? HarnessCpuMs, double OtherCores = 0, double StealCores = 0);

internal static class Load
{
    /// <summary>
    /// Waits (up to <paramref name="limit"/>) until the rest of the machine has used less than a quarter of a core for
    /// two seconds in a row, so that a measurement does not start while other work shares the two cores.
    /// </summary>
    public static async Task<TimeSpan> QuietAsync(int? serverPid, int? databasePid, TimeSpan limit, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var calm = 0;
        while (calm < 2 && Stopwatch.GetElapsedTime(started) < limit)
        {
            var machine0 = ProcessStats.MachineCpu();
            var own0 = ProcessStats.OwnCpu(serverPid, databasePid);
            await Task.Delay(1000, ct);
            var other = ProcessStats.MachineCpu().Busy - machine0.Busy - (ProcessStats.OwnCpu(serverPid, databasePid) - own0);
            calm = other < 0.25 ? calm + 1 : 0;
        }
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// Runs <paramref name="concurrency"/> workers back to back for <paramref name="warmup"/> and then <paramref name="window"/>;
    /// counts what completed inside the window. CPU per operation is measured over the window for the server, the
    /// database's processes (when given) and this harness.
    /// </summary>
    public static async Task<Throughput> ClosedLoopAsync(
        int concurrency, TimeSpan warmup, TimeSpan window, Func<int, Random, Task<bool>> operation, int? serverPid, int? databasePid, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var from = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var to = from + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<double>[concurrency];
        var errors = new int[concurrency];
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var random = new Random(1000 + w);
            var mine = latencies[w] = new List<double>(4096);
            while (!ct.IsCancellationRequested)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (t0 >= to) break;
                var ok = await operation(w, random);
                var t1 = Stopwatch.GetTimestamp();
                if (t1 < from || t1 > to) continue;
                if (ok) mine.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                else errors[w]++;
            }
        }, ct)).ToArray();

        // the CPU counters are read when the window opens and when it closes
        await DelayUntilAsync(from, ct);
        var machine0 = ProcessStats.MachineCpu();
        var server0 = ProcessStats.CpuSeconds(serverPid);
        var database0 = ProcessStats.TreeCpuSeconds(databasePid);
        var harness0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        await DelayUntilAsync(to, ct);
        var machine1 = ProcessStats.MachineCpu();
        var server1 = ProcessStats.CpuSeconds(serverPid);
        var database1 = ProcessStats.TreeCpuSeconds(databasePid);
        var harness1 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var own = (server1 - server0 ?? 0) + (database1 - database0 ?? 0) + (harness1 - harness0);
        var other = Math.Max(0, machine1.Busy - machine0.Busy - own) / window.TotalSeconds;
        var steal = (machine1.Steal - machine0.Steal) / window.TotalSeconds;
        await Task.WhenAll(workers);

        var all = latencies.SelectMany(l => l).ToList();
        var done = all.Count;
        double? PerOp(double? a, double? b) => a is { } x && b is { } y && done > 0 ? (y - x) * 1000 / done : null;
        return new Throughput(concurrency, done / window.TotalSeconds, Latency.Of(all, errors.Sum()),
            PerOp(server0, server1), PerOp(database0, database1), PerOp(harness0, harness1), other, steal);
    }

    private static async Task DelayUntilAsync(long timestamp, CancellationToken ct)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
    }

    /// <summary>Runs <paramref name="operation"/> one at a time, <paramref name="warmup"/> times unmeasured, then up to <paramref name="count"/> times or for at most <paramref name="limit"/>.</summary>
    public static async Task<Latency> SerialAsync(
        int warmup, int count, TimeSpan limit, Func<int, Task<bool>> operation, CancellationToken ct, List<double>? samples = null)
    {
        for (var i = 0; i < warmup; i++) await operation(i);
        var millis = new List<double>(count);
        var errors = 0;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count && Stopwatch.GetElapsedTime(started) < limit; i++)
        {
            ct.ThrowIfCancellationRequested();
            var t0 = Stopwatch.GetTimestamp();
            var ok = await operation(warmup + i);
            if (ok) millis.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            else errors++;
        }
        samples?.AddRange(millis);
        return Latency.Of(millis, errors);
    }
}
