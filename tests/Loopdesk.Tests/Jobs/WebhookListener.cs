using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Loopdesk.Tests.Jobs;

/// <summary>One request a webhook listener received.</summary>
public sealed record WebhookHit(string Method, string Path, string? Delivery, string? ContentType, string Body);

/// <summary>A real HTTP server on a loopback port (Kestrel) that records every request and answers with <see cref="Status"/>.</summary>
public sealed class WebhookListener : IAsyncDisposable
{
    private readonly ConcurrentQueue<WebhookHit> _hits = new();
    private WebApplication? _app;
    private volatile int _status;
    private volatile bool _hold;

    private WebhookListener(int status) => _status = status;

    public int Port { get; private set; }

    /// <summary>The address to give a webhook, ending in <c>/</c>.</summary>
    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>What the listener answers from now on.</summary>
    public int Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>While true, requests are taken in and recorded but not answered: the caller waits (or dies waiting).</summary>
    public bool Hold
    {
        get => _hold;
        set => _hold = value;
    }

    public IReadOnlyList<WebhookHit> Hits => [.. _hits];

    /// <summary>Starts listening on <paramref name="port"/>, or on a free port when it is 0.</summary>
    public static async Task<WebhookListener> StartAsync(int port = 0, int status = StatusCodes.Status200OK)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var listener = new WebhookListener(status) { _app = builder.Build() };
        listener._app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            listener._hits.Enqueue(new WebhookHit(context.Request.Method, context.Request.Path, context.Request.Headers["Loopdesk-Delivery"].FirstOrDefault(),
                context.Request.ContentType, body));
            try
            {
                while (listener._hold) await Task.Delay(50, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return; // the caller went away
            }
            context.Response.StatusCode = listener._status;
        });
        await listener._app.StartAsync();
        listener.Port = new Uri(listener._app.Urls.First()).Port;
        return listener;
    }

    /// <summary>
    /// A loopback port nothing listens on (connecting to it is refused), until someone starts listening there. It is
    /// taken below the kernel's range of ephemeral ports, which every outgoing connection on the machine draws from: a
    /// port from that range can be a connection's own by the time a test starts listening on it.
    /// </summary>
    public static int FreePort()
    {
        var ephemeral = EphemeralPortsFrom();
        var from = Math.Min(20_000, ephemeral / 2);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(from, ephemeral);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        throw new InvalidOperationException($"No free loopback port between {from} and {ephemeral}.");
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's default when it cannot be read).</summary>
    private static int EphemeralPortsFrom()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
