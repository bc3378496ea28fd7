using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Loopdesk.Bench;

/// <summary>Everything one provider's rules run measured; written as JSON, turned into markdown by <see cref="RulesReport"/>.</summary>
internal sealed class RulesResult
{
    public string Provider { get; set; } = "";
    public bool Quick { get; set; }
    public string Started { get; set; } = "";
    public string LoadAverageBefore { get; set; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public TriggerResult? Triggers { get; set; }
    public TimerResult? Timers { get; set; }
    public List<OutboxResult> Outbox { get; set; } = [];
    public double Seconds { get; set; }
}

/// <summary>PATCH /tickets/{reference} one at a time, in rounds without and with the custom rules.</summary>
internal sealed class TriggerResult
{
    public int Tickets { get; set; }
    public int CustomRules { get; set; }
    /// <summary>Custom rules whose conditions hold for some of the updates (the rest never match this data).</summary>
    public int ActingRules { get; set; }
    public double RuleCreateSeconds { get; set; }
    public List<TriggerRound> Rounds { get; set; } = [];
    /// <summary>The rounds without custom rules, pooled.</summary>
    public Latency? Without { get; set; }
    /// <summary>The rounds with every custom rule enabled, pooled.</summary>
    public Latency? With { get; set; }
    /// <summary>POST /tickets, 8 in flight, with the built-in rules on and off in turn.</summary>
    public List<CreateRound> Creates { get; set; } = [];
    public string LoadAverage { get; set; } = "";
}

/// <summary>A window of ticket creations; <see cref="Name"/> says which built-in rules were on.</summary>
internal sealed record CreateRound(string Name, Throughput Run)
{
    public const string On = "built-in rules on";
    public const string Off = "built-in rules off";
    public const string OnButAcknowledgement = "built-in rules on but close-the-loop";
}

/// <summary>
/// One round of updates. <c>RuleRunsPerUpdate</c>: rule runs the server logged per update (a rule that acted, built-in or
/// custom); <c>ServerCpuMs</c>: the server's CPU per update; <c>OtherCores</c>: what other processes used meanwhile.
/// </summary>
internal sealed record TriggerRound(string Name, int ActiveRules, Latency Latency, double RuleRunsPerUpdate, double? ServerCpuMs, double OtherCores);

/// <summary>A million pending timers; those falling due in a window fire while the server is killed and restarted halfway.</summary>
internal sealed class TimerResult
{
    public long Pending { get; set; }
    public int DueInWindow { get; set; }
    public int WindowSeconds { get; set; }
    public int LeaseSeconds { get; set; }
    public double SeedSeconds { get; set; }
    public double StartupEmptySeconds { get; set; }
    public double StartupPendingSeconds { get; set; }
    public double RestartSeconds { get; set; }
    /// <summary>When the first server was killed, seconds after the first timer of the window fell due.</summary>
    public double KilledAtSeconds { get; set; }
    /// <summary>From the kill until the new process answered /healthz.</summary>
    public double DownSeconds { get; set; }
    public long RssEmpty { get; set; }
    public long? GcHeapEmpty { get; set; }
    public long RssPending { get; set; }
    public long? GcHeapPending { get; set; }
    public long RssPeakFirst { get; set; }
    public long RssPeakSecond { get; set; }
    public long RssEnd { get; set; }
    /// <summary>Peak memory in the second half of the first (killed) process's life over its peak in the first half.</summary>
    public double RssGrowthFirst { get; set; }
    /// <summary>The same for the restarted process.</summary>
    public double RssGrowthSecond { get; set; }
    public List<RssPoint> RssSeries { get; set; } = [];
    /// <summary>Lag (delivery − due time) of the timers that fell due while a server ran and were fired by it.</summary>
    public Latency? Steady { get; set; }
    /// <summary>Lag of every timer of the window, kill and restart included.</summary>
    public Latency? All { get; set; }
    public int DueWhileDown { get; set; }
    public double DueWhileDownMaxLagMs { get; set; }
    /// <summary>Due before the kill, fired only after it (in flight, or claimed by the killed process and kept until its lease ran out).</summary>
    public int CaughtByKill { get; set; }
    public double CaughtByKillMaxLagMs { get; set; }
    public int Fired { get; set; }
    public int Missing { get; set; }
    public int Early { get; set; }
    public int Repeated { get; set; }
    /// <summary>Deliveries of timers that were not due in the window (fired too early).</summary>
    public int Unexpected { get; set; }
    public long LeftDue { get; set; }
    public long LeftPending { get; set; }
    public double OtherCores { get; set; }
    public Dictionary<string, double> CpuSeconds { get; set; } = [];
    public string LoadAverage { get; set; } = "";
}

/// <summary>A burst of due webhook jobs run by one or two server processes on one database.</summary>
internal sealed class OutboxResult
{
    public string Setting { get; set; } = "";
    public int Processes { get; set; }
    public int BatchSize { get; set; }
    public int Concurrency { get; set; }
    /// <summary>How long the consumer took to answer each delivery.</summary>
    public int ReceiverDelayMilliseconds { get; set; }
    public int Jobs { get; set; }
    public double InsertSeconds { get; set; }
    /// <summary>From the commit of the jobs to the last delivery.</summary>
    public double Seconds { get; set; }
    public double PerSecond { get; set; }
    /// <summary>Between the 10th and the 90th percentile of the deliveries.</summary>
    public double SteadyPerSecond { get; set; }
    public long Delivered { get; set; }
    public long Repeats { get; set; }
    public long Missing { get; set; }
    public List<long> ByProcess { get; set; } = [];
    public long Unattributed { get; set; }
    public long LeftRows { get; set; }
    public long Retried { get; set; }
    /// <summary>CPU milliseconds per job: each server process, the database, the harness (the receiver).</summary>
    public Dictionary<string, double> CpuMsPerJob { get; set; } = [];
    public double OtherCores { get; set; }
    public string LoadAverage { get; set; } = "";
}

internal static class RulesResultFile
{
    public static void Write(string path, RulesResult result)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(result, ResultFile.Options));
    }

    public static RulesResult Read(string path)
        => JsonSerializer.Deserialize<RulesResult>(File.ReadAllText(path), ResultFile.Options) ?? throw new InvalidDataException(path);
}

