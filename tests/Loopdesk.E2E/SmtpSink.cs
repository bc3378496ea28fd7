using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loopdesk.E2E;

/// <summary>A real SMTP server that keeps what it receives: Debian's aiosmtpd writing a Maildir, on a free loopback port.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Process _process;

    public int Port { get; }

    private SmtpSink(int port, Process process, string dir)
    {
        Port = port;
        _process = process;
        _dir = dir;
    }

    public static async Task<SmtpSink> StartAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var dir = Directory.CreateTempSubdirectory("loopdesk-smtp-").FullName;
        var info = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-m", "aiosmtpd", "-n", "-u", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", Path.Combine(dir, "maildir") }) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("aiosmtpd did not start (apt-get install python3-aiosmtpd)");
        var sink = new SmtpSink(port, process, dir);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return sink;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        throw new TimeoutException("aiosmtpd did not listen within 10 s");
    }

    /// <summary>The raw text of every message received so far.</summary>
    public IReadOnlyList<string> Received()
    {
        var folder = Path.Combine(_dir, "maildir", "new");
        return Directory.Exists(folder) ? [.. Directory.GetFiles(folder).OrderBy(File.GetCreationTimeUtc).Select(f => File.ReadAllText(f, Encoding.UTF8))] : [];
    }

    /// <summary>Waits for a message to <paramref name="to"/> containing <paramref name="text"/>; returns its raw text.</summary>
    public async Task<string> WaitForAsync(string to, string text, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout)
        {
            var hit = Received().FirstOrDefault(m => m.Contains(to, StringComparison.OrdinalIgnoreCase) && m.Contains(text, StringComparison.Ordinal));
            if (hit is not null) return hit;
            await Task.Delay(200);
        }
        throw new TimeoutException($"No mail to {to} containing \"{text}\" within {timeout}; received {Received().Count}.");
    }

    /// <summary>
    /// Waits for a message to <paramref name="to"/> whose decoded text contains <paramref name="text"/> (long lines of a
    /// quoted-printable body are folded in the raw message, so the raw text is no place to look for a sentence).
    /// </summary>
    public async Task<MimeKit.MimeMessage> WaitForMessageAsync(string to, string text, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout)
        {
            foreach (var raw in Received())
            {
                using var stream = new MemoryStream(Encoding.UTF8.GetBytes(raw));
                var message = await MimeKit.MimeMessage.LoadAsync(stream);
                if (message.To.Mailboxes.Any(m => string.Equals(m.Address, to, StringComparison.OrdinalIgnoreCase)) && (message.TextBody ?? "").Contains(text, StringComparison.Ordinal))
                    return message;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"No mail to {to} saying \"{text}\" within {timeout}; received {Received().Count}.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
