using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Loopdesk.E2E;

/// <summary>
/// A customer's website on another origin (another port of 127.0.0.1): every path answers wwwroot-site/index.html with the
/// Loopdesk server's address, the site key and any further data attributes of the widget's script tag filled in from the
/// query (<c>?key=KEY&amp;lang=de&amp;open=true</c>).
/// </summary>
public sealed class SiteServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _loopdesk;
    private readonly string _template;
    private readonly Task _serving;

    public SiteServer(string loopdeskBaseUrl)
    {
        _loopdesk = loopdeskBaseUrl;
        _template = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "wwwroot-site", "index.html"));
        var port = FreePort();
        Origin = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Origin + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>scheme://host:port of the site, for the chat site's allowed origins.</summary>
    public string Origin { get; }

    /// <summary>A page of the site embedding the widget for <paramref name="key"/>.</summary>
    public string Page(string key, string path = "/", string? lang = null, bool open = false)
        => $"{Origin}{path}?key={Uri.EscapeDataString(key)}{(lang is null ? "" : "&lang=" + lang)}{(open ? "&open=true" : "")}";

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var query = context.Request.QueryString;
            var attributes = "";
            if (query["lang"] is { } lang) attributes += " data-lang=\"" + WebUtility.HtmlEncode(lang) + "\"";
            if (query["open"] is "true") attributes += " data-open=\"true\"";
            var html = _template
                .Replace("{{base}}", _loopdesk, StringComparison.Ordinal)
                .Replace("{{key}}", WebUtility.HtmlEncode(query["key"] ?? ""), StringComparison.Ordinal)
                .Replace("{{attributes}}", attributes, StringComparison.Ordinal);
            var body = Encoding.UTF8.GetBytes(html);
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}
