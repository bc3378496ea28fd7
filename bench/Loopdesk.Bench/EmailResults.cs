using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Loopdesk.Bench;

/// <summary>Everything one provider's email run measured; written as JSON, turned into markdown by <see cref="EmailReport"/>.</summary>
internal sealed class EmailResult
{
    public string Provider { get; set; } = "";
    public bool Quick { get; set; }
    public string Started { get; set; } = "";
    public string LoadAverageBefore { get; set; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public IngestResult? Ingest { get; set; }
    public DrainResult? Drain { get; set; }
    public double Seconds { get; set; }
}

/// <summary>What a set of generated messages holds.</summary>
internal sealed class MailMix
{
    public int Messages { get; set; }
    public int NewConversations { get; set; }
    public int Replies { get; set; }
    public int Senders { get; set; }
    public int WithHtml { get; set; }
    public int WithAttachment { get; set; }
    public int Quoting { get; set; }
    public int WithCc { get; set; }
    public long Bytes { get; set; }

    public static MailMix Of(IReadOnlyCollection<PlannedMail> mails) => new()
    {
        Messages = mails.Count,
        NewConversations = mails.Count(m => m.IsNew),
        Replies = mails.Count(m => !m.IsNew),
        Senders = mails.Select(m => m.From).Distinct(StringComparer.Ordinal).Count(),
        WithHtml = mails.Count(m => m.Html),
        WithAttachment = mails.Count(m => m.Attachment),
        Quoting = mails.Count(m => m.Quoted),
        WithCc = mails.Count(m => m.Cc),
        Bytes = mails.Sum(m => (long)m.Raw.Length),
    };
}

/// <summary>
/// One stretch of POST /api/v1/inbound/mime at a fixed number of requests in flight: the rate is the messages over the
/// time from the first request to the last answer; CPU is per message, over the same time.
/// <para>Then the phase waits until the SMTP sink holds the acknowledgement of every new conversation so far:
/// <c>AcksDoneAfterSeconds</c> is how long after the last answer that was, and the <c>…WithAcks</c> figures are the CPU
/// per message from the first request to that moment (the whole cost of a message, its acknowledgement included).</para>
/// </summary>
internal sealed record IngestPhase(
    string Name, int Concurrency, int Messages, double Seconds, double PerSecond, Latency Latency, double? ServerCpuMs, double? DatabaseCpuMs,
    double HarnessCpuMs, double OtherCores, int WaitedForParent, int AcksSentDuring)
{
    public int AcksExpected { get; set; }
    public int AcksAtLastAnswer { get; set; }
    public int AcksReceived { get; set; }
    public double AcksDoneAfterSeconds { get; set; } = double.NaN;
    /// <summary>The SMTP sink (and Dovecot, idle here) per message, during the phase and until the last acknowledgement.</summary>
    public double? MailServersCpuMs { get; set; }
    public double? MailServersCpuMsWithAcks { get; set; }
    public double? ServerCpuMsWithAcks { get; set; }
    public double? DatabaseCpuMsWithAcks { get; set; }
    /// <summary>Managed memory the server allocated per message during the phase, and its garbage-collection pauses.</summary>
    public double? AllocatedKbPerMessage { get; set; }
    public double? GcPauseMsPerMessage { get; set; }
    public double? Gen2Collections { get; set; }
}

/// <summary>The inbound webhook under load, and what it left behind.</summary>
internal sealed class IngestResult
{
    public MailMix Mix { get; set; } = new();
    public int WarmupMessages { get; set; }
    public List<IngestPhase> Phases { get; set; } = [];
    /// <summary>One acknowledgement per new conversation of the run (warm-up included).</summary>
    public int AcksExpected { get; set; }
    /// <summary>Acknowledgements the SMTP sink held when the last message was answered.</summary>
    public int AcksAtLastIngest { get; set; }
    public int AcksReceived { get; set; }
    /// <summary>From the last answer to the moment the sink held every acknowledgement (NaN when it never did).</summary>
    public double AcksDoneAfterSeconds { get; set; } = double.NaN;
    /// <summary>Outbound automatic email messages on tickets, by delivery state, at the end.</summary>
    public Dictionary<string, long> AckStates { get; set; } = [];
    public long AcksQueued { get; set; }
    public long DeliveryJobsLeft { get; set; }
    public long Tickets { get; set; }
    public Dictionary<string, long> InboundStates { get; set; } = [];
    public int AnswersNotProcessed { get; set; }
    public int RepliesOnParentTicket { get; set; }
    public int RepliesElsewhere { get; set; }
    public int NewWithSharedReference { get; set; }
    public int SampledTickets { get; set; }
    public int SampleMismatches { get; set; }
    public int SinkAcksMatched { get; set; }
    public int SinkUnexpected { get; set; }
    public int SinkTwice { get; set; }
    public long RssPeak { get; set; }
    public long RssEnd { get; set; }
    public long VmHwm { get; set; }
    public long? GcHeapEnd { get; set; }
    public List<string> Problems { get; set; } = [];
    public string LoadAverage { get; set; } = "";
}

/// <summary>A reading during the drain, <see cref="Seconds"/> after the mailbox was created.</summary>
internal sealed record DrainPoint(double Seconds, long Stored, long Processed, long Rss, int Acks);

/// <summary>A mailbox of messages loaded into Dovecot before the server knew it, fetched and processed.</summary>
internal sealed class DrainResult
{
    public MailMix Mix { get; set; } = new();
    public string LoadMethod { get; set; } = "";
    public double LoadSeconds { get; set; }
    public double StoredSeconds { get; set; } = double.NaN;
    public double ProcessedSeconds { get; set; } = double.NaN;
    public double PerSecond { get; set; }
    public double StoredPerSecond { get; set; }
    public long Stored { get; set; }
    public long Processed { get; set; }
    public long RssIdle { get; set; }
    public long RssPeak { get; set; }
    public long RssEnd { get; set; }
    public long VmHwm { get; set; }
    public long? GcHeapEnd { get; set; }
    public long Flagged { get; set; }
    public long NotFlagged { get; set; }
    public double FlaggedSeconds { get; set; } = double.NaN;
    public Dictionary<string, long> InboundStates { get; set; } = [];
    public long Tickets { get; set; }
    public int RepliesOnParentTicket { get; set; }
    public int RepliesElsewhere { get; set; }
    public int AcksExpected { get; set; }
    public int AcksReceived { get; set; }
    public double AcksDoneSeconds { get; set; } = double.NaN;
    /// <summary>CPU per message from creating the mailbox until every message was processed.</summary>
    public Dictionary<string, double> CpuMsPerMessage { get; set; } = [];
    /// <summary>The same until every acknowledgement was in the sink.</summary>
    public Dictionary<string, double> CpuMsPerMessageWithAcks { get; set; } = [];
    public double? AllocatedKbPerMessage { get; set; }
    public double? GcPauseMsPerMessage { get; set; }
    public double? Gen2Collections { get; set; }
    public double OtherCores { get; set; }
    public List<DrainPoint> Timeline { get; set; } = [];
    public List<string> Problems { get; set; } = [];
    public string LoadAverage { get; set; } = "";
}

internal static class EmailResultFile
{
    public static void Write(string path, EmailResult result)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(result, ResultFile.Options));
    }

    public static EmailResult Read(string path)
        => JsonSerializer.Deserialize<EmailResult>(File.ReadAllText(path), ResultFile.Options) ?? throw new InvalidDataException(path);
}

