using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Loopdesk.Core.Common;

namespace Loopdesk.Bench;

/// <summary>The server's HTTP API, as a client with a bearer token sees it.</summary>
internal sealed class Api : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly HttpClient _http;

    public Api(Uri baseAddress, string token)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET; true on 200 (the body is read in full, as a client would).</summary>
    public async Task<bool> GetOkAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseContentRead, ct);
        return response.StatusCode == HttpStatusCode.OK;
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct);
        await EnsureAsync(response, "GET " + path, ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone();
    }

    public async Task<JsonElement> PostJsonAsync(string path, Action<Utf8JsonWriter> body, CancellationToken ct)
    {
        using var response = await PostAsync(path, body, ct);
        await EnsureAsync(response, "POST " + path, ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone();
    }

    /// <summary>PATCH with a JSON body; true on 200 (the answer is read in full).</summary>
    public async Task<bool> PatchOkAsync(string path, Action<Utf8JsonWriter> body, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, body, ct);
        await response.Content.LoadIntoBufferAsync(ct);
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>POST /api/v1/tickets; the new ticket's reference (from Location), or null when the answer was not 201.</summary>
    public async Task<string?> CreateTicketAsync(CreateSpec spec, CancellationToken ct)
    {
        using var response = await PostAsync("/api/v1/tickets", w => WriteCreate(w, spec), ct);
        await response.Content.LoadIntoBufferAsync(ct);
        if (response.StatusCode != HttpStatusCode.Created) return null;
        var location = response.Headers.Location?.OriginalString;
        return location?[(location.LastIndexOf('/') + 1)..];
    }

    /// <summary>The server's /metrics: the managed heap size after the last collection, summed over generations (bytes).</summary>
    public async Task<long?> GcHeapBytesAsync(CancellationToken ct)
    {
        using var response = await _http.GetAsync("/metrics", ct);
        if (response.StatusCode != HttpStatusCode.OK) return null;
        var text = await response.Content.ReadAsStringAsync(ct);
        long total = 0;
        var found = false;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal)) continue;
            var value = line[(line.LastIndexOf(' ') + 1)..];
            if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v))
            {
                total += (long)v;
                found = true;
            }
        }
        return found ? total : null;
    }

    /// <summary>
    /// The server's runtime counters from /metrics: bytes allocated so far, seconds paused for garbage collection, and
    /// collections of generation 2 (null when /metrics does not answer).
    /// </summary>
    public async Task<(double Allocated, double PauseSeconds, double Gen2)?> RuntimeCountersAsync(CancellationToken ct)
    {
        using var response = await _http.GetAsync("/metrics", ct);
        if (response.StatusCode != HttpStatusCode.OK) return null;
        double allocated = 0, pause = 0, gen2 = 0;
        foreach (var line in (await response.Content.ReadAsStringAsync(ct)).Split('\n'))
        {
            if (!double.TryParse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)) continue;
            if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal)) allocated = v;
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal)) pause = v;
            else if (line.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal) && line.Contains("\"gen2\"", StringComparison.Ordinal)) gen2 = v;
        }
        return (allocated, pause, gen2);
    }

    private Task<HttpResponseMessage> PostAsync(string path, Action<Utf8JsonWriter> body, CancellationToken ct) => SendAsync(HttpMethod.Post, path, body, ct);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, Action<Utf8JsonWriter> body, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body(writer);
        }
        using var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = JsonType;
        using var request = new HttpRequestMessage(method, path) { Content = content };
        return await _http.SendAsync(request, ct);
    }

    private static void WriteCreate(Utf8JsonWriter w, CreateSpec spec)
    {
        w.WriteStartObject();
        w.WriteString("subject", spec.Subject);
        w.WriteString("body", spec.Body);
        w.WriteString("channel", Wire.Name(spec.Channel));
        w.WriteStartObject("customer");
        w.WriteString("name", spec.CustomerName);
        w.WriteString("email", spec.CustomerEmail);
        if (spec.CustomerPhone is not null) w.WriteString("phone", spec.CustomerPhone);
        w.WriteEndObject();
        w.WriteString("priority", Wire.Name(spec.Priority));
        w.WriteString("type", Wire.Name(spec.Type));
        w.WriteStartArray("tags");
        foreach (var tag in spec.Tags) w.WriteStringValue(tag);
        w.WriteEndArray();
        w.WriteString("teamId", spec.TeamId);
        w.WriteEndObject();
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {body}");
    }

    public static string Query(string value) => Uri.EscapeDataString(value);
}
