using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Loopdesk.Platform;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Bench;

/// <summary>
/// Live chat under load, against a running server (<c>--url</c>, admin <c>--token</c>, <c>--server-pid</c>): a team, a chat
/// site and enough agents (chat capacity 50 each, online, one API token each) are made through the API; every agent
/// connects to the agent hub; N visitors (5,000; 500 with --quick) get a token from the site, open the visitor hub over
/// WebSockets and start a chat, which the agents accept. Then visitors send 200 messages a second spread over the chats
/// for 30 s (10 s with --quick), each visitor far under its own limit, and the harness times every message from the
/// visitor's Send to the moment the chat's agent hears it on the agent hub. The server's resident memory is read
/// throughout.
/// </summary>
internal static class ChatBench
{
    /// <summary>The most chats one agent may hold (the agents API's limit).</summary>
    private const int ChatsPerAgent = 50;

    private static readonly JsonSerializerOptions Wire = WireOptions();

    private static readonly string[] AnyOrigin = ["*"];

    private static JsonSerializerOptions WireOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Json.Configure(options);
        return options;
    }

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        if (o.Url is null || o.Token is null) return Options.Usage("chat needs --url and --token (an admin API token)");
        var visitors = o.ChatVisitors ?? (o.Quick ? 500 : 5_000);
        var rate = o.ChatRate ?? 200;
        var seconds = o.Quick ? 10 : 30;
        if (rate > visitors * 2) return Options.Usage($"{rate} messages a second over {visitors} chats is more than 2 a second per visitor; use more visitors");
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));

        var result = new ChatResult
        {
            Quick = o.Quick, Visitors = visitors, Rate = rate, WindowSeconds = seconds,
            Started = TimeProvider.System.GetUtcNow().ToString("u"), LoadAverageBefore = ProcessStats.LoadAverage(),
        };
        var run = Stopwatch.StartNew();
        await using var sampler = new Sampler(null);
        if (o.ServerPid is { } pid) sampler.Track("server", pid);

        using var admin = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = o.Url, Timeout = TimeSpan.FromMinutes(2) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.Token);

        // ---- the site, its team and its agents
        var tag = Guid.NewGuid().ToString("N")[..6];
        var teamId = (await PostAsync(admin, "/api/v1/teams", new { name = $"Chat bench {tag}" }, ct)).GetProperty("id").GetGuid();
        var site = await PostAsync(admin, "/api/v1/chat/sites", new
        {
            name = $"Chat bench {tag}", teamId, allowedOrigins = AnyOrigin, askEmail = false,
            // nothing times out while the run lasts: what is measured is the traffic, not the watch
            promptAfterSeconds = 3600, endAfterSeconds = 86_400, missedAfterSeconds = 86_400,
        }, ct);
        var siteKey = site.GetProperty("key").GetString()!;
        var agentCount = (visitors + ChatsPerAgent - 1) / ChatsPerAgent;
        var agents = new Agent[agentCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, agentCount), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            var id = (await PostAsync(admin, "/api/v1/agents", new { name = $"Bench agent {i + 1}", email = $"bench-{tag}-{i + 1}@bench.example", teamIds = new[] { teamId } }, token))
                .GetProperty("id").GetGuid();
            using (var patch = await admin.PatchAsJsonAsync($"/api/v1/agents/{id}", new { chatCapacity = ChatsPerAgent, presence = "online" }, Wire, token))
                await EnsureAsync(patch, "PATCH agent", token);
            var secret = (await PostAsync(admin, $"/api/v1/agents/{id}/tokens", new { name = "chat bench" }, token)).GetProperty("token").GetString()!;
            agents[i] = new Agent(i, id, secret);
        });
        Log($"site {siteKey}: {agentCount} agents with room for {ChatsPerAgent} chats each, online");
        await Task.Delay(2000, ct);
        result.RssBeforeMb = Mb(ReadRss(o.ServerPid));

        var chats = new Chat[visitors];
        var track = new Tracker();
        try
        {
            // ---- agents on the agent hub
            var watch = Stopwatch.StartNew();
            await Parallel.ForEachAsync(agents, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (agent, token) =>
            {
                agent.Hub = Hub(new Uri(o.Url, "/hubs/chat/agent"), agent.Token);
                agent.Hub.On<JsonElement>("Signal", signal => track.Heard(agent, signal));
                await agent.Hub.StartAsync(token);
            });
            Log($"{agentCount} agent hub connections in {watch.Elapsed.TotalSeconds:0.0} s");

            // ---- visitors: a token each, a hub connection each, a chat each
            using var anonymous = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = o.Url, Timeout = TimeSpan.FromMinutes(2) };
            var cpu0 = Cpu(o.ServerPid);
            watch.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(0, visitors), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
            {
                var visitor = await PostAsync(anonymous, $"/api/v1/chat/sites/{siteKey}/visitors", new { }, token);
                chats[i] = new Chat(i, visitor.GetProperty("token").GetString()!);
            });
            result.TokensSeconds = watch.Elapsed.TotalSeconds;
            Log($"{visitors:N0} visitor tokens in {result.TokensSeconds:0.0} s");

            watch.Restart();
            await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = ct }, async (chat, token) =>
            {
                chat.Hub = Hub(new Uri(o.Url, "/hubs/chat/visitor"), chat.Token);
                await chat.Hub.StartAsync(token);
            });
            result.ConnectSeconds = watch.Elapsed.TotalSeconds;
            result.RssConnectedMb = Mb(ReadRss(o.ServerPid));
            Log($"{visitors:N0} visitor hub connections (WebSockets) in {result.ConnectSeconds:0.0} s; server RSS {result.RssConnectedMb:0} MB");

            watch.Restart();
            var startLatency = new ConcurrentBag<double>();
            await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (chat, token) =>
            {
                var t0 = Stopwatch.GetTimestamp();
                var state = await chat.Hub!.InvokeAsync<JsonElement>("Start", new { name = $"Visitor {chat.Index + 1}", question = $"Question {chat.Index + 1}: where is my parcel?", page = "/bench", clientMessageId = $"q{chat.Index}" }, token);
                startLatency.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                chat.Id = state.GetProperty("chatId").GetGuid();
            });
            result.StartSeconds = watch.Elapsed.TotalSeconds;
            result.Start = Latency.Of([.. startLatency], 0);
            Log($"{visitors:N0} chats started in {result.StartSeconds:0.0} s (p50 {result.Start.P50:0} ms, p99 {result.Start.P99:0} ms)");

            watch.Restart();
            var acceptLatency = new ConcurrentBag<double>();
            using var agentHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = o.Url, Timeout = TimeSpan.FromMinutes(2) };
            await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (chat, token) =>
            {
                var agent = agents[chat.Index / ChatsPerAgent];
                chat.Agent = agent;
                track.Own(chat.Id, agent);
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/chats/{chat.Id}/accept");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", agent.Token);
                var t0 = Stopwatch.GetTimestamp();
                using var response = await agentHttp.SendAsync(request, token);
                await EnsureAsync(response, "accept", token);
                acceptLatency.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            });
            result.AcceptSeconds = watch.Elapsed.TotalSeconds;
            result.Accept = Latency.Of([.. acceptLatency], 0);
            var cpu1 = Cpu(o.ServerPid);
            result.SetupServerCpuSeconds = cpu1.Server - cpu0.Server;
            result.SetupHarnessCpuSeconds = cpu1.Harness - cpu0.Harness;
            Log($"{visitors:N0} chats accepted in {result.AcceptSeconds:0.0} s (p50 {result.Accept.P50:0} ms, p99 {result.Accept.P99:0} ms)");

            // ---- steady state: every connection open, every chat active, nothing sent
            await Task.Delay(5000, ct);
            result.RssSteadyMb = Mb(ReadRss(o.ServerPid));
            var steady = await MetricsAsync(admin, ct);
            result.GcHeapSteadyMb = steady.HeapMb;
            result.GcHeapByGenerationMb = steady.ByGeneration;
            result.OpenConnections = chats.Count(c => c.Hub!.State == HubConnectionState.Connected) + agents.Count(a => a.Hub!.State == HubConnectionState.Connected);
            Log($"steady: {result.OpenConnections:N0} connections open, server RSS {result.RssSteadyMb:0} MB (GC heap {result.GcHeapSteadyMb:0} MB)");

            // ---- the messages
            var total = rate * seconds;
            track.Expect(total);
            var sendErrors = 0;
            var errorSamples = new ConcurrentQueue<string>();
            var ackLatency = new double[total];
            var pending = new List<Task>(total);
            var scheduleLag = 0.0;
            var gc0 = await MetricsAsync(admin, ct);
            var window0 = Cpu(o.ServerPid);
            var machine0 = ProcessStats.MachineCpu();
            var begin = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = begin + (long)(i * Stopwatch.Frequency / (double)rate);
                var ahead = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (ahead > TimeSpan.FromMilliseconds(1)) await Task.Delay(ahead, ct);
                scheduleLag = Math.Max(scheduleLag, -Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due).TotalMilliseconds);
                var n = i;
                var chat = chats[n % visitors];
                pending.Add(Task.Run(async () =>
                {
                    var t0 = track.Sent(n);
                    try
                    {
                        await chat.Hub!.InvokeAsync<JsonElement>("Send", new { clientMessageId = $"m{n}", body = $"Message {n} from visitor {chat.Index + 1}: is there any news?" }, ct);
                        ackLatency[n] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    }
                    catch (Exception e) when (e is HubException or InvalidOperationException or IOException)
                    {
                        track.Failed(n);
                        if (Interlocked.Increment(ref sendErrors) <= 5) errorSamples.Enqueue(e.Message);
                    }
                }, ct));
            }
            var sendingSeconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            await Task.WhenAll(pending);
            // what is still on its way gets 10 seconds to arrive
            for (var waited = 0; waited < 100 && track.Outstanding > 0; waited++) await Task.Delay(100, ct);
            var window1 = Cpu(o.ServerPid);
            var machine1 = ProcessStats.MachineCpu();
            var elapsed = Stopwatch.GetElapsedTime(begin).TotalSeconds;
            var gc1 = await MetricsAsync(admin, ct);
            result.WindowGcPauseMs = (gc1.PauseSeconds - gc0.PauseSeconds) * 1000;
            result.WindowGcCollections = gc1.Collections.ToDictionary(c => c.Key, c => c.Value - gc0.Collections.GetValueOrDefault(c.Key), StringComparer.Ordinal);
            result.WindowAllocatedMb = (gc1.AllocatedBytes - gc0.AllocatedBytes) / 1024 / 1024;

            result.Sent = total;
            result.SendErrors = sendErrors;
            result.SendErrorSamples = [.. errorSamples];
            result.Lost = track.Outstanding;
            result.ScheduleLagMaxMs = scheduleLag;
            result.AchievedRate = total / sendingSeconds;
            result.Delivery = Latency.Of(track.Latencies(), sendErrors);
            result.Ack = Latency.Of([.. ackLatency.Where(a => a > 0)], sendErrors);
            result.Fanout = track.Deliveries;
            result.WindowServerCores = (window1.Server - window0.Server) / elapsed;
            result.WindowHarnessCores = (window1.Harness - window0.Harness) / elapsed;
            result.WindowOtherCores = Math.Max(0, machine1.Busy - machine0.Busy - (window1.Server - window0.Server) - (window1.Harness - window0.Harness)) / elapsed;
            result.RssAfterMb = Mb(ReadRss(o.ServerPid));
            Log($"{total:N0} messages at {result.AchievedRate:0} /s: visitor → agent p50 {result.Delivery.P50:0.0} ms, p95 {result.Delivery.P95:0.0} ms, "
                + $"p99 {result.Delivery.P99:0.0} ms, max {result.Delivery.Max:0.0} ms; lost {result.Lost}, send errors {sendErrors}; "
                + $"server {result.WindowServerCores:0.00} cores, harness {result.WindowHarnessCores:0.00}, others {result.WindowOtherCores:0.00}");
            foreach (var sample in errorSamples) Log("  send error: " + sample);
            Log($"  during the messages the server allocated {result.WindowAllocatedMb:0} MB, paused {result.WindowGcPauseMs:0} ms for garbage collection "
                + $"({string.Join(", ", result.WindowGcCollections.Select(c => $"{c.Key} {c.Value:0}"))})");

            // ---- quiet: everything open, nothing sent
            var quiet0 = Cpu(o.ServerPid);
            var quietWatch = Stopwatch.StartNew();
            await Task.Delay(10_000, ct);
            result.QuietServerCores = (Cpu(o.ServerPid).Server - quiet0.Server) / quietWatch.Elapsed.TotalSeconds;
            Log($"quiet, every connection open: server {result.QuietServerCores:0.000} cores");
        }
        finally
        {
            // the visitors leave (their chats end as abandoned or by the visitor) only by closing: the server is stopped after the run
            await Parallel.ForEachAsync(chats.Where(c => c?.Hub is not null), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (c, _) => await c.Hub!.DisposeAsync());
            await Parallel.ForEachAsync(agents.Where(a => a?.Hub is not null), async (a, _) => await a.Hub!.DisposeAsync());
        }
        await sampler.DisposeAsync();
        var memory = ProcessStats.Memory(o.ServerPid);
        result.RssPeakMb = memory is { } m ? Mb(m.Peak) : Mb(sampler.Rss.Select(r => r.Rss).DefaultIfEmpty().Max());
        result.Rss = [.. sampler.Rss.Select(r => new[] { Math.Round(r.Seconds, 1), Math.Round(Mb(r.Rss), 1) })];
        result.PerConnectionKb = (result.RssSteadyMb - result.RssBeforeMb) * 1024 / visitors;
        result.HarnessCpuSeconds = sampler.Cpu.GetValueOrDefault("harness");
        result.ServerCpuSeconds = sampler.Cpu.GetValueOrDefault("server");
        result.LoadAverageAfter = ProcessStats.LoadAverage();
        result.Seconds = run.Elapsed.TotalSeconds;
        Log($"server RSS: {result.RssBeforeMb:0} MB before, {result.RssConnectedMb:0} MB connected, {result.RssSteadyMb:0} MB steady, {result.RssAfterMb:0} MB after the messages, "
            + $"peak {result.RssPeakMb:0} MB; {result.PerConnectionKb:0.0} KB per visitor connection");
        ResultFile.Write(o.Out, result);
        return result.Lost == 0 && result.SendErrors == 0 ? 0 : 1;
    }

    public static int WriteReport(Options o)
    {
        var markdown = ChatReport.Markdown([.. o.Inputs.Where(File.Exists).Select(ResultFile.Read<ChatResult>)]);
        if (o.Out.EndsWith(".json", StringComparison.Ordinal)) Console.Write(markdown);
        else File.WriteAllText(o.Out, markdown);
        return 0;
    }

    private static HubConnection Hub(Uri url, string token) => new HubConnectionBuilder()
        .WithUrl(url, o =>
        {
            // straight to the WebSocket, as the widget does where it can: no negotiate round trip, one socket per connection
            o.Transports = HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
        })
        .AddJsonProtocol(p => Json.Configure(p.PayloadSerializerOptions))
        .Build();

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, object body, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(path, body, Wire, ct);
        await EnsureAsync(response, "POST " + path, ct);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.Clone();
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static (double Server, double Harness) Cpu(int? serverPid)
        => (ProcessStats.CpuSeconds(serverPid) ?? 0, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds);

    private static long ReadRss(int? pid) => ProcessStats.Memory(pid)?.Rss ?? 0;

    private static double Mb(long bytes) => bytes / 1024.0 / 1024.0;

    private sealed record Runtime(double? HeapMb, Dictionary<string, double> ByGeneration, double PauseSeconds, double AllocatedBytes, Dictionary<string, double> Collections);

    /// <summary>The server's garbage collector from /metrics: heap after the last collection (by generation), pauses, allocations, collections.</summary>
    private static async Task<Runtime> MetricsAsync(HttpClient http, CancellationToken ct)
    {
        var byGeneration = new Dictionary<string, double>(StringComparer.Ordinal);
        var collections = new Dictionary<string, double>(StringComparer.Ordinal);
        double pause = 0, allocated = 0;
        using var response = await http.GetAsync("/metrics", ct);
        if (!response.IsSuccessStatusCode) return new Runtime(null, byGeneration, 0, 0, collections);
        foreach (var line in (await response.Content.ReadAsStringAsync(ct)).Split('\n'))
        {
            if (line.StartsWith('#') || !double.TryParse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)) continue;
            var generation = line.IndexOf("gc_heap_generation=\"", StringComparison.Ordinal) is var at and >= 0 ? line[(at + 20)..line.IndexOf('"', at + 20)] : null;
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal) && generation is not null) byGeneration[generation] = v / 1024 / 1024;
            else if (line.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal) && generation is not null) collections[generation] = v;
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal)) pause = v;
            else if (line.StartsWith("dotnet_gc_heap_total_allocated_bytes_total", StringComparison.Ordinal)) allocated = v;
        }
        return new Runtime(byGeneration.Count == 0 ? null : byGeneration.Values.Sum(), byGeneration, pause, allocated, collections);
    }

    private static void Log(string line) => Console.WriteLine($"[{TimeProvider.System.GetUtcNow():HH:mm:ss}] {line}");

    private sealed class Agent(int index, Guid id, string token)
    {
        public int Index => index;
        public Guid Id => id;
        public string Token => token;
        public HubConnection? Hub { get; set; }
    }

    private sealed class Chat(int index, string token)
    {
        public int Index => index;
        public string Token => token;
        public Guid Id { get; set; }
        public Agent? Agent { get; set; }
        public HubConnection? Hub { get; set; }
    }

    /// <summary>
    /// When each message was sent and when the agent who has its chat heard it. Every agent hears every signal (the hub
    /// sends each to all agents); a message counts as delivered when its own agent's connection has it.
    /// </summary>
    private sealed class Tracker
    {
        private readonly ConcurrentDictionary<Guid, Agent> _owners = new();
        private long[] _sent = [];
        private long[] _heard = [];
        private int _outstanding;
        private long _deliveries;

        public void Own(Guid chatId, Agent agent) => _owners[chatId] = agent;

        public void Expect(int messages)
        {
            _sent = new long[messages];
            _heard = new long[messages];
            _outstanding = messages;
        }

        public long Sent(int n) => _sent[n] = Stopwatch.GetTimestamp();

        public void Failed(int n)
        {
            if (Interlocked.CompareExchange(ref _heard[n], -1, 0) == 0) Interlocked.Decrement(ref _outstanding);
        }

        public int Outstanding => Volatile.Read(ref _outstanding);

        public long Deliveries => Interlocked.Read(ref _deliveries);

        public void Heard(Agent agent, JsonElement signal)
        {
            var now = Stopwatch.GetTimestamp();
            if (signal.GetProperty("kind").GetString() != "line" || !signal.TryGetProperty("data", out var data)) return;
            if (!data.TryGetProperty("clientMessageId", out var idProperty) || idProperty.GetString() is not ['m', .. var digits]) return;
            Interlocked.Increment(ref _deliveries);
            if (!int.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out var n) || n >= _heard.Length) return;
            if (!_owners.TryGetValue(signal.GetProperty("chatId").GetGuid(), out var owner) || owner != agent) return;
            if (Interlocked.CompareExchange(ref _heard[n], now, 0) == 0) Interlocked.Decrement(ref _outstanding);
        }

        public List<double> Latencies()
        {
            var list = new List<double>(_heard.Length);
            for (var i = 0; i < _heard.Length; i++)
                if (_heard[i] > 0 && _sent[i] > 0) list.Add(Stopwatch.GetElapsedTime(_sent[i], _heard[i]).TotalMilliseconds);
            return list;
        }
    }
}
