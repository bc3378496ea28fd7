using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Loopdesk.Tests.Email;

/// <summary>
/// A TCP proxy on a free loopback port in front of a server: it forwards both ways and, when told to, cuts connections
/// after a number of bytes from the server, as a server or a network that drops a connection mid-response does. A cut
/// connection gets exactly the allowed bytes and then an orderly close (EOF); the server side is closed at once.
/// </summary>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Task _accepting;
    private Rule? _rule;
    private int _accepted;
    private int _cut;

    /// <summary>Starts listening at once, in front of <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    public DroppingProxy(int targetPort, string targetHost = "127.0.0.1")
    {
        TargetHost = targetHost;
        TargetPort = targetPort;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    public string Host { get; } = "127.0.0.1";

    public int Port { get; }

    public string TargetHost { get; }

    public int TargetPort { get; }

    /// <summary>Connections accepted from clients so far (one the target refuses is closed at once, and counts).</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    /// <summary>Connections cut so far (by a drop rule or <see cref="CutAll"/>).</summary>
    public int ConnectionsCut => Volatile.Read(ref _cut);

    /// <summary>Connections open now.</summary>
    public int ConnectionsOpen => _links.Count;

    /// <summary>
    /// Cuts a connection once the server has sent it <paramref name="bytes"/> bytes (counted from the connection's start,
    /// so a connection already past the mark is cut at the server's next bytes). Unless <paramref name="always"/>, only the
    /// first connection to reach the mark is cut and the rule is then spent; with it, every connection is cut until
    /// <see cref="StopDropping"/>.
    /// </summary>
    public void DropAfterServerBytes(long bytes, bool always = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Volatile.Write(ref _rule, new Rule(bytes, always));
    }

    /// <summary>Forwards everything from now on.</summary>
    public void StopDropping() => Volatile.Write(ref _rule, null);

    /// <summary>Cuts every open connection now.</summary>
    public void CutAll()
    {
        foreach (var link in _links.Keys) link.Cut();
    }

    public async ValueTask DisposeAsync()
    {
        if (_closing.IsCancellationRequested) return;
        await _closing.CancelAsync();
        _listener.Dispose();
        foreach (var link in _links.Keys) link.Abort();
        await _accepting;
        await Task.WhenAll(_links.Keys.Select(l => l.Completion));
        _closing.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_closing.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await server.ConnectAsync(TargetHost, TargetPort, _closing.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            server.Dispose();
            client.Dispose(); // as if the server refused
            return;
        }
        client.NoDelay = true;
        server.NoDelay = true;
        var link = new Link(this, client, server);
        _links[link] = 0;
        if (_closing.IsCancellationRequested) link.Abort(); // disposed meanwhile
        try
        {
            await link.RunAsync();
        }
        finally
        {
            _links.TryRemove(link, out _);
        }
    }

    /// <summary>Whether a connection that reached the rule's mark is to be cut: always, or when it is the one that spends the rule.</summary>
    private bool Claim(Rule rule) => rule.Always || Interlocked.CompareExchange(ref _rule, null, rule) == rule;

    private sealed record Rule(long Bytes, bool Always);

    private sealed class Link(DroppingProxy proxy, Socket client, Socket server)
    {
        private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);
        private readonly CancellationTokenSource _drain = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _fromServer;
        private int _cut;

        public Task Completion => _done.Task;

        public async Task RunAsync()
        {
            try
            {
                await Task.WhenAll(ClientToServerAsync(), ServerToClientAsync());
            }
            finally
            {
                client.Dispose();
                server.Dispose();
                _drain.Dispose();
                _done.TrySetResult();
            }
        }

        /// <summary>
        /// Ends the connection: the client gets what was forwarded so far and then EOF; the server connection is closed.
        /// What the client still sends is read and dropped until it closes (closing on unread data would reset the
        /// connection and could lose the bytes it has not read yet).
        /// </summary>
        public void Cut()
        {
            if (Interlocked.Exchange(ref _cut, 1) == 1) return;
            Interlocked.Increment(ref proxy._cut);
            try
            {
                client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // already gone
            }
            server.Dispose();
            try
            {
                _drain.CancelAfter(DrainLimit);
            }
            catch (ObjectDisposedException)
            {
                // the link has ended
            }
        }

        /// <summary>Closes both sides at once (the proxy is going away).</summary>
        public void Abort()
        {
            Interlocked.Exchange(ref _cut, 1);
            client.Dispose();
            server.Dispose();
        }

        private async Task ClientToServerAsync()
        {
            var buffer = new byte[16 * 1024];
            var forwarding = true;
            try
            {
                while (true)
                {
                    var n = await client.ReceiveAsync(buffer, SocketFlags.None, _drain.Token);
                    if (n == 0)
                    {
                        if (forwarding && Volatile.Read(ref _cut) == 0) server.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    if (!forwarding || Volatile.Read(ref _cut) == 1) continue;
                    try
                    {
                        await SendAllAsync(server, buffer.AsMemory(0, n));
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        forwarding = false; // the server side is gone: drain the client until it closes
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // closed or reset by either side, or the drain ran out of time
            }
        }

        private async Task ServerToClientAsync()
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    var n = await server.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0)
                    {
                        client.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    var forward = n;
                    var cut = false;
                    var rule = Volatile.Read(ref proxy._rule);
                    if (rule is not null && _fromServer + n >= rule.Bytes && proxy.Claim(rule))
                    {
                        forward = (int)Math.Max(0, rule.Bytes - _fromServer);
                        cut = true;
                    }
                    if (forward > 0) await SendAllAsync(client, buffer.AsMemory(0, forward));
                    _fromServer += forward;
                    if (cut)
                    {
                        Cut();
                        return;
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // closed or reset by either side, or cut from outside
                if (Volatile.Read(ref _cut) == 0)
                {
                    try
                    {
                        client.Shutdown(SocketShutdown.Send);
                    }
                    catch (Exception again) when (again is SocketException or ObjectDisposedException)
                    {
                        // gone as well
                    }
                }
            }
        }

        private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
        {
            while (!data.IsEmpty)
            {
                var sent = await socket.SendAsync(data, SocketFlags.None);
                data = data[sent..];
            }
        }
    }
}
