using System.Text;

namespace Loopdesk.Bench;

/// <summary>Everything one live chat run measured; written as JSON, turned into markdown by <see cref="ChatReport"/>.</summary>
internal sealed class ChatResult
{
    public bool Quick { get; set; }
    public string Started { get; set; } = "";
    public string LoadAverageBefore { get; set; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public int Visitors { get; set; }
    public int Rate { get; set; }
    public int WindowSeconds { get; set; }

    /// <summary>Visitor tokens (POST /chat/sites/{key}/visitors, 32 at a time), hub connections (64 at a time), Start (32 at a time), accept (16 at a time).</summary>
    public double TokensSeconds { get; set; }
    public double ConnectSeconds { get; set; }
    public double StartSeconds { get; set; }
    public double AcceptSeconds { get; set; }
    public Latency? Start { get; set; }
    public Latency? Accept { get; set; }
    public double SetupServerCpuSeconds { get; set; }
    public double SetupHarnessCpuSeconds { get; set; }
    public int OpenConnections { get; set; }

    public double RssBeforeMb { get; set; }
    public double RssConnectedMb { get; set; }
    public double RssSteadyMb { get; set; }
    public double RssAfterMb { get; set; }
    public double RssPeakMb { get; set; }
    public double? GcHeapSteadyMb { get; set; }
    public Dictionary<string, double> GcHeapByGenerationMb { get; set; } = [];
    public double PerConnectionKb { get; set; }

    public int Sent { get; set; }
    public double AchievedRate { get; set; }
    public double ScheduleLagMaxMs { get; set; }
    public int SendErrors { get; set; }
    public List<string> SendErrorSamples { get; set; } = [];
    public int Lost { get; set; }
    public Latency? Delivery { get; set; }
    public Latency? Ack { get; set; }
    /// <summary>Lines heard on all agent connections together (every agent hears every signal).</summary>
    public long Fanout { get; set; }
    public double WindowServerCores { get; set; }
    public double WindowHarnessCores { get; set; }
    public double WindowOtherCores { get; set; }
    public double WindowGcPauseMs { get; set; }
    public Dictionary<string, double> WindowGcCollections { get; set; } = [];
    public double WindowAllocatedMb { get; set; }
    /// <summary>The server's CPU over 10 s after the messages, every connection still open and nothing sent.</summary>
    public double QuietServerCores { get; set; }

    public double ServerCpuSeconds { get; set; }
    public double HarnessCpuSeconds { get; set; }
    /// <summary>[seconds since the start, MB] once a second.</summary>
    public List<double[]> Rss { get; set; } = [];
    public double Seconds { get; set; }
}

/// <summary>The markdown of the "Live chat" results: the figures against the issue's targets.</summary>
internal static class ChatReport
{
    public const int ConnectionsTarget = 5_000;
    public const double MemoryTargetMb = 1024;
    public const double RateTarget = 200;
    public const double P99TargetMs = 100;

    public static string Markdown(IReadOnlyList<ChatResult> results)
    {
        var md = new StringBuilder();
        void Line(string text) => md.Append(text).Append('\n');
        foreach (var r in results)
        {
            var agents = (r.Visitors + 49) / 50;
            var memoryOk = r.Visitors >= ConnectionsTarget && r.OpenConnections >= r.Visitors && Math.Max(r.RssPeakMb, r.RssSteadyMb) <= MemoryTargetMb;
            var latencyOk = r.AchievedRate >= RateTarget * 0.98 && r.Delivery is { } d && d.P99 <= P99TargetMs && r.Lost == 0 && r.SendErrors == 0;
            Line("| Target | Measure | Result |");
            Line("|---|---|---:|");
            Line($"| 5,000 concurrent visitor connections, server ≤ 1 GB | visitor hub connections open (WebSockets), each with a chat an agent accepted; plus agent hub connections | {r.Visitors:N0} + {agents:N0} ({r.OpenConnections:N0} open at steady state) |");
            Line($"| | server RSS: before the visitors / all connected / steady, every chat active / after the messages | {r.RssBeforeMb:0} / {r.RssConnectedMb:0} / {r.RssSteadyMb:0} / {r.RssAfterMb:0} MB |");
            Line($"| | server RSS peak (VmHWM) | {r.RssPeakMb:0} MB {Mark(memoryOk)} |");
            Line($"| | memory per visitor (steady minus before, over the visitors); managed heap after the last collection at steady state | {r.PerConnectionKb:0} KB; {(r.GcHeapSteadyMb is { } h ? $"{h:0} MB" : "—")}{Generations(r)} |");
            Line($"| | time to open: visitor tokens / hub connections / chats started / chats accepted | {r.TokensSeconds:0.0} / {r.ConnectSeconds:0.0} / {r.StartSeconds:0.0} / {r.AcceptSeconds:0.0} s |");
            if (r.Start is { } s && r.Accept is { } a)
                Line($"| | Start (hub call) p50 / p99; accept (POST /chats/{{id}}/accept) p50 / p99 | {Ms(s.P50)} / {Ms(s.P99)} ms; {Ms(a.P50)} / {Ms(a.P99)} ms |");
            Line($"| | CPU while opening and accepting: server / harness | {r.SetupServerCpuSeconds:0.0} / {r.SetupHarnessCpuSeconds:0.0} s |");
            if (r.Delivery is { } l)
            {
                Line($"| visitor → agent p99 ≤ 100 ms at 200 messages/s | messages sent over {r.WindowSeconds} s, spread over the chats; rate achieved | {r.Sent:N0}; {r.AchievedRate:0.0}/s |");
                Line($"| | visitor Send → the chat's agent hears it on the agent hub: p50 / p95 / p99 / max | {Ms(l.P50)} / {Ms(l.P95)} / {Ms(l.P99)} / {Ms(l.Max)} ms {Mark(latencyOk)} |");
                Line($"| | lost (sent, never heard by the chat's agent); send errors | {r.Lost}; {r.SendErrors} |");
                if (r.Ack is { } k) Line($"| | visitor's acknowledgement (Send round trip): p50 / p99 | {Ms(k.P50)} / {Ms(k.P99)} ms |");
                Line($"| | lines heard by all {agents:N0} agent connections (every agent hears every chat) | {r.Fanout:N0} |");
                Line($"| | CPU during the messages: server / harness / other processes | {r.WindowServerCores:0.00} / {r.WindowHarnessCores:0.00} / {r.WindowOtherCores:0.00} cores |");
                Line($"| | server's garbage collection during the messages: allocated; paused; collections | {r.WindowAllocatedMb:N0} MB; {r.WindowGcPauseMs:0} ms; "
                    + $"{string.Join(", ", r.WindowGcCollections.Select(c => $"{c.Key} {c.Value:0}"))} |");
                Line($"| | server CPU afterwards, every connection open, nothing sent (10 s) | {r.QuietServerCores:0.000} cores |");
            }
            Line("");
        }
        return md.ToString();
    }

    private static string Generations(ChatResult r)
        => r.GcHeapByGenerationMb.Count == 0 ? "" : " (" + string.Join(", ", r.GcHeapByGenerationMb.Select(g => $"{g.Key} {g.Value:0}")) + ")";

    private static string Mark(bool ok) => ok ? "✓" : "✗";

    private static string Ms(double ms) => double.IsNaN(ms) ? "—" : ms < 10 ? $"{ms:0.0}" : $"{ms:0}";
}