/// <summary>The markdown of the "Email channel" results.</summary>
internal static class EmailReport
{
    private const double Mb = 1024 * 1024;

    public const double IngestTarget = 200;
    public const long MemoryTarget = 400L * 1024 * 1024;

    public static string Markdown(IReadOnlyList<EmailResult> results)
    {
        var s = results.FirstOrDefault(r => r.Provider == "sqlite");
        var p = results.FirstOrDefault(r => r.Provider == "postgres");
        var md = new StringBuilder();
        void Line(string text) => md.Append(text).Append('\n');
        void Row(string number, string target, string measure, Func<EmailResult, string?> cell, Func<EmailResult, bool?>? verdict = null)
        {
            string Cell(EmailResult? r)
            {
                if (r is null || cell(r) is not { } text) return "—";
                return verdict?.Invoke(r) is { } ok ? $"{text} {(ok ? "✓" : "✗")}" : text;
            }
            Line($"| {number} | {target} | {measure} | {Cell(s)} | {Cell(p)} |");
        }
        IngestPhase? Phase(EmailResult r, int concurrency) => r.Ingest?.Phases.LastOrDefault(x => x.Concurrency == concurrency);

        Line("| # | Target | Measure | SQLite | PostgreSQL |");
        Line("|---|---|---|---:|---:|");
        Row("1", "ingest ≥ 200 messages/s end to end", "POST /inbound/mime, 8 in flight: messages/s",
            r => Phase(r, 8) is { } x ? $"{x.PerSecond:N0}/s" : null,
            r => Phase(r, 8) is { } x ? x.PerSecond >= IngestTarget && r.Ingest!.Problems.Count == 0 : null);
        Row("1", "", "1 in flight: messages/s",
            r => Phase(r, 1) is { } x ? $"{x.PerSecond:N0}/s" : null);
        Row("1", "", "latency p50 / p95 / p99, 8 in flight",
            r => Phase(r, 8) is { } x ? $"{Ms(x.Latency.P50)} / {Ms(x.Latency.P95)} / {Ms(x.Latency.P99)} ms" : null);
        Row("1", "", "latency p50 / p95 / p99, 1 in flight",
            r => Phase(r, 1) is { } x ? $"{Ms(x.Latency.P50)} / {Ms(x.Latency.P95)} / {Ms(x.Latency.P99)} ms" : null);
        Row("1", "", "CPU per message, 8 in flight, its acknowledgement's delivery included: server / database",
            r => Phase(r, 8) is { } x ? $"{Cpu(x.ServerCpuMsWithAcks)} / {Cpu(x.DatabaseCpuMsWithAcks)} ms" : null);
        Row("1", "", "tickets = new conversations; replies on their parent's ticket",
            r => r.Ingest is { } i ? $"{N(i.Tickets)} = {N(i.Mix.NewConversations)}; {N(i.RepliesOnParentTicket)} of {N(i.Mix.Replies)}" : null,
            r => r.Ingest is { } i ? i.Tickets == i.Mix.NewConversations && i.RepliesElsewhere == 0 && i.SampleMismatches == 0 : null);
        Row("1", "", "acknowledgements queued = new conversations; received by the SMTP sink",
            r => r.Ingest is { } i ? $"{N(i.AcksQueued)} = {N(i.AcksExpected)}; {N(i.AcksReceived)}" : null,
            r => r.Ingest is { } i ? i.AcksQueued == i.AcksExpected && i.AcksReceived == i.AcksExpected && i.SinkUnexpected == 0 && i.SinkTwice == 0 : null);
        Row("1", "", "acknowledgements in the sink at the last answer; all out after",
            r => r.Ingest is { } i ? $"{N(i.AcksAtLastIngest)}; {(double.IsNaN(i.AcksDoneAfterSeconds) ? "never" : $"+{i.AcksDoneAfterSeconds:0.0} s")}" : null);
        Row("1", "", "server RSS peak (VmHWM) during the ingest",
            r => r.Ingest is { } i ? $"{i.VmHwm / Mb:0} MB" : null);
        Row("2", "10,000 messages in one IMAP mailbox drain, memory ≤ 400 MB", "messages stored and processed; time from creating the mailbox",
            r => r.Drain is { } d ? $"{N(d.Processed)} of {N(d.Mix.Messages)}; {Seconds(d.ProcessedSeconds * 1000)}" : null,
            r => r.Drain is { } d ? d.Processed == d.Mix.Messages && d.InboundStates.GetValueOrDefault("Processed") == d.Mix.Messages : null);
        Row("2", "", "messages/s processed (stored/s)",
            r => r.Drain is { } d ? $"{d.PerSecond:N0}/s ({d.StoredPerSecond:N0}/s)" : null);
        Row("2", "", "server RSS: idle before / peak (200 ms samples) / VmHWM / end",
            r => r.Drain is { } d ? $"{d.RssIdle / Mb:0} / {d.RssPeak / Mb:0} / {d.VmHwm / Mb:0} / {d.RssEnd / Mb:0} MB" : null,
            r => r.Drain is { } d ? Math.Max(d.RssPeak, d.VmHwm) <= MemoryTarget : null);
        Row("2", "", "flagged $Loopdesk in Dovecot (IMAP SEARCH KEYWORD)",
            r => r.Drain is { } d ? $"{N(d.Flagged)} of {N(d.Mix.Messages)}" : null,
            r => r.Drain is { } d ? d.Flagged == d.Mix.Messages && d.NotFlagged == 0 : null);
        Row("2", "", "CPU per message: server / database",
            r => r.Drain is { } d ? $"{d.CpuMsPerMessage.GetValueOrDefault("server"):0.00} / "
                + (d.CpuMsPerMessage.TryGetValue("database", out var db) && db > 0 ? $"{db:0.00}" : "—") + " ms" : null);
        Row("2", "", "tickets = new conversations; replies on their parent's ticket; acknowledgements received",
            r => r.Drain is { } d ? $"{N(d.Tickets)} = {N(d.Mix.NewConversations)}; {N(d.RepliesOnParentTicket)} of {N(d.Mix.Replies)}; {N(d.AcksReceived)} of {N(d.AcksExpected)}" : null,
            r => r.Drain is { } d ? d.Tickets == d.Mix.NewConversations && d.RepliesElsewhere == 0 && d.AcksReceived == d.AcksExpected : null);
        Line("");

        if (results.Any(r => r.Ingest is not null))
        {
            Line("Ingest phases (CPU in ms per message, from the first request to the last answer, and to the moment the last acknowledgement was in the sink; allocated: managed memory the server allocated per message; *mail servers*: the SMTP sink and Dovecot; *other* is what the rest of the machine used, in cores; *waited* counts replies held back until the message they answer was answered):");
            Line("");
            Line("| Provider | Phase | In flight | Messages | Messages/s | p50 / p95 / p99 (max) | Server CPU | Database CPU | Harness CPU | Acks sent meanwhile; all out after | Server / database / mail servers CPU, acks included | Allocated; GC pause | Other | Waited |");
            Line("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var r in results)
            {
                foreach (var x in r.Ingest?.Phases ?? [])
                {
                    Line($"| {Name(r)} | {x.Name} | {x.Concurrency} | {N(x.Messages)} | {x.PerSecond:N0} | {Ms(x.Latency.P50)} / {Ms(x.Latency.P95)} / {Ms(x.Latency.P99)} ({Ms(x.Latency.Max)}) ms"
                        + $"{(x.Latency.Errors > 0 ? $", {x.Latency.Errors} errors" : "")} | {Cpu(x.ServerCpuMs)} | {Cpu(x.DatabaseCpuMs)} | {x.HarnessCpuMs:0.00} | "
                        + $"{N(x.AcksSentDuring)}; {(double.IsNaN(x.AcksDoneAfterSeconds) ? "never" : $"+{x.AcksDoneAfterSeconds:0.0} s")} | {Cpu(x.ServerCpuMsWithAcks)} / {Cpu(x.DatabaseCpuMsWithAcks)} / {Cpu(x.MailServersCpuMsWithAcks)} | "
                        + $"{(x.AllocatedKbPerMessage is { } a ? $"{a:N0} KB" : "—")}; {Cpu(x.GcPauseMsPerMessage)} ms | {x.OtherCores:0.00} | {x.WaitedForParent} |");
                }
            }
            Line("");
        }

        Line("The messages:");
        Line("");
        Line("| | SQLite ingest | PostgreSQL ingest | SQLite drain | PostgreSQL drain |");
        Line("|---|---:|---:|---:|---:|");
        void Mix(string name, Func<MailMix, string> cell)
            => Line($"| {name} | {(s?.Ingest is { } a ? cell(a.Mix) : "—")} | {(p?.Ingest is { } b ? cell(b.Mix) : "—")} | {(s?.Drain is { } c ? cell(c.Mix) : "—")} | {(p?.Drain is { } d ? cell(d.Mix) : "—")} |");
        Mix("messages (new conversations / replies)", m => $"{N(m.Messages)} ({N(m.NewConversations)} / {N(m.Replies)})");
        Mix("distinct senders", m => N(m.Senders));
        Mix("with an HTML alternative / an attachment / quoted history / a Cc", m => $"{Pct(m.WithHtml, m.Messages)} / {Pct(m.WithAttachment, m.Messages)} / {Pct(m.Quoting, m.Messages)} / {Pct(m.WithCc, m.Messages)}");
        Mix("average size", m => $"{m.Bytes / 1024.0 / Math.Max(1, m.Messages):0.0} KB");
        Line("");

        if (results.Any(r => r.Drain is not null))
        {
            Line("The drain:");
            Line("");
            Line("| | SQLite | PostgreSQL |");
            Line("|---|---:|---:|");
            void Drain(string name, Func<DrainResult, string> cell)
                => Line($"| {name} | {(s?.Drain is { } a ? cell(a) : "—")} | {(p?.Drain is { } b ? cell(b) : "—")} |");
            Drain("loaded into the Maildir", d => $"{Seconds(d.LoadSeconds * 1000)} ({d.LoadMethod})");
            Drain("all stored / all processed / all flagged, after creating the mailbox", d => $"{Seconds(d.StoredSeconds * 1000)} / {Seconds(d.ProcessedSeconds * 1000)} / {Seconds(d.FlaggedSeconds * 1000)}");
            Drain("acknowledgements all in the sink", d => double.IsNaN(d.AcksDoneSeconds) ? $"{N(d.AcksReceived)} of {N(d.AcksExpected)}" : Seconds(d.AcksDoneSeconds * 1000));
            Drain("inbound states", d => string.Join(", ", d.InboundStates.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {N(kv.Value)}")));
            Drain("GC heap at the end", d => d.GcHeapEnd is { } g ? $"{g / Mb:0} MB" : "—");
            string Split(Dictionary<string, double> c) => $"{c.GetValueOrDefault("server"):0.00} / {c.GetValueOrDefault("database"):0.00} / {c.GetValueOrDefault("mail servers"):0.00} / {c.GetValueOrDefault("harness"):0.00} ms";
            Drain("CPU per message until all were processed: server / database / mail servers (Dovecot, the SMTP sink) / harness", d => Split(d.CpuMsPerMessage));
            Drain("the same until the last acknowledgement was in the sink", d => Split(d.CpuMsPerMessageWithAcks));
            Drain("allocated; GC pause per message; gen2 collections", d => $"{(d.AllocatedKbPerMessage is { } a ? $"{a:N0} KB" : "—")}; {Cpu(d.GcPauseMsPerMessage)} ms; {d.Gen2Collections:0}");
            Drain("other processes (cores)", d => $"{d.OtherCores:0.00}");
            Line("");
        }

        var problems = results.SelectMany(r => (r.Ingest?.Problems ?? []).Select(x => $"{Name(r)} ingest: {x}")
            .Concat((r.Drain?.Problems ?? []).Select(x => $"{Name(r)} drain: {x}"))).ToList();
        if (problems.Count > 0)
        {
            Line("Problems found by the checks:");
            Line("");
            foreach (var x in problems) Line($"- {x}");
            Line("");
        }
        return md.ToString();
    }

    private static string Cpu(double? ms) => ms is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "—";

    private static string Name(EmailResult r) => r.Provider == "sqlite" ? "SQLite" : "PostgreSQL";

    private static string Ms(double value) => double.IsNaN(value) ? "—" : value < 10 ? value.ToString("0.00", CultureInfo.InvariantCulture) : value.ToString("0", CultureInfo.InvariantCulture);

    private static string Seconds(double ms) => double.IsNaN(ms) ? "—" : ms < 1000 ? $"{Ms(ms)} ms" : (ms / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Pct(int part, int whole) => whole == 0 ? "—" : $"{100.0 * part / whole:0}%";

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
