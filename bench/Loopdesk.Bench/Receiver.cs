using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loopdesk.Bench;

/// <summary>
/// The far side of the server's webhooks: a Kestrel listener on a loopback port that answers 200 to every POST and
/// records, per delivery id (the <c>Loopdesk-Delivery</c> header), when it first arrived, how often it arrived, and
/// which server process sent it (the process that owns the other end of the connection, looked up in /proc once per
/// connection).
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, long> _first = new();
    private readonly ConcurrentDictionary<Guid, int> _repeats = new();
    private readonly ConcurrentDictionary<string, int> _connectionOwner = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, int> _processes = new();
    private readonly long[] _byProcess = new long[9];
    private WebApplication? _app;
    private long _received;
    private long _lastTicks;
    private long _unreadable;

    public int Port { get; private set; }

    /// <summary>How long each delivery waits for its answer, as a consumer across a network would make it wait (0: at once).</summary>
    public int DelayMilliseconds
    {
        get => Volatile.Read(ref _delay);
        set => Volatile.Write(ref _delay, value);
    }

    private int _delay;

    /// <summary>The address a webhook job names.</summary>
    public string Url => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/hook";

    /// <summary>Deliveries received, repeats included.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Distinct delivery ids received.</summary>
    public int Distinct => _first.Count;

    /// <summary>Deliveries of an id already received (what a consumer drops by id).</summary>
    public long Repeats => _repeats.Values.Sum(v => (long)v);

    public IReadOnlyDictionary<Guid, int> RepeatedIds => _repeats;

    /// <summary>Requests without a readable delivery id.</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    /// <summary>When the last delivery arrived (UTC ticks), 0 before the first.</summary>
    public long LastTicks => Interlocked.Read(ref _lastTicks);

    /// <summary>When a delivery first arrived (UTC ticks).</summary>
    public bool TryGetFirst(Guid id, out long ticks) => _first.TryGetValue(id, out ticks);

    /// <summary>Deliveries sent by the process registered as <paramref name="slot"/> (0: not known).</summary>
    public long ByProcess(int slot) => Interlocked.Read(ref _byProcess[slot]);

    /// <summary>From now on, deliveries over connections of <paramref name="pid"/> count for <paramref name="slot"/> (1 to 8).</summary>
    public void Watch(int pid, int slot) => _processes[pid] = slot;

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var receiver = new Receiver { _app = builder.Build() };
        receiver._app.Run(receiver.HandleAsync);
        await receiver._app.StartAsync();
        receiver.Port = new Uri(receiver._app.Urls.First()).Port;
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        var ticks = TimeProvider.System.GetUtcNow().UtcTicks;
        if (!Guid.TryParse(context.Request.Headers["Loopdesk-Delivery"].FirstOrDefault(), out var id))
        {
            Interlocked.Increment(ref _unreadable);
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        Interlocked.Increment(ref _received);
        if (!_first.TryAdd(id, ticks)) _repeats.AddOrUpdate(id, 1, (_, n) => n + 1);
        var slot = _connectionOwner.GetOrAdd(context.Connection.Id, _ => Owner(context.Connection.RemotePort));
        Interlocked.Increment(ref _byProcess[slot]);
        long last;
        do last = Interlocked.Read(ref _lastTicks);
        while (ticks > last && Interlocked.CompareExchange(ref _lastTicks, ticks, last) != last);
        if (DelayMilliseconds > 0) await Task.Delay(DelayMilliseconds, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>Which watched process holds the socket whose local port is <paramref name="clientPort"/> (0 when none or unknown).</summary>
    private int Owner(int clientPort)
    {
        if (_processes.IsEmpty) return 0;
        try
        {
            // /proc/net/tcp and tcp6 (the server's sockets are dual-mode: 127.0.0.1 appears as ::ffff:127.0.0.1):
            // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode", addresses in hex
            var local = $":{clientPort:X4}";
            var remote = $":{Port:X4}";
            string? inode = null;
            foreach (var line in File.ReadLines("/proc/net/tcp6").Skip(1).Concat(File.ReadLines("/proc/net/tcp").Skip(1)))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 9 && f[1].EndsWith(local, StringComparison.Ordinal) && f[2].EndsWith(remote, StringComparison.Ordinal))
                {
                    inode = f[9];
                    break;
                }
            }
            if (inode is null) return 0;
            var target = $"socket:[{inode}]";
            foreach (var (pid, slot) in _processes)
            {
                if (Holds(pid, target)) return slot;
            }
        }
        catch (IOException)
        {
            // the process or the connection went away meanwhile
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }

    private static bool Holds(int pid, string socket)
    {
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                if (new FileInfo(fd).LinkTarget == socket) return true;
            }
        }
        catch (IOException)
        {
            // the process ended, or the descriptor closed meanwhile
        }
        return false;
    }

    /// <summary>Forgets everything received so far and the processes watched (between scenarios).</summary>
    public void Clear()
    {
        _first.Clear();
        _repeats.Clear();
        _processes.Clear();
        Array.Clear(_byProcess);
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _lastTicks, 0);
        Interlocked.Exchange(ref _unreadable, 0);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
