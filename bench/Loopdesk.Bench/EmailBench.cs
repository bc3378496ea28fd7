using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;

namespace Loopdesk.Bench;

/// <summary>
/// The email channel under load, scripts/bench-email's half of the work. <b>Ingest</b>: generated customer mail posted
/// to <c>POST /api/v1/inbound/mime</c> (one at a time, then eight at a time), each answered once it is stored, parsed,
/// threaded and on its ticket, with the acknowledgement queued; the server's job runner delivers the acknowledgements
/// to an SMTP sink meanwhile. <b>Drain</b>: a Dovecot mailbox filled before the server knows it, then connected over
/// IMAP: how long until every message is stored and processed, and the server's memory meanwhile. Each scenario starts
/// the server itself on a new database. The checks read the answers, the API, the database and the sink.
/// </summary>
internal static class EmailBench
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    private const string Support = "support@bench.example";
    private const string SupportName = "Bench Support";
    private const string DoneKeyword = "$Loopdesk";

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var result = new EmailResult
        {
            Provider = o.Provider == Provider.Sqlite ? "sqlite" : "postgres",
            Quick = o.Quick,
            Started = TimeProvider.System.GetUtcNow().ToString("u", CultureInfo.InvariantCulture),
            LoadAverageBefore = ProcessStats.LoadAverage(),
        };
        var sink = new Sink(o.SmtpDirectory!);
        Log($"== {result.Provider}: the email channel; acknowledgements go to the SMTP sink on 127.0.0.1:{o.SmtpPort}");
        try
        {
            if (o.Runs("ingest"))
            {
                result.Ingest = await IngestAsync(o, sink, ct);
                EmailResultFile.Write(o.Out, result);
            }
            if (o.Runs("drain"))
            {
                result.Drain = await DrainAsync(o, sink, ct);
                EmailResultFile.Write(o.Out, result);
            }
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine("FAILED: " + e);
            return 1;
        }
        result.LoadAverageAfter = ProcessStats.LoadAverage();
        result.Seconds = Clock.Elapsed.TotalSeconds;
        EmailResultFile.Write(o.Out, result);
        foreach (var problem in (result.Ingest?.Problems ?? []).Concat(result.Drain?.Problems ?? [])) Log("   CHECK FAILED: " + problem);
        Log($"== {result.Provider} done in {Clock.Elapsed.TotalMinutes:0.0} min; results in {o.Out}");
        return 0;
    }

    public static int WriteReport(Options o)
    {
        var markdown = EmailReport.Markdown([.. o.Inputs.Where(File.Exists).Select(EmailResultFile.Read)]);
        if (o.Out.EndsWith(".json", StringComparison.Ordinal)) Console.Write(markdown);
        else File.WriteAllText(o.Out, markdown);
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 1. Ingest through the inbound webhook

    private sealed record Answer(bool Ok, string? Reference, string Detail);

    private static async Task<IngestResult> IngestAsync(Options o, Sink sink, CancellationToken ct)
    {
        var (settings, database) = await RulesBench.ScenarioAsync(o, "ingest", ct, "loopdesk_email_");
        var log = Path.Combine(o.DataDirectory!, "server-ingest.log");
        var set = new MailSet(4242, Support, SupportName);
        var now = TimeProvider.System.GetUtcNow();
        var warm = set.Generate(o.Quick ? 400 : 2_000, 200, now);
        var serial = set.Generate(o.Quick ? 200 : 1_000, 200, now);
        var bulk = set.Generate(o.IngestMessages, 200, now);
        var all = set.Mails;
        var result = new IngestResult { Mix = MailMix.Of(all), WarmupMessages = warm.Count, LoadAverage = ProcessStats.LoadAverage() };
        Log($"== ingest: {all.Count:N0} messages generated ({result.Mix.NewConversations:N0} new conversations from {result.Mix.Senders:N0} senders, "
            + $"{result.Mix.Replies:N0} replies; {result.Mix.Bytes / 1024.0 / all.Count:0.0} KB on average); server on a new database");

        sink.Clear();
        var (server, _) = await ServerProcess.StartAsync(o.ServerDll!, log, settings, ct);
        await using var serverScope = server;
        await using var store = Store.Open(o.Provider, database);
        using var api = new Api(server.Url, o.Token!);
        var secret = MailSet.Secret();
        await CreateMailboxAsync(api, o, secret, imap: null, ct);

        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false, UseProxy = false,
        }) { BaseAddress = server.Url, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-Loopdesk-Mailbox-Secret", secret);
        var answers = new Answer?[all.Count];
        var done = all.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var rfc822 = new MediaTypeHeaderValue("message/rfc822");

        async Task<bool> PostAsync(PlannedMail mail)
        {
            Answer answer;
            try
            {
                using var content = new ByteArrayContent(mail.Raw);
                content.Headers.ContentType = rfc822;
                using var response = await http.PostAsync("/api/v1/inbound/mime", content, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    answer = new Answer(false, null, $"{(int)response.StatusCode} {body}");
                }
                else
                {
                    using var json = JsonDocument.Parse(body);
                    var state = json.RootElement.GetProperty("state").GetString();
                    var reference = json.RootElement.GetProperty("reference").GetString();
                    var duplicate = json.RootElement.GetProperty("duplicate").GetBoolean();
                    answer = new Answer(state == "processed" && !duplicate && reference is not null, reference, $"{state}{(duplicate ? " duplicate" : "")}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                answer = new Answer(false, null, e.Message);
            }
            answers[mail.Index] = answer;
            done[mail.Index].TrySetResult();
            return answer.Ok;
        }

        await using var sampler = new Sampler(o.DatabasePid, TimeSpan.FromMilliseconds(200));
        sampler.Track("server", server.Pid);

        var posted = 0; // new conversations answered so far: each owes the sink one acknowledgement

        async Task<IngestPhase> PhaseAsync(string name, List<PlannedMail> mails, int concurrency)
        {
            var next = -1;
            var waited = 0;
            var latencies = new List<double>[concurrency];
            var errors = 0;
            var acks0 = sink.Count();
            var counters0 = await api.RuntimeCountersAsync(ct);
            var machine0 = ProcessStats.MachineCpu().Busy;
            var server0 = ProcessStats.CpuSeconds(server.Pid);
            var database0 = ProcessStats.TreeCpuSeconds(o.DatabasePid);
            var harness0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            var mail0 = MailServersCpu(o);
            var t0 = Stopwatch.GetTimestamp();
            var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
            {
                var mine = latencies[w] = new List<double>(mails.Count / concurrency + 16);
                int i;
                while ((i = Interlocked.Increment(ref next)) < mails.Count)
                {
                    var mail = mails[i];
                    // a reply is sent once the message it answers has been answered, as it would be in real life
                    if (mail.Parent is { } parent && !done[parent].Task.IsCompleted)
                    {
                        Interlocked.Increment(ref waited);
                        await done[parent].Task.WaitAsync(ct);
                    }
                    var s = Stopwatch.GetTimestamp();
                    if (await PostAsync(mail)) mine.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
                    else Interlocked.Increment(ref errors);
                }
            }, ct)).ToArray();
            await Task.WhenAll(workers);
            var lastAnswer = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(t0, lastAnswer).TotalSeconds;
            var server1 = ProcessStats.CpuSeconds(server.Pid);
            var database1 = ProcessStats.TreeCpuSeconds(o.DatabasePid);
            var harness1 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            var counters1 = await api.RuntimeCountersAsync(ct);
            var mail1 = MailServersCpu(o);
            var own = (server1 - server0 ?? 0) + (database1 - database0 ?? 0) + (harness1 - harness0) + (mail1 - mail0);
            var other = Math.Max(0, ProcessStats.MachineCpu().Busy - machine0 - own) / seconds;
            var n = mails.Count;
            double? PerMessage(double? a, double? b) => a is { } x && b is { } y ? (y - x) * 1000 / n : null;
            var phase = new IngestPhase(name, concurrency, n, seconds, n / seconds, Latency.Of([.. latencies.SelectMany(l => l)], errors),
                PerMessage(server0, server1), PerMessage(database0, database1), (harness1 - harness0) * 1000 / n, other, waited, sink.Count() - acks0)
            {
                MailServersCpuMs = o.SmtpPid is null ? null : (mail1 - mail0) * 1000 / n,
            };
            if (counters0 is { } c0 && counters1 is { } c1)
            {
                phase.AllocatedKbPerMessage = (c1.Allocated - c0.Allocated) / 1024 / n;
                phase.GcPauseMsPerMessage = (c1.PauseSeconds - c0.PauseSeconds) * 1000 / n;
                phase.Gen2Collections = c1.Gen2 - c0.Gen2;
            }

            // the acknowledgements of every new conversation so far, delivered by the job runner to the sink
            posted += mails.Count(m => m.IsNew);
            phase.AcksExpected = posted;
            phase.AcksAtLastAnswer = sink.Count();
            var (received, at) = await WaitForSinkAsync(sink, posted, TimeSpan.FromSeconds(60), ct);
            phase.AcksReceived = received;
            if (at is { } reached)
            {
                phase.AcksDoneAfterSeconds = Math.Max(0, Stopwatch.GetElapsedTime(lastAnswer, reached).TotalSeconds);
                phase.ServerCpuMsWithAcks = PerMessage(server0, ProcessStats.CpuSeconds(server.Pid));
                phase.DatabaseCpuMsWithAcks = PerMessage(database0, ProcessStats.TreeCpuSeconds(o.DatabasePid));
                if (o.SmtpPid is not null) phase.MailServersCpuMsWithAcks = (MailServersCpu(o) - mail0) * 1000 / n;
            }
            Log($"   {name,-28} {n,6:N0} messages in {seconds,5:0.0} s: {phase.PerSecond,5:N0}/s  {Bench.Describe(phase.Latency)}");
            Log($"   {"",-28} server {phase.ServerCpuMs:0.00} ms CPU per message" + (phase.DatabaseCpuMs is { } d ? $", database {d:0.00} ms" : "")
                + $", harness {phase.HarnessCpuMs:0.00} ms, mail servers {phase.MailServersCpuMs:0.00} ms; {phase.AllocatedKbPerMessage:N0} KB allocated and {phase.GcPauseMsPerMessage:0.00} ms GC pause per message, "
                + $"{phase.Gen2Collections} gen2 GCs; other processes {other:0.00} cores; replies held back {waited}");
            Log($"   {"",-28} acknowledgements: {phase.AcksSentDuring:N0} sent during the phase, {phase.AcksAtLastAnswer:N0} of {posted:N0} in the sink at the last answer, "
                + (at is null ? $"only {received:N0} after waiting" : $"all {phase.AcksDoneAfterSeconds:0.0} s later; with them, server {phase.ServerCpuMsWithAcks:0.00} ms CPU per message"
                    + (phase.DatabaseCpuMsWithAcks is { } dd ? $", database {dd:0.00} ms" : "")));
            var failed = mails.Select(m => answers[m.Index]).Where(a => a is { Ok: false }).Take(3).ToList();
            foreach (var f in failed) Log($"   (not processed: {f!.Detail})");
            return phase;
        }

        Log("== ingest: POST /api/v1/inbound/mime (message/rfc822, the mailbox's secret)");
        // unmeasured: the paths are compiled and optimized (tiered compilation takes tens of seconds under load)
        await PhaseAsync("warm-up (not counted)", warm, 8);
        await Load.QuietAsync(server.Pid, o.DatabasePid, TimeSpan.FromSeconds(o.Quick ? 5 : 60), ct);
        result.Phases.Add(await PhaseAsync("1 in flight", serial, 1));
        await Load.QuietAsync(server.Pid, o.DatabasePid, TimeSpan.FromSeconds(o.Quick ? 5 : 60), ct);
        var bulkPhase = await PhaseAsync("8 in flight", bulk, 8);
        result.Phases.Add(bulkPhase);
        result.AcksExpected = all.Count(m => m.IsNew);
        result.AcksAtLastIngest = bulkPhase.AcksAtLastAnswer;
        result.AcksReceived = bulkPhase.AcksReceived;
        result.AcksDoneAfterSeconds = bulkPhase.AcksDoneAfterSeconds;

        await sampler.DisposeAsync();
        result.RssPeak = sampler.Rss.Where(r => r.Process == "server").Select(r => r.Rss).DefaultIfEmpty(0).Max();
        var memory = ProcessStats.Memory(server.Pid);
        result.RssEnd = memory?.Rss ?? 0;
        result.VmHwm = memory?.Peak ?? 0;
        result.GcHeapEnd = await api.GcHeapBytesAsync(ct);

        // the checks
        var problems = result.Problems;
        result.AnswersNotProcessed = answers.Count(a => a is not { Ok: true });
        if (result.AnswersNotProcessed > 0) problems.Add($"{result.AnswersNotProcessed} messages were not answered 202 processed");
        var threads = all.GroupBy(m => m.Thread).ToDictionary(g => g.Key, g => g.OrderBy(m => m.Index).ToList());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mail in all)
        {
            var reference = answers[mail.Index]?.Reference;
            if (mail.IsNew)
            {
                if (reference is not null && !seen.Add(reference)) result.NewWithSharedReference++;
                continue;
            }
            var rootReference = answers[threads[mail.Thread][0].Index]?.Reference;
            if (reference is not null && reference == rootReference) result.RepliesOnParentTicket++;
            else result.RepliesElsewhere++;
        }
        if (result.NewWithSharedReference > 0) problems.Add($"{result.NewWithSharedReference} new conversations landed on another conversation's ticket");
        if (result.RepliesElsewhere > 0) problems.Add($"{result.RepliesElsewhere} replies are not on their parent's ticket");
        result.Tickets = await store.QueryLongAsync("SELECT count(*) FROM \"Tickets\" WHERE \"Channel\" = 'Email'", ct);
        if (result.Tickets != result.Mix.NewConversations) problems.Add($"{result.Tickets} tickets for {result.Mix.NewConversations} new conversations");
        result.InboundStates = await GroupCountAsync(store, "SELECT \"State\", count(*) FROM \"InboundMails\" GROUP BY \"State\"", ct);
        if (result.InboundStates.GetValueOrDefault("Processed") != all.Count) problems.Add($"inbound states: {Describe(result.InboundStates)}");
        result.AckStates = await GroupCountAsync(store, "SELECT \"Delivery\", count(*) FROM \"Messages\" WHERE \"Direction\" = 'Outbound' AND \"AuthorKind\" = 'System' "
            + "AND \"Channel\" = 'Email' AND NOT \"Internal\" GROUP BY \"Delivery\"", ct);
        result.AcksQueued = result.AckStates.Values.Sum();
        if (result.AcksQueued != result.AcksExpected) problems.Add($"{result.AcksQueued} acknowledgements queued for {result.AcksExpected} new conversations");
        if (result.AckStates.GetValueOrDefault("Sent") != result.AcksExpected) problems.Add($"acknowledgement deliveries: {Describe(result.AckStates)}");
        result.DeliveryJobsLeft = await store.QueryLongAsync("SELECT count(*) FROM \"Jobs\" WHERE \"Kind\" = 'message.deliver'", ct);

        // a sample of conversations through the API: every message of the conversation on the ticket, one acknowledgement
        var replied = threads.Values.Where(t => t.Count > 1).ToList();
        var single = threads.Values.Where(t => t.Count == 1).ToList();
        var sample = Every(replied, o.Quick ? 40 : 150).Concat(Every(single, o.Quick ? 10 : 50)).ToList();
        foreach (var thread in sample)
        {
            var reference = answers[thread[0].Index]?.Reference;
            if (reference is null) continue;
            result.SampledTickets++;
            var messages = await api.GetJsonAsync($"/api/v1/tickets/{reference}/messages", ct);
            var inbound = new HashSet<string>(StringComparer.Ordinal);
            var acks = 0;
            foreach (var m in messages.EnumerateArray())
            {
                var direction = m.GetProperty("direction").GetString();
                var author = m.GetProperty("authorKind").GetString();
                if (direction == "inbound" && author == "customer" && m.GetProperty("externalId").GetString() is { } id) inbound.Add(id.Trim('<', '>'));
                if (direction == "outbound" && author == "system" && !m.GetProperty("internal").GetBoolean()) acks++;
            }
            if (!inbound.SetEquals(thread.Select(x => x.MessageId)) || acks != 1) result.SampleMismatches++;
        }
        if (result.SampleMismatches > 0) problems.Add($"{result.SampleMismatches} of {result.SampledTickets} sampled tickets do not hold exactly their conversation and one acknowledgement");

        // the sink: one acknowledgement for each new conversation, to its sender, naming its ticket
        var expected = all.Where(m => m.IsNew && answers[m.Index]?.Reference is not null).ToDictionary(m => answers[m.Index]!.Reference!, m => m.From, StringComparer.Ordinal);
        var got = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (ticket, to) in sink.Read())
        {
            if (ticket is null || !expected.TryGetValue(ticket, out var sender) || !string.Equals(to, sender, StringComparison.OrdinalIgnoreCase)) result.SinkUnexpected++;
            else if (!got.Add(ticket)) result.SinkTwice++;
            else result.SinkAcksMatched++;
        }
        if (result.AcksReceived != result.AcksExpected || result.SinkUnexpected > 0 || result.SinkTwice > 0)
            problems.Add($"the sink received {result.AcksReceived} acknowledgements for {result.AcksExpected} new conversations ({result.SinkAcksMatched} matched, {result.SinkUnexpected} unexpected, {result.SinkTwice} twice)");
        Log($"   checks: {result.Tickets:N0} tickets for {result.Mix.NewConversations:N0} new conversations; replies on their parent's ticket {result.RepliesOnParentTicket:N0} of "
            + $"{result.Mix.Replies:N0}; sampled tickets {result.SampledTickets} ({result.SampleMismatches} off); acknowledgements {Describe(result.AckStates)}, "
            + $"in the sink {result.SinkAcksMatched:N0} matched; inbound {Describe(result.InboundStates)}");
        Log($"   server RSS peak {result.RssPeak / 1048576.0:N0} MB (VmHWM {result.VmHwm / 1048576.0:N0} MB), end {result.RssEnd / 1048576.0:N0} MB, GC heap {(result.GcHeapEnd ?? 0) / 1048576.0:N0} MB");
        return result;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. Draining a full IMAP mailbox

    private static async Task<DrainResult> DrainAsync(Options o, Sink sink, CancellationToken ct)
    {
        var (settings, database) = await RulesBench.ScenarioAsync(o, "drain", ct, "loopdesk_email_");
        var log = Path.Combine(o.DataDirectory!, "server-drain.log");
        var set = new MailSet(777, Support, SupportName);
        // replies come at least 250 messages after the one they answer: the poller stores in UID order and the job runner
        // takes the stored ones in batches of 100 (4 at a time), so the one answered is on its ticket by then
        var mails = set.Generate(o.DrainCount, 250, TimeProvider.System.GetUtcNow());
        var result = new DrainResult { Mix = MailMix.Of(mails), LoadAverage = ProcessStats.LoadAverage() };

        // the mailbox, filled before the server knows it: the messages as files in the user's Maildir/new, named so that
        // Dovecot gives them UIDs in the order of the set, owned by the mail processes' user
        var user = $"drain-{(o.Provider == Provider.Sqlite ? "sqlite" : "postgres")}-{Environment.ProcessId}";
        var password = MailSet.Secret();
        var mailRoot = Path.Combine(o.DovecotDirectory!, "mail");
        var home = Path.Combine(mailRoot, user);
        var maildir = Path.Combine(home, "Maildir");
        Log($"== drain: {mails.Count:N0} messages ({result.Mix.NewConversations:N0} new conversations, {result.Mix.Replies:N0} replies) into the Dovecot mailbox of {user}");
        var t0 = Stopwatch.GetTimestamp();
        foreach (var sub in new[] { "cur", "new", "tmp" }) Directory.CreateDirectory(Path.Combine(maildir, sub));
        var stamp = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 3600;
        foreach (var mail in mails)
        {
            await File.WriteAllBytesAsync(Path.Combine(maildir, "new",
                $"{stamp}.M{mail.Index}P{Environment.ProcessId}Q{mail.Index + 1}.bench,S={mail.Raw.Length}"), mail.Raw, ct);
        }
        await RunAsync("chown", ["-R", $"--reference={mailRoot}", home], ct);
        await File.WriteAllTextAsync(Path.Combine(o.DovecotDirectory!, "users", user), $"{user}:{{PLAIN}}{password}\n", ct);
        using (var imap = await ImapAsync(o, user, password, ct))
        {
            // the first SELECT: Dovecot takes the new files in and gives them their UIDs
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, ct);
            if (imap.Inbox.Count != mails.Count) throw new InvalidOperationException($"Dovecot holds {imap.Inbox.Count} messages of the {mails.Count} written");
            var summaries = await imap.Inbox.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope, ct);
            var order = summaries.OrderBy(s => s.UniqueId.Id).Select(s => s.Envelope?.MessageId).ToList();
            var outOfOrder = order.Where((id, i) => id != mails[i].MessageId).Count();
            if (outOfOrder > 0) throw new InvalidOperationException($"{outOfOrder} messages did not get their UID in the order of the set");
            await imap.DisconnectAsync(true, ct);
        }
        result.LoadSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        result.LoadMethod = "files written into Maildir/new, then one SELECT";
        Log($"   loaded in {result.LoadSeconds:0.0} s ({result.Mix.Bytes / 1048576.0:0.0} MB): Dovecot holds them all, UIDs in order");

        sink.Clear();
        Log("== drain: server on a new database");
        var (server, _) = await ServerProcess.StartAsync(o.ServerDll!, log, settings, ct);
        await using var serverScope = server;
        await using var store = Store.Open(o.Provider, database);
        using var api = new Api(server.Url, o.Token!);
        for (var i = 0; i < 5; i++)
        {
            await api.GetOkAsync("/api/v1/me", ct);
            await api.GetOkAsync("/api/v1/mailboxes", ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(o.Quick ? 2 : 10), ct);
        result.RssIdle = ProcessStats.Memory(server.Pid)?.Rss ?? 0;
        await Load.QuietAsync(server.Pid, o.DatabasePid, TimeSpan.FromSeconds(o.Quick ? 5 : 60), ct);

        await using var sampler = new Sampler(o.DatabasePid, TimeSpan.FromMilliseconds(200));
        sampler.Track("server", server.Pid);
        var counters0 = await api.RuntimeCountersAsync(ct);
        var mail0 = MailServersCpu(o);
        var started = Stopwatch.GetTimestamp();
        await CreateMailboxAsync(api, o, MailSet.Secret(), (user, password), ct);
        Log($"   mailbox created (IMAP 127.0.0.1:{o.ImapPort}, user {user}); waiting until every message is stored and processed");
        var n = mails.Count;
        long stored = 0, processed = 0;
        var stalled = Stopwatch.GetTimestamp();
        var progress = Stopwatch.GetTimestamp();
        Dictionary<string, double>? cpu = null;
        while (processed < n && Stopwatch.GetElapsedTime(stalled) < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(500, ct);
            var s = await store.QueryLongAsync("SELECT count(*) FROM \"InboundMails\"", ct);
            var p = await store.QueryLongAsync("SELECT count(*) FROM \"InboundMails\" WHERE \"State\" <> 'Pending'", ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (s != stored || p != processed) stalled = Stopwatch.GetTimestamp();
            stored = s;
            processed = p;
            if (stored >= n && double.IsNaN(result.StoredSeconds)) result.StoredSeconds = seconds;
            if (processed >= n)
            {
                result.ProcessedSeconds = seconds;
                cpu = sampler.Cpu;
                var mail = MailServersCpu(o) - mail0;
                cpu["mail servers"] = mail;
                // the sampler counts the mail servers with the rest of the machine
                result.OtherCores = Math.Max(0, sampler.OtherCores - mail / Math.Max(1, sampler.Seconds));
                if (counters0 is { } c0 && await api.RuntimeCountersAsync(ct) is { } c1)
                {
                    result.AllocatedKbPerMessage = (c1.Allocated - c0.Allocated) / 1024 / n;
                    result.GcPauseMsPerMessage = (c1.PauseSeconds - c0.PauseSeconds) * 1000 / n;
                    result.Gen2Collections = c1.Gen2 - c0.Gen2;
                }
            }
            result.Timeline.Add(new DrainPoint(Math.Round(seconds, 1), stored, processed, sampler.LastRss("server"), sink.Count()));
            if (Stopwatch.GetElapsedTime(progress) >= TimeSpan.FromSeconds(10))
            {
                progress = Stopwatch.GetTimestamp();
                Log($"   {seconds,5:0} s: {stored:N0} stored, {processed:N0} processed; RSS {sampler.LastRss("server") / 1048576.0:N0} MB");
            }
        }
        result.Stored = stored;
        result.Processed = processed;
        result.PerSecond = double.IsNaN(result.ProcessedSeconds) ? processed / Stopwatch.GetElapsedTime(started).TotalSeconds : n / result.ProcessedSeconds;
        result.StoredPerSecond = double.IsNaN(result.StoredSeconds) ? stored / Stopwatch.GetElapsedTime(started).TotalSeconds : n / result.StoredSeconds;
        cpu ??= sampler.Cpu;
        result.CpuMsPerMessage = cpu.ToDictionary(kv => kv.Key, kv => kv.Value * 1000 / Math.Max(1, processed), StringComparer.Ordinal);
        Log($"   {processed:N0} of {n:N0} processed in {result.ProcessedSeconds:0.0} s ({result.PerSecond:N0}/s); all stored after {result.StoredSeconds:0.0} s ({result.StoredPerSecond:N0}/s)");

        // on the IMAP server, every message flagged as ours
        using (var imap = await ImapAsync(o, user, password, ct))
        {
            await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, ct);
            var wait = Stopwatch.GetTimestamp();
            while (true)
            {
                result.Flagged = (await imap.Inbox.SearchAsync(SearchQuery.HasKeyword(DoneKeyword), ct)).Count;
                if (result.Flagged >= n || Stopwatch.GetElapsedTime(wait) > TimeSpan.FromSeconds(60)) break;
                await Task.Delay(500, ct);
                await imap.NoOpAsync(ct);
            }
            result.FlaggedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            result.NotFlagged = (await imap.Inbox.SearchAsync(SearchQuery.NotKeyword(DoneKeyword), ct)).Count;
            await imap.DisconnectAsync(true, ct);
        }
        Log($"   Dovecot: {result.Flagged:N0} messages with {DoneKeyword}, {result.NotFlagged:N0} without");

        result.AcksExpected = mails.Count(m => m.IsNew);
        var (received, at) = await WaitForSinkAsync(sink, result.AcksExpected, TimeSpan.FromSeconds(60), ct);
        result.AcksReceived = received;
        if (at is { } reached)
        {
            result.AcksDoneSeconds = Stopwatch.GetElapsedTime(started, reached).TotalSeconds;
            var withAcks = sampler.Cpu;
            withAcks["mail servers"] = MailServersCpu(o) - mail0;
            result.CpuMsPerMessageWithAcks = withAcks.ToDictionary(kv => kv.Key, kv => kv.Value * 1000 / Math.Max(1, processed), StringComparer.Ordinal);
        }
        await sampler.DisposeAsync();
        result.RssPeak = sampler.Rss.Where(r => r.Process == "server").Select(r => r.Rss).DefaultIfEmpty(0).Max();
        var memory = ProcessStats.Memory(server.Pid);
        result.RssEnd = memory?.Rss ?? 0;
        result.VmHwm = memory?.Peak ?? 0;
        result.GcHeapEnd = await api.GcHeapBytesAsync(ct);
        Log($"   {received:N0} of {result.AcksExpected:N0} acknowledgements received" + (at is null ? "" : $", all {result.AcksDoneSeconds:0.0} s after the mailbox was created"));
        Log($"   server RSS idle {result.RssIdle / 1048576.0:N0} MB, peak {result.RssPeak / 1048576.0:N0} MB (VmHWM {result.VmHwm / 1048576.0:N0} MB), end {result.RssEnd / 1048576.0:N0} MB, "
            + $"GC heap {(result.GcHeapEnd ?? 0) / 1048576.0:N0} MB; CPU per message: "
            + string.Join(", ", result.CpuMsPerMessage.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:0.00} ms"))
            + $" ({result.CpuMsPerMessageWithAcks.GetValueOrDefault("server"):0.00} ms server until the last acknowledgement); {result.AllocatedKbPerMessage:N0} KB allocated and "
            + $"{result.GcPauseMsPerMessage:0.00} ms GC pause per message, {result.Gen2Collections} gen2 GCs; other processes {result.OtherCores:0.00} cores");

        // the checks
        var problems = result.Problems;
        if (processed < n) problems.Add($"{processed} of {n} messages processed ({stored} stored) before progress stopped for 2 minutes");
        if (result.Flagged != n || result.NotFlagged != 0) problems.Add($"{result.Flagged} of {n} messages flagged {DoneKeyword} in Dovecot, {result.NotFlagged} not");
        result.InboundStates = await GroupCountAsync(store, "SELECT \"State\", count(*) FROM \"InboundMails\" GROUP BY \"State\"", ct);
        if (result.InboundStates.GetValueOrDefault("Processed") != n) problems.Add($"inbound states: {Describe(result.InboundStates)}");
        result.Tickets = await store.QueryLongAsync("SELECT count(*) FROM \"Tickets\" WHERE \"Channel\" = 'Email'", ct);
        if (result.Tickets != result.Mix.NewConversations) problems.Add($"{result.Tickets} tickets for {result.Mix.NewConversations} new conversations");
        var ticketOf = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var connection = await store.OpenAsync(ct))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT \"MailKey\", \"TicketId\" FROM \"InboundMails\" WHERE \"MailKey\" IS NOT NULL AND \"TicketId\" IS NOT NULL";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ticketOf[reader.GetString(0).Trim('<', '>')] = Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture)!;
        }
        var root = mails.GroupBy(m => m.Thread).ToDictionary(g => g.Key, g => g.OrderBy(m => m.Index).First().MessageId);
        foreach (var mail in mails.Where(m => !m.IsNew))
        {
            if (ticketOf.TryGetValue(mail.MessageId, out var ticket) && ticketOf.TryGetValue(root[mail.Thread], out var parent) && ticket == parent) result.RepliesOnParentTicket++;
            else result.RepliesElsewhere++;
        }
        if (result.RepliesElsewhere > 0) problems.Add($"{result.RepliesElsewhere} replies are not on their parent's ticket");
        if (result.AcksReceived != result.AcksExpected) problems.Add($"the sink received {result.AcksReceived} acknowledgements for {result.AcksExpected} new conversations");
        Log($"   checks: {result.Tickets:N0} tickets for {result.Mix.NewConversations:N0} new conversations; replies on their parent's ticket {result.RepliesOnParentTicket:N0} of "
            + $"{result.Mix.Replies:N0}; inbound {Describe(result.InboundStates)}");
        return result;
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static async Task CreateMailboxAsync(Api api, Options o, string inboundSecret, (string User, string Password)? imap, CancellationToken ct)
    {
        await api.PostJsonAsync("/api/v1/mailboxes", w =>
        {
            w.WriteStartObject();
            w.WriteString("name", "Support");
            w.WriteString("address", Support);
            w.WriteString("fromName", SupportName);
            w.WriteString("signature", "Bench Ltd · +44 20 5550 0100");
            w.WriteBoolean("isDefault", true);
            w.WriteString("inboundSecret", inboundSecret);
            if (imap is { } login)
            {
                w.WriteStartObject("imap");
                w.WriteString("host", "127.0.0.1");
                w.WriteNumber("port", o.ImapPort!.Value);
                w.WriteString("security", "none");
                w.WriteString("username", login.User);
                w.WriteString("secret", login.Password);
                w.WriteString("folder", "INBOX");
                w.WriteEndObject();
            }
            w.WriteStartObject("smtp");
            w.WriteString("host", "127.0.0.1");
            w.WriteNumber("port", o.SmtpPort!.Value);
            w.WriteString("security", "none");
            w.WriteEndObject();
            w.WriteEndObject();
        }, ct);
    }

    private static async Task<ImapClient> ImapAsync(Options o, string user, string password, CancellationToken ct)
    {
        var client = new ImapClient { Timeout = 120_000 };
        try
        {
            await client.ConnectAsync("127.0.0.1", o.ImapPort!.Value, SecureSocketOptions.None, ct);
            await client.AuthenticateAsync(user, password, ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the sink holds <paramref name="count"/> messages, or until none arrived for <paramref name="stall"/>; the count, and when it was reached.</summary>
    private static async Task<(int Received, long? At)> WaitForSinkAsync(Sink sink, int count, TimeSpan stall, CancellationToken ct)
    {
        var last = sink.Count();
        var changed = Stopwatch.GetTimestamp();
        while (last < count && Stopwatch.GetElapsedTime(changed) < stall)
        {
            await Task.Delay(200, ct);
            var now = sink.Count();
            if (now != last) changed = Stopwatch.GetTimestamp();
            last = now;
        }
        return (last, last >= count ? Stopwatch.GetTimestamp() : null);
    }

    private static async Task<Dictionary<string, long>> GroupCountAsync(Store store, string sql, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var connection = await store.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using DbDataReader reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) counts[reader.IsDBNull(0) ? "none" : reader.GetString(0)] = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        return counts;
    }

    private static string Describe(Dictionary<string, long> counts)
        => counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:N0}"));

    /// <summary>Up to <paramref name="count"/> items spread evenly over <paramref name="items"/>.</summary>
    private static IEnumerable<T> Every<T>(List<T> items, int count)
    {
        if (items.Count <= count) return items;
        return Enumerable.Range(0, count).Select(i => items[(int)((long)i * items.Count / count)]);
    }

    private static async Task RunAsync(string file, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {error}");
    }

    /// <summary>CPU seconds so far of the mail servers (the SMTP sink, and Dovecot's master with its imap and login processes).</summary>
    private static double MailServersCpu(Options o) => (ProcessStats.CpuSeconds(o.SmtpPid) ?? 0) + (ProcessStats.TreeCpuSeconds(o.ImapPid) ?? 0);

    private static void Log(string line) => Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {line}");
}

/// <summary>The SMTP sink's Maildir (bench/sink/raw_maildir.py, an aiosmtpd handler): each message it accepted is a file in new/.</summary>
internal sealed class Sink(string directory)
{
    private string Maildir => Path.Combine(directory, "maildir");

    public int Count() => Files().Count();

    public void Clear()
    {
        foreach (var file in Files().ToList()) File.Delete(file);
    }

    /// <summary>The ticket (X-Loopdesk-Ticket) and the envelope recipient (X-RcptTo) of every message received.</summary>
    public IEnumerable<(string? Ticket, string? To)> Read()
    {
        foreach (var file in Files().ToList())
        {
            using var stream = File.OpenRead(file);
            var headers = MimeKit.HeaderList.Load(stream);
            yield return (headers["X-Loopdesk-Ticket"]?.Trim(), headers["X-RcptTo"]?.Trim());
        }
    }

    private static readonly string[] Folders = ["new", "cur"];

    private IEnumerable<string> Files()
        => Folders.Select(d => Path.Combine(Maildir, d)).Where(Directory.Exists).SelectMany(d => Directory.EnumerateFiles(d));
}
