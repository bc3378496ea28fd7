using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Loopdesk.Bench;

/// <summary>
/// The server as a process of its own (<c>dotnet loopdesk.dll</c>), started by the harness where a scenario needs to
/// kill it, restart it, or run two of them; its output goes to a log file. It is stopped by its pid.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri url, string log)
    {
        _process = process;
        Url = url;
        Log = log;
    }

    public int Pid => _process.Id;

    public Uri Url { get; }

    public string Log { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the server with <paramref name="settings"/> as its environment (on top of the harness's own) on a free
    /// loopback port, and waits until /healthz answers 200. Returns the process and how long it took to be healthy.
    /// </summary>
    public static async Task<(ServerProcess Server, TimeSpan Startup)> StartAsync(
        string dll, string log, IReadOnlyDictionary<string, string> settings, CancellationToken ct)
    {
        var port = FreePort();
        var url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        // exec: the shell becomes the server, so the pid is the server's
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exec dotnet \"$0\" >>\"$1\" 2>&1", dll, log }) start.ArgumentList.Add(arg);
        foreach (var (name, value) in settings) start.Environment[name] = value;
        start.Environment["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/');
        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException("the server did not start");
        var server = new ServerProcess(process, url, log);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the server stopped while starting (exit {process.ExitCode}); its log: {log}\n" + Tail(log));
            }
            try
            {
                using var response = await http.GetAsync(new Uri(url, "/healthz"), ct);
                if (response.StatusCode == HttpStatusCode.OK) return (server, Stopwatch.GetElapsedTime(started));
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            await Task.Delay(100, ct);
        }
        server.Kill();
        throw new InvalidOperationException($"the server did not become healthy in 120 s; its log: {log}\n" + Tail(log));
    }

    /// <summary>SIGKILL: the process ends at once, whatever it holds.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGTERM (a normal shutdown), then SIGKILL after 20 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
        {
            if (kill is not null) await kill.WaitForExitAsync();
        }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static string Tail(string log)
    {
        try
        {
            return string.Join('\n', File.ReadLines(log).TakeLast(20));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