/// <summary>The markdown of the "Service rules engine" results.</summary>
internal static class RulesReport
{
    private const double Mb = 1024 * 1024;

    public static string Markdown(IReadOnlyList<RulesResult> results)
    {
        var s = results.FirstOrDefault(r => r.Provider == "sqlite");
        var p = results.FirstOrDefault(r => r.Provider == "postgres");
        var md = new StringBuilder();
        void Line(string text) => md.Append(text).Append('\n');
        // a row: the figure on each provider and the verdict over the providers the target applies to
        void Row(string number, string target, string measure, Func<RulesResult, string?> cell, Func<RulesResult, bool?>? verdict = null)
        {
            string Cell(RulesResult? r) => r is null ? "—" : cell(r) ?? "—";
            var verdicts = new[] { s, p }.Where(r => r is not null).Select(r => verdict?.Invoke(r!)).Where(v => v is not null).Select(v => v!.Value).ToList();
            var mark = verdicts.Count == 0 ? "" : verdicts.All(v => v) ? "✓" : "✗";
            Line($"| {number} | {target} | {measure} | {Cell(s)} | {Cell(p)} | {mark} |");
        }

        Line("| # | Target | Measure | SQLite | PostgreSQL | Verdict |");
        Line("|---|---|---|---:|---:|:---:|");
        Row("1", "1M pending timers: firing lag p99 ≤ 1 s", "lag p50 / p95 / p99 (max), timers due while a server ran",
            r => r.Timers?.Steady is { } l ? $"{Ms(l.P50)} / {Ms(l.P95)} / {Ms(l.P99)} ms ({Ms(l.Max)} ms)" : null,
            r => r.Timers?.Steady is { } l ? l.P99 <= 1000 && l.Count > 0 : null);
        Row("1", "", "lag p50 / p95 / p99 (max), every timer of the window, the kill included",
            r => r.Timers?.All is { } l ? $"{Ms(l.P50)} / {Ms(l.P95)} / {Ms(l.P99)} ms ({Seconds(l.Max)})" : null);
        Row("1", "memory flat", "server RSS: no timers / 1M pending, idle / peak while firing (before, after the restart) / end",
            r => r.Timers is { } t ? $"{t.RssEmpty / Mb:0} / {t.RssPending / Mb:0} / {t.RssPeakFirst / Mb:0}, {t.RssPeakSecond / Mb:0} / {t.RssEnd / Mb:0} MB" : null,
            r => r.Timers is { } t ? IsFlat(t) : null);
        Row("1", "", "growth while firing: peak in the second half of each process's life ÷ peak in the first (killed process, restarted one)",
            r => r.Timers is { } t ? $"{t.RssGrowthFirst:0.00}×, {t.RssGrowthSecond:0.00}×" : null);
        Row("1", "a restart loses none", "timers of the window fired / due; lost; fired again (same delivery id)",
            r => r.Timers is { } t ? $"{N(t.Fired)} / {N(t.DueInWindow)}; {N(t.Missing)} lost; {N(t.Repeated)} again" : null,
            r => r.Timers is { } t ? t.Missing == 0 && t.LeftDue == 0 && t.Early == 0 && t.Unexpected == 0 : null);
        Row("1", "", "kill −9 halfway: back after; timers due meanwhile, latest fired after its due time",
            r => r.Timers is { } t ? $"{t.DownSeconds:0.0} s; {N(t.DueWhileDown)}, {Seconds(t.DueWhileDownMaxLagMs)}" : null);
        Row("1", "", "due before the kill and fired after it (held by the killed process until its lease ran out)",
            r => r.Timers is { } t ? $"{N(t.CaughtByKill)}" + (t.CaughtByKill > 0 ? $", latest {Seconds(t.CaughtByKillMaxLagMs)} late" : "") : null);
        Row("2", "200 active rules add ≤ 2 ms p95 to a ticket update", "PATCH /tickets/{reference} p50 / p95, no custom rules",
            r => r.Triggers?.Without is { } l ? $"{Ms(l.P50)} / {Ms(l.P95)} ms" : null);
        Row("2", "", "PATCH /tickets/{reference} p50 / p95, 200 custom rules",
            r => r.Triggers?.With is { } l ? $"{Ms(l.P50)} / {Ms(l.P95)} ms" : null);
        Row("2", "", "added p95",
            r => r.Triggers is { Without: { } a, With: { } b } ? $"{Signed(b.P95 - a.P95)} ms" : null,
            r => r.Triggers is { Without: { } a, With: { } b } ? b.P95 - a.P95 <= 2 : null);
        Row("4", "(what the rules cost a new ticket)", "POST /tickets, 8 in flight, tickets/s: built-in rules on / off (on but close-the-loop)",
            r => r.Triggers is { Creates.Count: > 0 } t
                ? $"{Mean(t, CreateRound.On, x => x.PerSecond):N0} / {Mean(t, CreateRound.Off, x => x.PerSecond):N0} ({Mean(t, CreateRound.OnButAcknowledgement, x => x.PerSecond):N0})"
                : null);
        Row("4", "", "server CPU per new ticket: built-in rules on / off (on but close-the-loop)",
            r => r.Triggers is { Creates.Count: > 0 } t
                ? $"{Mean(t, CreateRound.On, x => x.ServerCpuMs ?? 0):0.00} / {Mean(t, CreateRound.Off, x => x.ServerCpuMs ?? 0):0.00} ({Mean(t, CreateRound.OnButAcknowledgement, x => x.ServerCpuMs ?? 0):0.00}) ms"
                : null);
        Row("4", "", "database CPU per new ticket: built-in rules on / off (on but close-the-loop)",
            r => r.Triggers is { Creates.Count: > 0 } t && t.Creates.Any(c => c.Run.DatabaseCpuMs is not null)
                ? $"{Mean(t, CreateRound.On, x => x.DatabaseCpuMs ?? 0):0.00} / {Mean(t, CreateRound.Off, x => x.DatabaseCpuMs ?? 0):0.00} ({Mean(t, CreateRound.OnButAcknowledgement, x => x.DatabaseCpuMs ?? 0):0.00}) ms"
                : null);
        var settings = results.SelectMany(r => r.Outbox).Select(o => o.Setting).Distinct().ToList();
        foreach (var setting in settings)
        {
            OutboxResult? Of(RulesResult r) => r.Outbox.FirstOrDefault(o => o.Setting == setting);
            var first = results.SelectMany(r => r.Outbox).First(o => o.Setting == setting);
            // the target is the dispatchers' own pace: the first setting, a consumer that answers at once
            var target = setting == settings[0];
            Row("3", target ? "outbox ≥ 2,000 events/s, PostgreSQL, two dispatchers, no event twice" : "",
                $"webhook jobs/s, {setting}: {N(first.Jobs)} due jobs, from their commit to the last delivery; repeats",
                r => Of(r) is { } o ? $"{o.PerSecond:N0}/s{(o.Processes == 1 ? " (one process)" : "")}; {N(o.Repeats)} repeats" : null,
                r => target && r.Provider == "postgres" && Of(r) is { Processes: 2 } o ? o.PerSecond >= 2000 && o.Repeats == 0 && o.Missing == 0 : null);
        }
        Line("");

        if (results.Any(r => r.Outbox.Count > 0))
        {
            Line("Outbox runs (CPU in ms per job; *other* is what the rest of the machine used, in cores):");
            Line("");
            Line("| Provider | Setting | Processes | Jobs | Jobs/s (steady) | Per process | Repeats | Server CPU | Database CPU | Harness CPU | Other |");
            Line("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                foreach (var o in r.Outbox)
                {
                    var server = o.CpuMsPerJob.Where(kv => kv.Key.StartsWith("server", StringComparison.Ordinal)).Sum(kv => kv.Value);
                    Line($"| {Name(r)} | {o.Setting} | {o.Processes} | {N(o.Jobs)} | {o.PerSecond:N0} ({o.SteadyPerSecond:N0}) | {string.Join(" + ", o.ByProcess.Select(N))}"
                        + $"{(o.Unattributed > 0 ? $" (+{N(o.Unattributed)} unknown)" : "")} | {N(o.Repeats)} | {server:0.00} | {o.CpuMsPerJob.GetValueOrDefault("database"):0.00} | "
                        + $"{o.CpuMsPerJob.GetValueOrDefault("harness"):0.00} | {o.OtherCores:0.00} |");
                }
            }
            Line("");
        }

        if (results.Any(r => r.Triggers is not null))
        {
            Line("Ticket updates by round (p50 / p95 / p99 ms; rule runs logged per update; server CPU per update):");
            Line("");
            Line("| Provider | Round | Active custom rules | p50 / p95 / p99 | Rule runs per update | Server CPU | Other |");
            Line("|---|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                foreach (var x in r.Triggers?.Rounds ?? [])
                {
                    Line($"| {Name(r)} | {x.Name} | {x.ActiveRules} | {Ms(x.Latency.P50)} / {Ms(x.Latency.P95)} / {Ms(x.Latency.P99)}{(x.Latency.Errors > 0 ? $" ({x.Latency.Errors} errors)" : "")} | "
                        + $"{x.RuleRunsPerUpdate:0.00} | {(x.ServerCpuMs is { } c ? $"{c:0.00} ms" : "—")} | {x.OtherCores:0.00} |");
                }
            }
            Line("");
        }

        if (results.Any(r => r.Triggers is { Creates.Count: > 0 }))
        {
            Line("Ticket creation by round (POST /tickets, 8 in flight, new customers; CPU in ms per ticket):");
            Line("");
            Line("| Provider | Round | Tickets/s | p50 / p99 | Server CPU | Database CPU | Other |");
            Line("|---|---|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                foreach (var c in r.Triggers?.Creates ?? [])
                {
                    Line($"| {Name(r)} | {c.Name} | {c.Run.PerSecond:N0} | {Ms(c.Run.Latency.P50)} / {Ms(c.Run.Latency.P99)} ms | {c.Run.ServerCpuMs:0.00} | "
                        + $"{(c.Run.DatabaseCpuMs is { } d ? d.ToString("0.00", CultureInfo.InvariantCulture) : "—")} | {c.Run.OtherCores:0.00} |");
                }
            }
            Line("");
        }

        if (results.Any(r => r.Timers is not null))
        {
            Line("Timers:");
            Line("");
            Line("| | SQLite | PostgreSQL |");
            Line("|---|---:|---:|");
            void Timer(string name, Func<TimerResult, string> cell)
                => Line($"| {name} | {(s?.Timers is { } a ? cell(a) : "—")} | {(p?.Timers is { } b ? cell(b) : "—")} |");
            Timer("pending timers; due in the window", t => $"{N(t.Pending)}; {N(t.DueInWindow)} over {t.WindowSeconds} s");
            Timer("bulk insert of the timers not due in the window", t => $"{t.SeedSeconds:0} s");
            Timer("server start: empty / 1M pending / restart after kill −9", t => $"{t.StartupEmptySeconds:0.0} / {t.StartupPendingSeconds:0.0} / {t.RestartSeconds:0.0} s");
            Timer("killed at (s into the window); lease", t => $"{t.KilledAtSeconds:0} s; {t.LeaseSeconds} s");
            Timer("GC heap: no timers / 1M pending", t => $"{(t.GcHeapEmpty ?? 0) / Mb:0} / {(t.GcHeapPending ?? 0) / Mb:0} MB");
            Timer("jobs left due by the end / left pending", t => $"{N(t.LeftDue)} / {N(t.LeftPending)}");
            Timer("fired early; not of the window", t => $"{N(t.Early)}; {N(t.Unexpected)}");
            Timer("CPU: server / database / harness (s)", t => $"{Cpu(t.CpuSeconds, "server"):0} / {Cpu(t.CpuSeconds, "database"):0} / {Cpu(t.CpuSeconds, "harness"):0}");
            Timer("other processes (cores)", t => $"{t.OtherCores:0.00}");
            Line("");
        }
        return md.ToString();
    }

