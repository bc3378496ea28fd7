using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Loopdesk.Bench;

/// <summary>Everything one provider's run measured; written as JSON, turned into markdown by <see cref="Report"/>.</summary>
internal sealed class ProviderResult
{
    public string Provider { get; set; } = "";
    public bool Quick { get; set; }
    public string Started { get; set; } = "";
    public string LoadAverageBefore { get; set; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public DataSet Data { get; set; } = new();
    public List<WriteLevel> Writes { get; set; } = [];
    public Latency? Get { get; set; }
    /// <summary>GET ticket with eight requests in flight: the cost of a request that writes nothing.</summary>
    public Throughput? GetConcurrent { get; set; }
    public List<SearchPoint> Search { get; set; } = [];
    public InboxResult? Inbox { get; set; }
    public MemoryResult? AfterLoad { get; set; }
    public MemoryResult? Idle { get; set; }
    public List<string> Fidelity { get; set; } = [];
    public double Seconds { get; set; }
    /// <summary>Cores kept busy by processes other than the server, its database and the harness, on average over the run.</summary>
    public double OtherCores { get; set; }
    public double StealCores { get; set; }
}

internal sealed class DataSet
{
    public long Tickets { get; set; }
    public long Messages { get; set; }
    public long Customers { get; set; }
    public long Events { get; set; }
    public long Contacts { get; set; }
    public long DatabaseBytes { get; set; }
    public long SeededTickets { get; set; }
    public long SeededRows { get; set; }
    public double SeedSeconds { get; set; }
    public long LargestTeamOpen { get; set; }
}

/// <summary><paramref name="Contended"/>: SQLite only, direct writers waiting in SQLite's busy handler instead of taking turns.</summary>
internal sealed record WriteLevel(int Concurrency, Throughput Api, Throughput Direct, Throughput? Contended = null);

internal sealed record SearchClassResult(string Name, string Example, double HitShare, Latency Latency);

internal sealed record SearchPoint(long Messages, long Tickets, Latency Overall, List<SearchClassResult> Classes);

internal sealed record InboxResult(long Tickets, long LargestTeamOpen, Latency Latency);

internal sealed record MemoryResult(long RssBytes, long PeakRssBytes, long? GcHeapBytes, double WaitedSeconds);

internal static class ResultFile
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write<T>(string path, T result)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(result, Options));
    }

    public static ProviderResult Read(string path) => Read<ProviderResult>(path);

    public static T Read<T>(string path)
        => JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options) ?? throw new InvalidDataException(path);
}

/// <summary>The markdown tables of docs/performance.md.</summary>
internal static class Report
{
    private const double Mb = 1024 * 1024;

