using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Loopdesk.E2E;

/// <summary>
/// Two server processes on different ports, one database, and a real Redis between them (Debian's redis-server, which
/// scripts/test installs): a visitor connected to one and an agent working on the other talk both ways.
/// </summary>
public sealed class ChatScaleOutTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loopdesk-scaleout-").FullName;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<Process> _processes = [];
    private string _redis = "";

    public async ValueTask InitializeAsync()
    {
        var redisPort = WorkspaceHost.FreePort();
        var redisServer = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is not installed: scripts/test installs Debian's redis-server package.");
        var redis = Process.Start(new ProcessStartInfo(redisServer, ["--port", redisPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", _dir, "--save", "", "--appendonly", "no"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        _processes.Add(redis);
        _redis = $"127.0.0.1:{redisPort}";
        var seed = WorkspaceHost.StartLoopdesk(_dir, new Dictionary<string, string>(), _log.Enqueue, "seed-demo", "--customers", "5", "--tickets", "5");
        await seed.WaitForExitAsync();
        if (seed.ExitCode != 0) throw new InvalidOperationException("seed-demo failed: " + await seed.StandardError.ReadToEndAsync());
    }

    private async Task<string> ServeAsync()
    {
        var url = $"http://127.0.0.1:{WorkspaceHost.FreePort()}";
        var server = WorkspaceHost.StartLoopdesk(_dir, new Dictionary<string, string> { ["Loopdesk__Redis"] = _redis }, _log.Enqueue, "serve", "--urls", url);
        _processes.Add(server);
        await WorkspaceHost.WaitForHealthAsync(server, url);
        return url;
    }

    private static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what) where T : class
    {
        for (var i = 0; i < 200; i++)
        {
            if (probe() is { } found) return found;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"Never saw {what}.");
    }

    [Fact]
    public async Task A_visitor_on_one_process_and_an_agent_on_another_talk_through_redis()
    {
        var ct = TestContext.Current.CancellationToken;
        var one = await ServeAsync();
        var two = await ServeAsync();

        // on process two: Priya goes online and gets an API token
        using var admin = new HttpClient { BaseAddress = new Uri(two) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WorkspaceHost.AdminToken);
        var agents = await admin.GetFromJsonAsync<JsonElement>("/api/v1/agents", ct);
        var priya = agents.EnumerateArray().First(a => a.GetProperty("email").GetString() == "priya.shah@loopdesk.example").GetProperty("id").GetGuid();
        (await admin.PatchAsJsonAsync($"/api/v1/agents/{priya}", new { presence = "online" }, ct)).EnsureSuccessStatusCode();
        var token = (await (await admin.PostAsJsonAsync($"/api/v1/agents/{priya}/tokens", new { name = "scale-out" }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("token").GetString()!;
        using var agent = new HttpClient { BaseAddress = new Uri(two) };
        agent.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var signals = new ConcurrentQueue<JsonElement>();
        await using var agentHub = new HubConnectionBuilder()
            .WithUrl($"{two}/hubs/chat/agent", o => { o.Transports = HttpTransportType.WebSockets; o.AccessTokenProvider = () => Task.FromResult<string?>(token); })
            .Build();
        agentHub.On<JsonElement>("Signal", s => signals.Enqueue(s));
        await agentHub.StartAsync(ct);

        // on process one: a visitor of the demo site starts a chat
        using var site = new HttpClient { BaseAddress = new Uri(one) };
        var visitor = await (await site.PostAsJsonAsync("/api/v1/chat/sites/demo/visitors", new { token = (string?)null }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var visitorToken = visitor.GetProperty("token").GetString();
        var heard = new ConcurrentQueue<JsonElement>();
        var accepted = new ConcurrentQueue<string>();
        await using var visitorHub = new HubConnectionBuilder()
            .WithUrl($"{one}/hubs/chat/visitor", o => { o.Transports = HttpTransportType.WebSockets; o.AccessTokenProvider = () => Task.FromResult(visitorToken); })
            .Build();
        visitorHub.On<JsonElement>("Message", m => heard.Enqueue(m));
        visitorHub.On<JsonElement>("Accepted", a => accepted.Enqueue(a.GetProperty("agent").GetString()!));
        await visitorHub.StartAsync(ct);
        var state = await visitorHub.InvokeAsync<JsonElement>("Start", new { name = "Robin", email = "robin@example.com", question = "Do you deliver on Sundays?", page = "https://shop.example/", clientMessageId = "m1" }, ct);
        var chatId = state.GetProperty("chatId").GetGuid();

        // the agent on process two hears of it, takes it and answers; the visitor on process one hears both
        await EventuallyAsync(() => signals.Any(s => s.GetProperty("kind").GetString() == "queued" && s.GetProperty("chatId").GetGuid() == chatId) ? "yes" : null, "the queued chat on the other process");
        (await agent.PostAsJsonAsync($"/api/v1/chats/{chatId}/accept", new { }, ct)).EnsureSuccessStatusCode();
        Assert.Equal("Priya Shah", await EventuallyAsync(() => accepted.FirstOrDefault(), "the accepted notice across processes"));
        (await agent.PostAsJsonAsync($"/api/v1/chats/{chatId}/messages", new { body = "Yes, between 10 and 4." }, ct)).EnsureSuccessStatusCode();
        await EventuallyAsync(() => heard.Any(m => m.GetProperty("body").GetString() == "Yes, between 10 and 4.") ? "yes" : null, "the agent's words across processes");

        // and the visitor's words reach the agent's side
        await visitorHub.InvokeAsync<JsonElement>("Send", new { clientMessageId = "m2", body = "Perfect, thanks!" }, ct);
        await EventuallyAsync(() => signals.Any(s => s.GetProperty("kind").GetString() == "line"
            && s.GetProperty("data").GetProperty("body").GetString() == "Perfect, thanks!") ? "yes" : null, "the visitor's words across processes");
        var chat = await agent.GetFromJsonAsync<JsonElement>($"/api/v1/chats/{chatId}", ct);
        Assert.Contains(chat.GetProperty("messages").EnumerateArray(), m => m.GetProperty("body").GetString() == "Perfect, thanks!");
        Assert.DoesNotContain(_log, l => l.Contains("\"@l\":\"Error", StringComparison.Ordinal) && l.Contains("Redis", StringComparison.OrdinalIgnoreCase));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                await p.WaitForExitAsync();
            }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