    /// <summary>
    /// Flat: a million pending timers cost the idle server at most 10 % more memory than none, and while the timers fire
    /// neither process grows by more than 10 % from the first half of its life to the second.
    /// </summary>
    public static bool IsFlat(TimerResult t)
        => t.RssPending <= t.RssEmpty * 1.10 && !(t.RssGrowthFirst > 1.10) && !(t.RssGrowthSecond > 1.10);

    private static double Mean(TriggerResult t, string round, Func<Throughput, double> value)
        => t.Creates.Where(c => c.Name == round).Select(c => value(c.Run)).DefaultIfEmpty(double.NaN).Average();

    private static double Cpu(Dictionary<string, double> cpu, string prefix) => cpu.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(kv => kv.Value);

    private static string Name(RulesResult r) => r.Provider == "sqlite" ? "SQLite" : "PostgreSQL";

    private static string Ms(double value) => double.IsNaN(value) ? "—" : value < 10 ? value.ToString("0.00", CultureInfo.InvariantCulture) : value.ToString("0", CultureInfo.InvariantCulture);

    private static string Seconds(double ms) => ms < 1000 ? $"{Ms(ms)} ms" : (ms / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Signed(double value) => (value >= 0 ? "+" : "−") + Math.Abs(value).ToString("0.00", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