    public static string Markdown(IReadOnlyList<ProviderResult> results)
    {
        var s = results.FirstOrDefault(r => r.Provider == "sqlite");
        var p = results.FirstOrDefault(r => r.Provider == "postgres");
        var md = new StringBuilder();
        void Line(string text) => md.Append(text).Append('\n');
        void Row(string number, string measure, string target, Func<ProviderResult, string> cell)
            => Line($"| {number} | {measure} | {target} | {(s is null ? "—" : cell(s))} | {(p is null ? "—" : cell(p))} |");

        Line("| # | Measure | Target | SQLite | PostgreSQL |");
        Line("|---|---|---|---:|---:|");
        foreach (var c in Levels(results))
        {
            Row("1", $"API: tickets created/s, concurrency {c}", c == 8 ? "≥ 1,500/s" : "",
                r => Level(r, c) is { } w ? Rate(w.Api) + (c == 8 ? Mark(w.Api.PerSecond >= 1500) : "") : "—");
        }
        foreach (var c in Levels(results))
        {
            Row("2", $"Direct inserts: tickets/s, concurrency {c}", "(the limit)", r => Level(r, c) is { } w ? Rate(w.Direct) : "—");
        }
        if (results.Any(r => r.Writes.Any(w => w.Contended is not null)))
        {
            foreach (var c in Levels(results).Where(c => c > 1))
            {
                Row("2", $"Direct inserts, writers waiting on SQLite's lock as the server's do, concurrency {c}", "",
                    r => Level(r, c)?.Contended is { } x ? Rate(x) : "—");
            }
        }
        foreach (var c in Levels(results))
        {
            Row("2", $"Direct ÷ API, concurrency {c}", "≤ 3×", r => Level(r, c) is { Api.PerSecond: > 0 } w
                ? $"{w.Direct.PerSecond / w.Api.PerSecond:0.0}×{Mark(w.Direct.PerSecond / w.Api.PerSecond <= 3)}{(IsDisturbed(w.Api) || IsDisturbed(w.Direct) ? " †" : "")}"
                : "—");
        }
        Row("1", "API create latency p50 / p99, concurrency 8", "", r => Level(r, 8) is { } w ? $"{Ms(w.Api.Latency.P50)} / {Ms(w.Api.Latency.P99)} ms" : "—");
        Row("3", "GET /tickets/{reference} p50 / p95 / p99", "p99 ≤ 5 ms",
            r => r.Get is { } g ? $"{Ms(g.P50)} / {Ms(g.P95)} / {Ms(g.P99)} ms{Mark(g.P99 <= 5)}" : "—");
        if (results.Any(r => r.GetConcurrent is not null))
        {
            Row("3", "GET /tickets/{reference}, concurrency 8: requests/s", "", r => r.GetConcurrent is { } g ? Rate(g) : "—");
        }
        var points = results.SelectMany(r => r.Search.Select((x, i) => i)).Distinct().Order().ToList();
        foreach (var i in points)
        {
            var label = results.Select(r => r.Search.ElementAtOrDefault(i)).FirstOrDefault(x => x is not null) is { } first ? Count(first.Messages) : "?";
            var isTarget = IsMillionPoint(results, i);
            Row("4", $"GET /search p50 / p95 at {label} messages", isTarget ? "p95 ≤ 50 ms" : "",
                r => r.Search.ElementAtOrDefault(i) is { } x
                    ? $"{Ms(x.Overall.P50)} / {Ms(x.Overall.P95)} ms{(isTarget ? Mark(x.Overall.P95 <= 50) : "")}"
                    : "—");
        }
        Row("5", $"GET /tickets?teamId=&status=open, first page, p50 / p95 at {Count(Max(results, r => r.Inbox?.Tickets ?? 0))} tickets", "p95 ≤ 20 ms",
            r => r.Inbox is { } x ? $"{Ms(x.Latency.P50)} / {Ms(x.Latency.P95)} ms{Mark(x.Latency.P95 <= 20)}" : "—");
        Row("6", $"Server RSS idle, {Count(Max(results, r => r.Data.Tickets))} tickets stored (GC heap)", "≤ 300 MB",
            r => r.Idle is { } m ? $"{m.RssBytes / Mb:0} MB ({Heap(m)}){Mark(m.RssBytes <= 300 * Mb)}" : "—");
        Row("6", "Server RSS after the load (peak) (GC heap)", "",
            r => r.AfterLoad is { } m ? $"{m.RssBytes / Mb:0} MB (peak {m.PeakRssBytes / Mb:0} MB) ({Heap(m)})" : "—");
        var disturbed = results.SelectMany(r => r.Writes.SelectMany(w => new[] { w.Api, w.Direct, w.Contended }).Append(r.GetConcurrent))
            .Where(t => t is not null && IsDisturbed(t)).Select(t => t!.OtherCores).ToList();
        if (disturbed.Count > 0)
        {
            Line("");
            Line($"† Other processes on the machine used {disturbed.Min():0.00} to {disturbed.Max():0.00} of its 2 cores during this write window "
                + "(see the CPU table), so the figure is lower than the machine gives when quiet.");
        }
        Line("");

        Line("Search by kind of query (p50 / p95 in ms; \"share\" is the part of all messages that hold the word, as a prefix):");
        Line("");
        Line("| Messages | Query | Example | Share | SQLite | PostgreSQL |");
        Line("|---:|---|---|---:|---:|---:|");
        foreach (var i in points)
        {
            var any = results.Select(r => r.Search.ElementAtOrDefault(i)).First(x => x is not null)!;
            foreach (var c in any.Classes)
            {
                string Cell(ProviderResult? r) => r?.Search.ElementAtOrDefault(i)?.Classes.FirstOrDefault(k => k.Name == c.Name) is { } k
                    ? $"{Ms(k.Latency.P50)} / {Ms(k.Latency.P95)}"
                    : "—";
                Line($"| {Count(any.Messages)} | {c.Name} | {c.Example} | {(c.Name == "customer name" ? "(names)" : c.HitShare.ToString("0.0%", CultureInfo.InvariantCulture))} | {Cell(s)} | {Cell(p)} |");
            }
        }
        Line("");

        Line("Where the processor time went, per created ticket" + (results.Any(r => r.GetConcurrent is not null) ? " (the last row: per read request)" : "")
            + " (ms of CPU; the harness's own share included):");
        Line("");
        Line("| Path | Concurrency | SQLite server | SQLite harness | PostgreSQL server | PostgreSQL database | PostgreSQL harness | Other processes (cores), SQLite / PostgreSQL |");
        Line("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in Levels(results))
        {
            string Cpu(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "—";
            var ws = s is null ? null : Level(s, c);
            var wp = p is null ? null : Level(p, c);
            string Other(Throughput? a, Throughput? b) => $"{(a is null ? "—" : a.OtherCores.ToString("0.00", CultureInfo.InvariantCulture))} / {(b is null ? "—" : b.OtherCores.ToString("0.00", CultureInfo.InvariantCulture))}";
            Line($"| API | {c} | {Cpu(ws?.Api.ServerCpuMs)} | {Cpu(ws?.Api.HarnessCpuMs)} | {Cpu(wp?.Api.ServerCpuMs)} | {Cpu(wp?.Api.DatabaseCpuMs)} | {Cpu(wp?.Api.HarnessCpuMs)} | {Other(ws?.Api, wp?.Api)} |");
            Line($"| direct | {c} | — | {Cpu(ws?.Direct.HarnessCpuMs)} | — | {Cpu(wp?.Direct.DatabaseCpuMs)} | {Cpu(wp?.Direct.HarnessCpuMs)} | {Other(ws?.Direct, wp?.Direct)} |");
        }
        if (results.Any(r => r.GetConcurrent is not null))
        {
            var gs = s?.GetConcurrent;
            var gp = p?.GetConcurrent;
            string Cpu(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "—";
            string Other(Throughput? t) => t is null ? "—" : t.OtherCores.ToString("0.00", CultureInfo.InvariantCulture);
            Line($"| GET ticket (per request, nothing written) | 8 | {Cpu(gs?.ServerCpuMs)} | {Cpu(gs?.HarnessCpuMs)} | {Cpu(gp?.ServerCpuMs)} | {Cpu(gp?.DatabaseCpuMs)} | {Cpu(gp?.HarnessCpuMs)} | {Other(gs)} / {Other(gp)} |");
        }
        Line("");

        Line("The data set:");
        Line("");
        Line("| | SQLite | PostgreSQL |");
        Line("|---|---:|---:|");
        void DataRow(string name, Func<ProviderResult, string> cell) => Line($"| {name} | {(s is null ? "—" : cell(s))} | {(p is null ? "—" : cell(p))} |");
        DataRow("tickets", r => N(r.Data.Tickets));
        DataRow("messages", r => N(r.Data.Messages));
        DataRow("customers", r => N(r.Data.Customers));
        DataRow("contacts", r => N(r.Data.Contacts));
        DataRow("ticket events", r => N(r.Data.Events));
        DataRow("open tickets of the largest team", r => N(r.Data.LargestTeamOpen));
        DataRow("database size", r => $"{r.Data.DatabaseBytes / Mb / 1024:0.00} GiB");
        DataRow("bulk seeding", r => r.Data.SeedSeconds > 0
            ? $"{N(r.Data.SeededTickets)} tickets in {r.Data.SeedSeconds:0} s ({r.Data.SeededTickets / r.Data.SeedSeconds:N0} tickets/s, {r.Data.SeededRows / r.Data.SeedSeconds:N0} rows/s)"
            : "—");
        DataRow("other processes' CPU during the run (of 2 cores)", r => $"{r.OtherCores:0.00} cores" + (r.StealCores >= 0.01 ? $", {r.StealCores:0.00} stolen by the hypervisor" : ""));
        DataRow("run time", r => $"{r.Seconds / 60:0.0} min");
        var errors = results.Where(r => r.Writes.Any(w => w.Api.Latency.Errors + w.Direct.Latency.Errors > 0) || (r.Get?.Errors ?? 0) > 0 || (r.GetConcurrent?.Latency.Errors ?? 0) > 0
            || (r.Inbox?.Latency.Errors ?? 0) > 0 || r.Search.Any(x => x.Overall.Errors > 0)).Select(r => r.Provider).ToList();
        if (errors.Count > 0)
        {
            Line("");
            Line($"Some requests failed during the run ({string.Join(", ", errors)}); see the JSON results for the counts.");
        }
        return md.ToString();
    }

    private static IEnumerable<int> Levels(IReadOnlyList<ProviderResult> results)
        => results.SelectMany(r => r.Writes.Select(w => w.Concurrency)).Distinct().Order();

    private static WriteLevel? Level(ProviderResult r, int concurrency) => r.Writes.FirstOrDefault(w => w.Concurrency == concurrency);

    private static bool IsMillionPoint(IReadOnlyList<ProviderResult> results, int i)
        => results.Any(r => r.Search.ElementAtOrDefault(i) is { Messages: >= 1_000_000 and < 1_500_000 });

    private static long Max(IReadOnlyList<ProviderResult> results, Func<ProviderResult, long> value) => results.Count == 0 ? 0 : results.Max(value);

    private static string Rate(Throughput t) => $"{t.PerSecond:N0}/s{Disturbed(t)}" + (t.Latency.Errors > 0 ? $" ({t.Latency.Errors} errors)" : "");

    /// <summary>Other processes kept at least a quarter of a core busy during the window: the figure is lower than on a quiet machine.</summary>
    private static bool IsDisturbed(Throughput t) => t.OtherCores >= DisturbedCores;

    private static string Disturbed(Throughput t) => IsDisturbed(t) ? " †" : "";

    private const double DisturbedCores = 0.25;

    private static string Mark(bool ok) => ok ? " ✓" : " ✗";

    private static string Ms(double value) => double.IsNaN(value) ? "—" : value < 10 ? value.ToString("0.00", CultureInfo.InvariantCulture) : value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Heap(MemoryResult m) => m.GcHeapBytes is { } h ? $"GC heap {h / Mb:0} MB" : "GC heap unknown";

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>100,000 → "100k"; 1,000,000 → "1M"; 2,212,345 → "2.21M".</summary>
    public static string Count(long value) => value switch
    {
        >= 1_000_000 => (value / 1e6).ToString(value % 1_000_000 == 0 ? "0" : "0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (value / 1e3).ToString(value % 1_000 == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };
}
