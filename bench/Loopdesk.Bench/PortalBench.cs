using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Loopdesk.Bench;

/// <summary>
/// The customer portal under load, against a running server (`--url`, admin `--token`): the help center is filled to
/// 10,000 articles (1,000 with --quick) and the status page to 100 published incidents (5 current, 95 resolved, each
/// with its updates) through the API, then the home page and the status page are each read by 8 and by 32 clients back
/// to back (anonymous visitors, so output caching applies), and help-center searches of varied words are timed one at
/// a time.
/// </summary>
internal static class PortalBench
{
    private static readonly string[] Words =
        ["router", "invoice", "refund", "password", "delivery", "wifi", "upgrade", "modem", "account", "return", "adapter", "charge",
         "signal", "billing", "evening", "parcel", "reset", "plan", "users", "security", "tracking", "warranty", "speed", "cable"];

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        if (o.Url is null || o.Token is null) return Options.Usage("portal needs --url and --token (an admin API token)");
        using var http = new HttpClient { BaseAddress = o.Url, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.Token);
        var target = o.Quick ? 1_000 : 10_000;
        var seeded = await SeedAsync(http, target, ct);
        Console.WriteLine($"help articles: {seeded} (target {target})");
        Console.WriteLine($"published incidents: {await SeedIncidentsAsync(http, 100, ct)} (target 100)");

        using var anonymous = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = o.Url };
        var errors = 0;
        foreach (var (name, path) in new[] { ("portal home", "/"), ("status page", "/status") })
        {
            foreach (var clients in new[] { 8, 32 })
            {
                var page = await Load.ClosedLoopAsync(clients, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(o.Quick ? 5 : 15), async (_, _) =>
                {
                    using var response = await anonymous.GetAsync(path, ct);
                    await response.Content.CopyToAsync(Stream.Null, ct);
                    return response.IsSuccessStatusCode;
                }, o.ServerPid, o.DatabasePid, ct);
                errors += page.Latency.Errors;
                Console.WriteLine($"{name}: {page.PerSecond:0} req/s at {clients} clients, p50 {page.Latency.P50:0.0} ms, p95 {page.Latency.P95:0.0} ms, p99 {page.Latency.P99:0.0} ms, errors {page.Latency.Errors}");
            }
        }

        var random = new Random(7);
        var search = await Load.SerialAsync(20, o.Quick ? 200 : 1_000, TimeSpan.FromMinutes(2), async _ =>
        {
            var q = Words[random.Next(Words.Length)] + (random.Next(2) == 0 ? "" : " " + Words[random.Next(Words.Length)][..4]);
            using var response = await anonymous.GetAsync($"/api/v1/help/search?limit=10&q={Uri.EscapeDataString(q)}", ct);
            await response.Content.CopyToAsync(Stream.Null, ct);
            return response.IsSuccessStatusCode;
        }, ct);
        Console.WriteLine($"help search at {seeded} articles: p50 {search.P50:0.0} ms, p95 {search.P95:0.0} ms, p99 {search.P99:0.0} ms, errors {search.Errors}");
        return errors + search.Errors == 0 ? 0 : 1;
    }

    /// <summary>Publishes incidents until the status page holds <paramref name="target"/>: one in twenty current, the rest resolved, each with two updates.</summary>
    private static async Task<int> SeedIncidentsAsync(HttpClient http, int target, CancellationToken ct)
    {
        var existing = (await http.GetFromJsonAsync<JsonElement>("/api/v1/incidents?state=all", ct)).GetArrayLength();
        await Parallel.ForEachAsync(Enumerable.Range(existing, Math.Max(0, target - existing)), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var r = new Random(i);
            string W() => Words[r.Next(Words.Length)];
            using var created = await http.PostAsJsonAsync("/api/v1/incidents", new
            {
                title = $"Trouble with {W()} and {W()} ({i})", description = $"Some customers cannot use {W()}; {W()} is slow.",
                prevention = $"We are adding a second {W()} so this cannot happen again.", apology = "We are sorry for the trouble this causes.",
                eta = TimeProvider.System.GetUtcNow().AddHours(4), published = true,
            }, token);
            created.EnsureSuccessStatusCode();
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>(token)).GetProperty("id").GetGuid();
            (await http.PostAsJsonAsync($"/api/v1/incidents/{id}/updates", new { text = $"We found the cause: the {W()}.", status = "identified" }, token)).EnsureSuccessStatusCode();
            if (i % 20 != 0) (await http.PostAsJsonAsync($"/api/v1/incidents/{id}/resolve", new { text = $"The {W()} works again." }, token)).EnsureSuccessStatusCode();
        });
        return Math.Max(existing, target);
    }

    /// <summary>Adds articles (three sentences of varied help-center words each) until the help center holds <paramref name="target"/>.</summary>
    private static async Task<int> SeedAsync(HttpClient http, int target, CancellationToken ct)
    {
        var existing = (await http.GetFromJsonAsync<JsonElement>("/api/v1/help/articles", ct)).GetArrayLength();
        if (existing >= 1000 && existing >= target) return existing;
        var category = await http.PostAsJsonAsync("/api/v1/help/categories", new { name = $"Bench {Guid.NewGuid():N}"[..20] }, ct);
        category.EnsureSuccessStatusCode();
        var categoryId = (await category.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        var next = 0;
        var started = Stopwatch.StartNew();
        var run = Guid.NewGuid().ToString("N")[..6];
        await Parallel.ForEachAsync(Enumerable.Range(0, target), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            var r = new Random(i);
            string W() => Words[r.Next(Words.Length)];
            var body = $"How to {W()} your {W()}.\n\n1. Open the {W()} page.\n2. Check the {W()} and the {W()}.\n\nIf the {W()} still fails, contact us about the {W()}.";
            using var response = await http.PostAsJsonAsync("/api/v1/help/articles", new { categoryId, title = $"{W()} {W()} {W()} {run}-{i}", body, summary = $"About {W()}." }, token);
            response.EnsureSuccessStatusCode();
            if (Interlocked.Increment(ref next) % 2000 == 0) Console.WriteLine($"  {next} articles in {started.Elapsed.TotalSeconds:0} s");
        });
        return target;
    }
}
