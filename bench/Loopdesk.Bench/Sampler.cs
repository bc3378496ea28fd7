using System.Diagnostics;

namespace Loopdesk.Bench;

/// <summary>One reading of a server's resident memory, <paramref name="Seconds"/> after the sampler started.</summary>
internal sealed record RssPoint(double Seconds, string Process, long Rss);

/// <summary>
/// Reads, once a second (or every <c>interval</c>) while a scenario runs, the CPU time of the server processes it follows (by label; a label can
/// be moved to a restarted process), of the database's processes and of this harness, the whole machine's busy time,
/// and the servers' resident memory. A process killed between two readings loses at most its last second.
/// </summary>
internal sealed class Sampler : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _pids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _last = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _cpu = new(StringComparer.Ordinal);
    private readonly List<RssPoint> _rss = [];
    private readonly int? _databasePid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TimeSpan _interval;
    private double _machine0;
    private double _machineBusy;
    private double _lastDatabase;
    private double _lastHarness;
    private double _seconds;

    public Sampler(int? databasePid, TimeSpan? interval = null)
    {
        _databasePid = databasePid;
        _interval = interval ?? TimeSpan.FromSeconds(1);
        _machine0 = ProcessStats.MachineCpu().Busy;
        _lastDatabase = ProcessStats.TreeCpuSeconds(databasePid) ?? 0;
        _lastHarness = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Follows <paramref name="pid"/> under <paramref name="label"/> from now on (a restarted server keeps its label).</summary>
    public void Track(string label, int pid)
    {
        lock (_gate)
        {
            _pids[label] = pid;
            _last[label] = ProcessStats.CpuSeconds(pid) ?? 0;
        }
    }

    /// <summary>Stops following <paramref name="label"/> (before its process is killed, so that nothing is read from a reused pid).</summary>
    public void Forget(string label)
    {
        lock (_gate) _pids.Remove(label);
    }

    public double Seconds
    {
        get
        {
            lock (_gate) return _seconds;
        }
    }

    /// <summary>CPU seconds by label: the servers' labels, "database" and "harness".</summary>
    public Dictionary<string, double> Cpu
    {
        get
        {
            lock (_gate) return new Dictionary<string, double>(_cpu, StringComparer.Ordinal);
        }
    }

    /// <summary>Cores kept busy by every other process, on average.</summary>
    public double OtherCores
    {
        get
        {
            lock (_gate) return _seconds > 0 ? Math.Max(0, _machineBusy - _cpu.Values.Sum()) / _seconds : 0;
        }
    }

    public List<RssPoint> Rss
    {
        get
        {
            lock (_gate) return [.. _rss];
        }
    }

    /// <summary>The latest memory reading of <paramref name="label"/>.</summary>
    public long LastRss(string label)
    {
        lock (_gate) return _rss.LastOrDefault(r => r.Process == label)?.Rss ?? 0;
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Read();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Read()
    {
        var machine = ProcessStats.MachineCpu().Busy;
        var database = ProcessStats.TreeCpuSeconds(_databasePid) ?? 0;
        var harness = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        lock (_gate)
        {
            _seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            _machineBusy += machine - _machine0;
            _machine0 = machine;
            Add("database", database - _lastDatabase);
            _lastDatabase = database;
            Add("harness", harness - _lastHarness);
            _lastHarness = harness;
            foreach (var (label, pid) in _pids)
            {
                if (ProcessStats.CpuSeconds(pid) is { } cpu)
                {
                    Add(label, cpu - _last[label]);
                    _last[label] = cpu;
                }
                if (ProcessStats.Memory(pid) is { } memory) _rss.Add(new RssPoint(_seconds, label, memory.Rss));
            }
        }
    }

    private void Add(string label, double seconds) => _cpu[label] = _cpu.GetValueOrDefault(label) + Math.Max(0, seconds);

    /// <summary>Stops the readings after a last one; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync();
        await _loop;
        Read();
        _stop.Dispose();
    }
}
