using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Jobs;
using Loopdesk.Rules;
using Npgsql;

namespace Loopdesk.Bench;

/// <summary>
/// The service rules engine under load, scripts/bench-rules' half of the work: trigger evaluation on ticket updates,
/// a million pending timers fired through a kill and a restart, and the outbox drained by two processes. Each scenario
/// starts the server itself, on a new database, because it kills, restarts or doubles it. The server's webhooks go to
/// a <see cref="Receiver"/> in this process, which is how firing is observed.
/// </summary>
internal static class RulesBench
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var result = new RulesResult
        {
            Provider = o.Provider == Provider.Sqlite ? "sqlite" : "postgres",
            Quick = o.Quick,
            Started = TimeProvider.System.GetUtcNow().ToString("u", CultureInfo.InvariantCulture),
            LoadAverageBefore = ProcessStats.LoadAverage(),
        };
        await using var receiver = await Receiver.StartAsync();
        Log($"== {result.Provider}: the rules engine; webhooks go to {receiver.Url}");
        try
        {
            if (o.Runs("triggers"))
            {
                result.Triggers = await TriggersAsync(o, ct);
                RulesResultFile.Write(o.Out, result);
            }
            if (o.Runs("timers"))
            {
                result.Timers = await TimersAsync(o, receiver, ct);
                RulesResultFile.Write(o.Out, result);
            }
            if (o.Runs("outbox"))
            {
                await OutboxAsync(o, receiver, result, ct);
            }
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine("FAILED: " + e.Message);
            return 1;
        }
        result.LoadAverageAfter = ProcessStats.LoadAverage();
        result.Seconds = Clock.Elapsed.TotalSeconds;
        RulesResultFile.Write(o.Out, result);
        Log($"== {result.Provider} done in {Clock.Elapsed.TotalMinutes:0.0} min; results in {o.Out}");
        return 0;
    }

    public static int WriteReport(Options o)
    {
        var markdown = RulesReport.Markdown([.. o.Inputs.Where(File.Exists).Select(RulesResultFile.Read)]);
        if (o.Out.EndsWith(".json", StringComparison.Ordinal)) Console.Write(markdown);
        else File.WriteAllText(o.Out, markdown);
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 2. Trigger evaluation: the same ticket updates without and with 200 custom rules

    private sealed class Target(string reference, TicketPriority priority, IEnumerable<string> tags)
    {
        public string Reference { get; } = reference;
        public TicketPriority Priority { get; set; } = priority;
        public List<string> Tags { get; } = [.. tags.Select(t => t.ToLowerInvariant()).Distinct()];
        public TicketStatus? Status { get; set; }
    }

    private static readonly TicketPriority[] Priorities = [TicketPriority.Low, TicketPriority.Normal, TicketPriority.High, TicketPriority.Urgent];

    private static readonly string[] ToggledTags = ["billing", "refund", "login", "outage", "shipping", "vip", "escalated", "bug", "security", "warranty"];

    private static async Task<TriggerResult> TriggersAsync(Options o, CancellationToken ct)
    {
        var (settings, database) = await ScenarioAsync(o, "triggers", ct);
        var log = Path.Combine(o.DataDirectory!, "server-triggers.log");
        Log("== triggers: server on a new database");
        var (server, _) = await ServerProcess.StartAsync(o.ServerDll!, log, settings, ct);
        await using var serverScope = server;
        await using var store = Store.Open(o.Provider, database);
        using var api = new Api(server.Url, o.Token!);
        var world = await Bench.SetUpAsync(api, o.Quick, ct);
        var workload = new Workload(new Corpus(), world);
        var result = new TriggerResult { LoadAverage = ProcessStats.LoadAverage() };

        var count = o.Quick ? 400 : 1_000; // not a multiple of 3, so that each ticket gets every kind of update in turn
        Log($"   {count:N0} tickets through the API");
        var made = new ConcurrentBag<Target>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (i, token) =>
        {
            var spec = workload.NextCreate(new Random(100 + i), 0);
            if (await api.CreateTicketAsync(spec, token) is { } reference) made.Add(new Target(reference, spec.Priority, spec.Tags));
        });
        if (made.Count < count) throw new InvalidOperationException($"only {made.Count} of {count} tickets were created");
        var shuffle = new Random(5);
        var targets = made.OrderBy(t => t.Reference, StringComparer.Ordinal).OrderBy(_ => shuffle.Next()).ToList();
        result.Tickets = targets.Count;

        var random = new Random(31);
        var sequence = 0;
        Task<bool> Update(int _) => Bench.Guarded(() => UpdateAsync(api, targets[sequence % targets.Count], sequence++ % 3, random, ct));
        var perRound = o.Quick ? 300 : 1_000;
        var limit = TimeSpan.FromSeconds(o.Quick ? 30 : 120);
        var without = new List<double>();
        var with = new List<double>();
        var errors = new int[2];
        async Task RoundAsync(string name, int active, List<double> pool)
        {
            await Load.QuietAsync(server.Pid, o.DatabasePid, TimeSpan.FromSeconds(o.Quick ? 5 : 60), ct);
            var runs0 = await store.QueryLongAsync("SELECT count(*) FROM \"RuleRuns\"", ct);
            var machine0 = ProcessStats.MachineCpu().Busy;
            var own0 = ProcessStats.OwnCpu(server.Pid, o.DatabasePid);
            var cpu0 = ProcessStats.CpuSeconds(server.Pid);
            var t0 = Stopwatch.GetTimestamp();
            var latency = await Load.SerialAsync(50, perRound, limit, Update, ct, pool);
            var seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            var other = Math.Max(0, ProcessStats.MachineCpu().Busy - machine0 - (ProcessStats.OwnCpu(server.Pid, o.DatabasePid) - own0)) / seconds;
            var cpu = ProcessStats.CpuSeconds(server.Pid) - cpu0;
            var runs = await store.QueryLongAsync("SELECT count(*) FROM \"RuleRuns\"", ct) - runs0;
            var updates = latency.Count + latency.Errors + 50;
            errors[active > 0 ? 1 : 0] += latency.Errors;
            result.Rounds.Add(new TriggerRound(name, active, latency, runs / (double)updates, cpu * 1000 / updates, other));
            Log($"   {name,-28} {Bench.Describe(latency)}; {runs / (double)updates:0.00} rule runs per update; other processes {other:0.00} cores");
        }

        Log("== triggers: PATCH /tickets/{reference} one at a time (priority, tags, status in turn)");
        // unmeasured: gives every ticket each kind of update once, and runs long enough for the runtime to have compiled and
        // optimized the paths (its tiered compilation takes tens of seconds under load), so that the first round is not the slow one
        await WarmUpAsync(Update, 3 * count, TimeSpan.FromSeconds(o.Quick ? 15 : 45), ct);
        await RoundAsync("no custom rules", 0, without);

        var rules = CustomRules(world, 200);
        result.CustomRules = rules.Count;
        result.ActingRules = rules.Count(r => r.Acting);
        var t = Stopwatch.GetTimestamp();
        var ids = new List<Guid>();
        foreach (var rule in rules) ids.Add((await api.PostJsonAsync("/api/v1/rules", rule.Write, ct)).GetProperty("id").GetGuid());
        result.RuleCreateSeconds = Stopwatch.GetElapsedTime(t).TotalSeconds;
        Log($"   {ids.Count} custom rules written through the API in {result.RuleCreateSeconds:0.0} s ({result.ActingRules} of them act on some updates)");
        await Task.Delay(1500, ct); // the rule book is cached for a second
        await WarmUpAsync(Update, count, TimeSpan.FromSeconds(o.Quick ? 5 : 20), ct); // unmeasured: the rules' paths
        await RoundAsync("200 custom rules", ids.Count, with);

        async Task SwitchAsync(bool enabled)
        {
            await Bench.SwitchBuiltinRulesAsync(api, enabled, ids, ct);
            await Task.Delay(1500, ct);
        }
        // rounds without and with the rules take turns, so that a drift over the run (caches, the growing history) weighs on both alike
        for (var pair = 2; pair <= (o.Quick ? 2 : 3); pair++)
        {
            await SwitchAsync(false);
            await RoundAsync($"rules disabled ({pair})", 0, without);
            await SwitchAsync(true);
            await RoundAsync($"200 custom rules ({pair})", ids.Count, with);
        }

        result.Without = Latency.Of(without, errors[0]);
        result.With = Latency.Of(with, errors[1]);
        Log($"   without: {Bench.Describe(result.Without)}");
        Log($"   with:    {Bench.Describe(result.With)}; p95 {result.With.P95 - result.Without.P95:+0.00;-0.00} ms");

        // what the built-in rules cost a new ticket (an acknowledgement and its delivery, timers, routing): the custom rules off
        await SwitchAsync(false);
        Log("== create path: POST /tickets, 8 in flight, the built-in rules on and off in turn (the custom rules off)");
        Func<int, Random, Task<bool>> create = (_, r) => Bench.Guarded(async () => await api.CreateTicketAsync(workload.NextCreate(r, 0), ct) is not null);
        // unmeasured: the create path's code is compiled and optimized with and without the rules before anything counts
        await Load.ClosedLoopAsync(8, TimeSpan.Zero, TimeSpan.FromSeconds(o.Quick ? 15 : 45), create, null, null, ct);
        var builtins = await Bench.SwitchBuiltinRulesAsync(api, false, null, ct);
        await Load.ClosedLoopAsync(8, TimeSpan.Zero, TimeSpan.FromSeconds(o.Quick ? 3 : 10), create, null, null, ct);
        async Task CreateRoundAsync(string name)
        {
            await Task.Delay(1500, ct);
            await Load.QuietAsync(server.Pid, o.DatabasePid, TimeSpan.FromSeconds(o.Quick ? 5 : 60), ct);
            var run = await Load.ClosedLoopAsync(8, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(o.Quick ? 4 : 10), create, server.Pid, o.DatabasePid, ct);
            result.Creates.Add(new CreateRound(name, run));
            Log($"   {name,-40} {run.PerSecond,6:N0} tickets/s  {Bench.Describe(run.Latency)}; server {run.ServerCpuMs:0.00} ms CPU per ticket"
                + (run.DatabaseCpuMs is { } d ? $", database {d:0.00} ms" : "") + $"; other processes {run.OtherCores:0.00} cores");
        }
        for (var pair = 1; pair <= (o.Quick ? 2 : 3); pair++)
        {
            await Bench.SwitchBuiltinRulesAsync(api, true, builtins, ct);
            await CreateRoundAsync(CreateRound.On);
            await Bench.SwitchBuiltinRulesAsync(api, false, builtins, ct);
            await CreateRoundAsync(CreateRound.Off);
        }
        await Bench.SwitchBuiltinRulesAsync(api, true, builtins, ct);
        var acknowledgement = (await api.GetJsonAsync("/api/v1/rules", ct)).EnumerateArray()
            .Where(r => r.GetProperty("key").ValueKind == JsonValueKind.String && r.GetProperty("key").GetString() == "close-the-loop")
            .Select(r => r.GetProperty("id").GetGuid()).ToList();
        await Bench.SwitchBuiltinRulesAsync(api, false, acknowledgement, ct);
        await CreateRoundAsync(CreateRound.OnButAcknowledgement);
        await Bench.SwitchBuiltinRulesAsync(api, true, acknowledgement, ct);
        return result;
    }

    /// <summary>Runs <paramref name="operation"/> one at a time, at least <paramref name="count"/> times and for at least <paramref name="time"/>.</summary>
    private static async Task WarmUpAsync(Func<int, Task<bool>> operation, int count, TimeSpan time, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count || Stopwatch.GetElapsedTime(started) < time; i++)
        {
            ct.ThrowIfCancellationRequested();
            await operation(i);
        }
    }

    /// <summary>One update: a new priority, one tag added or removed, or the status between open and pending.</summary>
    private static async Task<bool> UpdateAsync(Api api, Target target, int kind, Random random, CancellationToken ct)
    {
        var path = "/api/v1/tickets/" + target.Reference;
        switch (kind)
        {
            case 0:
                var priority = target.Priority;
                while (priority == target.Priority) priority = Priorities[random.Next(Priorities.Length)];
                if (!await api.PatchOkAsync(path, w => Field(w, "priority", Wire.Name(priority)), ct)) return false;
                target.Priority = priority;
                return true;
            case 1:
                var tag = ToggledTags[random.Next(ToggledTags.Length)];
                List<string> tags = target.Tags.Contains(tag) ? [.. target.Tags.Where(x => x != tag)] : [.. target.Tags, tag];
                if (!await api.PatchOkAsync(path, w =>
                    {
                        w.WriteStartObject();
                        w.WriteStartArray("tags");
                        foreach (var x in tags) w.WriteStringValue(x);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }, ct))
                {
                    return false;
                }
                target.Tags.Clear();
                target.Tags.AddRange(tags);
                return true;
            default:
                var status = target.Status == TicketStatus.Open ? TicketStatus.Pending : TicketStatus.Open;
                if (!await api.PatchOkAsync(path, w => Field(w, "status", Wire.Name(status)), ct)) return false;
                target.Status = status;
                return true;
        }
    }

    private static void Field(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString(name, value);
        w.WriteEndObject();
    }

    private sealed record RuleSpec(bool Acting, Action<Utf8JsonWriter> Write);

    /// <summary>
    /// Rules an admin team might have written, on the three events the updates record: most test something this data
    /// never has (a word in the subject, a tag nobody uses, a VIP customer, an old ticket, a customer's change, a
    /// partner's email domain), joined with conditions that often hold; one in forty acts on some updates (tags a
    /// ticket, raises a priority, adds a note, tells a team). Some test the customer, so the engine loads the customer.
    /// </summary>
    private static List<RuleSpec> CustomRules(World world, int count)
    {
        string[] events = [TicketEventTypes.PriorityChanged, TicketEventTypes.TagsChanged, TicketEventTypes.StatusChanged];
        var random = new Random(29);
        var team = world.Teams[0].ToString();
        var rules = new List<RuleSpec>();
        for (var i = 0; i < count; i++)
        {
            var name = $"Bench rule {i + 1}";
            if (i % 40 == 0)
            {
                // acting rules: their conditions hold for a share of the updates
                rules.Add((i / 40 % 5) switch
                {
                    0 => Rule(name, [TicketEventTypes.PriorityChanged], "all",
                        [("ticket.priority", "is", "urgent", null), ("ticket.team_id", "is", team, null)], [("add_tag", "urgent-queue", null)], acting: true),
                    1 => Rule(name, [TicketEventTypes.StatusChanged], "all",
                        [("ticket.status", "is", "pending", null), ("ticket.channel", "in", null, ["chat", "social"])], [("add_tag", "awaiting-customer", null)], acting: true),
                    2 => Rule(name, [TicketEventTypes.TagsChanged], "all",
                        [("ticket.tags", "contains", "vip", null), ("ticket.priority", "in", null, ["low", "normal"])], [("set_priority", "high", null)], acting: true),
                    3 => Rule(name, [TicketEventTypes.PriorityChanged], "all",
                        [("ticket.priority", "is", "low", null), ("customer.email_domain", "is", "org1.example", null)],
                        [("add_note", null, "Lowered for a partner organization: check the contract's response times.")], acting: true),
                    _ => Rule(name, [TicketEventTypes.StatusChanged], "all",
                        [("ticket.status", "is", "open", null), ("ticket.tags", "contains", "escalated", null)],
                        [("notify_team", team, "An escalated ticket is open again.")], acting: true),
                });
                continue;
            }
            var primary = events[i % 3];
            List<string> on = random.Next(10) == 0 ? [primary, events[(i + 1) % 3]] : [primary];
            (string, string, string?, string[]?) Never(int k) => k switch
            {
                0 => ("ticket.subject", "contains", $"kerbalith{i}", null),
                1 => ("ticket.tags", "contains", $"legal-hold-{i}", null),
                2 => ("customer.vip", "is", "true", null),
                3 => ("ticket.hours_since_created", "greater_than", "720", null),
                4 => ("event.actor", "is", "customer", null),
                _ => ("customer.email_domain", "is", $"partner{i}.example", null),
            };
            (string, string, string?, string[]?) Often(int k) => k switch
            {
                0 => ("ticket.priority", "in", null, ["normal", "high", "urgent"]),
                1 => ("ticket.team_id", "is", world.Teams[random.Next(world.Teams.Count)].ToString(), null),
                2 => ("ticket.type", "is_not", "task", null),
                3 => ("ticket.channel", "in", null, ["email", "portal", "chat"]),
                _ => ("ticket.status", "in", null, ["open", "pending"]),
            };
            var any = i % 8 == 7;
            List<(string, string, string?, string[]?)> conditions = any
                ? [Never(random.Next(6)), Never(random.Next(6))]
                : [Never(random.Next(6)), .. Enumerable.Range(0, random.Next(3)).Select(_ => Often(random.Next(5)))];
            // no action may record an event that starts its own rule
            (string, string?, string?) action;
            if (on.Contains(TicketEventTypes.TagsChanged))
            {
                action = random.Next(2) == 0
                    ? ("notify_team", world.Teams[random.Next(world.Teams.Count)].ToString(), $"Rule {i + 1}: have a look.")
                    : ("add_note", null, $"Rule {i + 1} matched.");
            }
            else
            {
                action = on.Contains(TicketEventTypes.PriorityChanged) ? ("add_tag", $"rule-{i + 1}", null) : ("set_priority", "high", null);
            }
            rules.Add(Rule(name, on, any ? "any" : "all", conditions, [action], acting: false));
        }
        return rules;
    }

    private static RuleSpec Rule(string name, IReadOnlyList<string> events, string match, IReadOnlyList<(string Field, string Operator, string? Value, string[]? Values)> conditions,
        IReadOnlyList<(string Type, string? Value, string? Body)> actions, bool acting)
        => new(acting, w =>
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteStartArray("events");
            foreach (var e in events) w.WriteStringValue(e);
            w.WriteEndArray();
            w.WriteString("match", match);
            w.WriteStartArray("conditions");
            foreach (var c in conditions)
            {
                w.WriteStartObject();
                w.WriteString("field", c.Field);
                w.WriteString("operator", c.Operator);
                if (c.Value is not null) w.WriteString("value", c.Value);
                if (c.Values is not null)
                {
                    w.WriteStartArray("values");
                    foreach (var v in c.Values) w.WriteStringValue(v);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("actions");
            foreach (var a in actions)
            {
                w.WriteStartObject();
                w.WriteString("type", a.Type);
                if (a.Value is not null) w.WriteString("value", a.Value);
                if (a.Body is not null) w.WriteString("body", a.Body);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    // ---------------------------------------------------------------------------------------------------------------
    // 1. A million pending timers

    private static async Task<TimerResult> TimersAsync(Options o, Receiver receiver, CancellationToken ct)
    {
        var (settings, database) = await ScenarioAsync(o, "timers", ct);
        var log = Path.Combine(o.DataDirectory!, "server-timers.log");
        var window = TimeSpan.FromSeconds(o.TimerWindowSeconds);
        var inWindow = (int)Math.Min(o.TimerCount / 2, (long)(o.TimerWindowSeconds * 50)); // 50 a second fall due during the run
        // the shipped lease (300 s) unless a quick run, which cannot wait that long for the killed process's jobs
        var lease = o.Quick ? 30 : new JobOptions().LeaseSeconds;
        if (o.Quick) settings["Loopdesk__Jobs__LeaseSeconds"] = lease.ToString(CultureInfo.InvariantCulture);
        var result = new TimerResult
        {
            Pending = o.TimerCount, DueInWindow = inWindow, WindowSeconds = o.TimerWindowSeconds, LeaseSeconds = lease, LoadAverage = ProcessStats.LoadAverage(),
        };
        receiver.Clear();

        Log("== timers: server on a new database, and its memory with no timers");
        var (empty, startup) = await ServerProcess.StartAsync(o.ServerDll!, log, settings, ct);
        result.StartupEmptySeconds = startup.TotalSeconds;
        await using (empty)
        {
            (result.RssEmpty, result.GcHeapEmpty) = await IdleMemoryAsync(o, empty, ct);
            await empty.StopAsync();
        }
        Log($"   RSS {result.RssEmpty / 1048576.0:N0} MB (GC heap {(result.GcHeapEmpty ?? 0) / 1048576.0:N0} MB) after {startup.TotalSeconds:0.0} s to start");

        await using var store = Store.Open(o.Provider, database);
        var now = TimeProvider.System.GetUtcNow();
        var far = o.TimerCount - inWindow;
        var random = new Random(23);
        var ruleId = Ids.New(now);
        Job Timer(long i, DateTimeOffset due, DateTimeOffset at)
        {
            var ticketId = Ids.New(at);
            return new Job(Outbound.WebhookKind, Wire.Json(new WebhookCall(receiver.Url, ruleId, ticketId, $"BENCH-{i}", "timer")), due, at, ticketId, $"bench:timer:{i}");
        }
        Log($"== timers: {far:N0} timers due over the next 30 days, written straight into the database");
        var t0 = Stopwatch.GetTimestamp();
        const int chunk = 100_000;
        var horizon = TimeSpan.FromDays(30).Ticks;
        for (long from = 0; from < far; from += chunk)
        {
            var n = Math.Min(chunk, far - from);
            var at = TimeProvider.System.GetUtcNow();
            // well after the window, spread evenly over the following 30 days
            await store.SeedJobsAsync(Enumerable.Range(0, (int)n).Select(k => Timer(from + k, now + window + TimeSpan.FromHours(1) + TimeSpan.FromTicks(random.NextInt64(horizon)), at)), ct);
            if ((from / chunk) % 5 == 4) Log($"   {from + n:N0} timers");
        }
        result.SeedSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        await store.QueryLongAsync(o.Provider == Provider.Postgres ? "VACUUM (ANALYZE) \"Jobs\"" : "PRAGMA wal_checkpoint(TRUNCATE)", ct);
        Log($"   {far:N0} timers in {result.SeedSeconds:0} s");

        await using var sampler = new Sampler(o.DatabasePid);
        Log("== timers: server started on them");
        var (first, startupPending) = await ServerProcess.StartAsync(o.ServerDll!, log, settings, ct);
        await using var firstScope = first;
        result.StartupPendingSeconds = startupPending.TotalSeconds;
        receiver.Watch(first.Pid, 1);
        sampler.Track("server", first.Pid);
        (result.RssPending, result.GcHeapPending) = await IdleMemoryAsync(o, first, ct);
        Log($"   RSS {result.RssPending / 1048576.0:N0} MB (GC heap {(result.GcHeapPending ?? 0) / 1048576.0:N0} MB) with {far:N0} pending, after {startupPending.TotalSeconds:0.0} s to start");

        // the window's timers: written while the server runs (as another process would schedule them), due from a few seconds on
        var start = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(5);
        var due = new Dictionary<Guid, long>(inWindow);
        var windowJobs = new List<Job>(inWindow);
        for (var i = 0; i < inWindow; i++)
        {
            var job = Timer(far + i, start + TimeSpan.FromTicks(random.NextInt64(window.Ticks)), TimeProvider.System.GetUtcNow());
            windowJobs.Add(job);
            due[job.Id] = job.DueAt.UtcTicks;
        }
        await store.SeedJobsAsync(windowJobs, ct);
        if (TimeProvider.System.GetUtcNow() > start) Log("   (warning: writing the window's timers took longer than the 5 s before the first falls due)");
        var pending = await store.QueryLongAsync("SELECT count(*) FROM \"Jobs\" WHERE \"Kind\" = @kind", ct, ("@kind", Outbound.WebhookKind));
        Log($"== timers: {pending:N0} pending; {inWindow:N0} fall due over the next {window.TotalSeconds:0} s (the server is killed halfway)");
        var end = start + window;

        await DelayUntilAsync(start + window / 2, ct);
        var rssFirst = sampler.Rss.Where(r => r.Process == "server").Select(r => r.Rss).DefaultIfEmpty(0).Max();
        sampler.Forget("server");
        var killedAt = TimeProvider.System.GetUtcNow();
        first.Kill();
        Log($"   killed the server (pid {first.Pid}) with SIGKILL at {(killedAt - start).TotalSeconds:0} s; {receiver.Distinct:N0} timers fired so far");
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        var (second, restart) = await ServerProcess.StartAsync(o.ServerDll!, log, settings, ct);
        await using var secondScope = second;
        var restartedAt = TimeProvider.System.GetUtcNow();
        receiver.Watch(second.Pid, 2);
        sampler.Track("server2", second.Pid);
        result.RestartSeconds = restart.TotalSeconds;
        result.KilledAtSeconds = (killedAt - start).TotalSeconds;
        result.DownSeconds = (restartedAt - killedAt).TotalSeconds;
        Log($"   restarted (pid {second.Pid}) in {restart.TotalSeconds:0.0} s; down {result.DownSeconds:0.0} s");

        await DelayUntilAsync(end, ct);
        // what the killed process held comes back when its lease runs out
        var deadline = (killedAt + TimeSpan.FromSeconds(lease) > end ? killedAt + TimeSpan.FromSeconds(lease) : end) + TimeSpan.FromSeconds(30);
        var waiting = false;
        while (due.Keys.Any(id => !receiver.TryGetFirst(id, out _)) && TimeProvider.System.GetUtcNow() < deadline)
        {
            if (!waiting) Log($"   window over; waiting (until {(deadline - start).TotalSeconds:0} s) for the timers not fired yet");
            waiting = true;
            await Task.Delay(1000, ct);
        }
        await Task.Delay(2000, ct); // a repeat would come right behind
        result.RssEnd = sampler.LastRss("server2");
        result.RssPeakFirst = rssFirst;
        result.RssPeakSecond = sampler.Rss.Where(r => r.Process == "server2").Select(r => r.Rss).DefaultIfEmpty(0).Max();
        result.RssGrowthFirst = Growth(sampler.Rss, "server");
        result.RssGrowthSecond = Growth(sampler.Rss, "server2");

        // the tally
        var steady = new List<double>();
        var all = new List<double>();
        var killTicks = killedAt.UtcTicks;
        var backTicks = restartedAt.UtcTicks;
        foreach (var (id, dueTicks) in due)
        {
            if (!receiver.TryGetFirst(id, out var got))
            {
                result.Missing++;
                continue;
            }
            result.Fired++;
            var lag = (got - dueTicks) / (double)TimeSpan.TicksPerMillisecond;
            if (lag < 0) result.Early++;
            all.Add(lag);
            if (receiver.RepeatedIds.ContainsKey(id)) result.Repeated++;
            if (dueTicks >= killTicks && dueTicks <= backTicks)
            {
                result.DueWhileDown++;
                result.DueWhileDownMaxLagMs = Math.Max(result.DueWhileDownMaxLagMs, lag);
            }
            else if (dueTicks < killTicks && got >= killTicks)
            {
                result.CaughtByKill++;
                result.CaughtByKillMaxLagMs = Math.Max(result.CaughtByKillMaxLagMs, lag);
            }
            else
            {
                steady.Add(lag);
            }
        }
        result.Unexpected = receiver.Distinct - result.Fired;
        result.Steady = Latency.Of(steady, 0);
        result.All = Latency.Of(all, result.Missing);
        result.LeftDue = await store.QueryLongAsync("SELECT count(*) FROM \"Jobs\" WHERE \"DueAt\" <= @end", ct, ("@end", store.Rows.At(end)));
        result.LeftPending = await store.QueryLongAsync("SELECT count(*) FROM \"Jobs\"", ct);
        result.OtherCores = sampler.OtherCores;
        result.CpuSeconds = sampler.Cpu;
        result.RssSeries = [.. sampler.Rss.Where((_, i) => i % 10 == 0)];
        Log($"   fired {result.Fired:N0} of {inWindow:N0} (lost {result.Missing}, again {result.Repeated}, early {result.Early}, not of the window {result.Unexpected}); "
            + $"left due {result.LeftDue}, left pending {result.LeftPending:N0}");
        Log($"   lag while a server ran: {Bench.Describe(result.Steady)}");
        Log($"   lag of all:             {Bench.Describe(result.All)}");
        Log($"   due while down: {result.DueWhileDown} (latest {result.DueWhileDownMaxLagMs / 1000:0.0} s late); due before the kill and fired after: "
            + $"{result.CaughtByKill} (latest {result.CaughtByKillMaxLagMs / 1000:0.0} s late)");
        Log($"   RSS: none {result.RssEmpty / 1048576.0:N0} MB, {far:N0} pending {result.RssPending / 1048576.0:N0} MB, peak {rssFirst / 1048576.0:N0} / "
            + $"{result.RssPeakSecond / 1048576.0:N0} MB, end {result.RssEnd / 1048576.0:N0} MB; growth over each process's life {result.RssGrowthFirst:0.00}× / "
            + $"{result.RssGrowthSecond:0.00}×; other processes {result.OtherCores:0.00} cores");
        sampler.Forget("server2");
        await second.StopAsync();
        return result;
    }

    /// <summary>How much a process's memory grew over its life: its peak in the second half of its readings over its peak in the first.</summary>
    private static double Growth(List<RssPoint> series, string process)
    {
        var mine = series.Where(r => r.Process == process).ToList();
        if (mine.Count < 4) return double.NaN;
        var half = (mine[0].Seconds + mine[^1].Seconds) / 2;
        return mine.Where(r => r.Seconds > half).Max(r => r.Rss) / (double)mine.Where(r => r.Seconds <= half).Max(r => r.Rss);
    }

    /// <summary>The server's memory after a few requests and a pause, as <see cref="Bench.IdleAsync"/> reads it.</summary>
    private static async Task<(long Rss, long? GcHeap)> IdleMemoryAsync(Options o, ServerProcess server, CancellationToken ct)
    {
        using var api = new Api(server.Url, o.Token!);
        for (var i = 0; i < 5; i++)
        {
            await api.GetOkAsync("/api/v1/me", ct);
            await api.GetOkAsync("/api/v1/tickets?limit=20", ct);
            await api.GetOkAsync("/api/v1/rules", ct);
        }
        await Task.Delay(TimeSpan.FromSeconds(o.Quick ? 3 : 15), ct);
        var memory = ProcessStats.Memory(server.Pid) ?? throw new InvalidOperationException("the server is gone");
        return (memory.Rss, await api.GcHeapBytesAsync(ct));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // 3. The outbox: a burst of due webhook jobs, drained by two processes (PostgreSQL) or one (SQLite)

    private static async Task OutboxAsync(Options o, Receiver receiver, RulesResult result, CancellationToken ct)
    {
        var shipped = new JobOptions();
        var delay = o.ReceiverDelayMilliseconds;
        var tunedBatch = o.JobsBatch ?? shipped.BatchSize;
        var tunedConcurrency = o.JobsConcurrency ?? 64;
        var slowJobs = o.Provider == Provider.Postgres ? Math.Min(o.OutboxJobCount, o.Quick ? 5_000 : 20_000) : Math.Min(o.OutboxJobCount, o.Quick ? 2_500 : 10_000);
        var settingsToRun = new List<OutboxSetting>
        {
            // the target: the consumer answers at once, so the figure is the dispatchers' own
            new("as shipped", shipped.BatchSize, shipped.Concurrency, 0, o.OutboxJobCount),
            // a consumer across a network answers in tens of milliseconds: the jobs in flight set the pace
            new($"as shipped, consumer answers in {delay} ms", shipped.BatchSize, shipped.Concurrency, delay, slowJobs),
            new($"batch {tunedBatch}, concurrency {tunedConcurrency}, consumer answers in {delay} ms", tunedBatch, tunedConcurrency, delay, slowJobs),
        };
        var processes = o.Provider == Provider.Postgres ? 2 : 1;
        for (var k = 0; k < settingsToRun.Count; k++)
        {
            var setting = settingsToRun[k];
            var (name, batchSize, concurrency) = (setting.Name, setting.Batch, setting.Concurrency);
            var (settings, database) = await ScenarioAsync(o, k == 0 ? "outbox" : $"outbox{k + 1}", ct);
            settings["Loopdesk__Jobs__BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture);
            settings["Loopdesk__Jobs__Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
            var log = Path.Combine(o.DataDirectory!, $"server-outbox{k + 1}.log");
            Log($"== outbox ({name}): {processes} server process{(processes > 1 ? "es" : "")} on a new database");
            var servers = new List<ServerProcess>();
            try
            {
                for (var i = 0; i < processes; i++)
                {
                    var own = new Dictionary<string, string>(settings, StringComparer.Ordinal);
                    if (i > 0) own["Loopdesk__Database__MigrateOnStart"] = "false";
                    servers.Add((await ServerProcess.StartAsync(o.ServerDll!, log, own, ct)).Server);
                }
                receiver.DelayMilliseconds = setting.DelayMilliseconds;
                result.Outbox.Add(await DrainAsync(o, receiver, servers, database, setting, ct));
                RulesResultFile.Write(o.Out, result);
            }
            finally
            {
                foreach (var server in servers) await server.DisposeAsync();
            }
        }
    }

    private sealed record OutboxSetting(string Name, int Batch, int Concurrency, int DelayMilliseconds, int Jobs);

    private static async Task<OutboxResult> DrainAsync(Options o, Receiver receiver, List<ServerProcess> servers, string database, OutboxSetting setting,
        CancellationToken ct)
    {
        var jobs = setting.Jobs;
        await using var store = Store.Open(o.Provider, database);
        receiver.Clear();
        for (var i = 0; i < servers.Count; i++) receiver.Watch(servers[i].Pid, i + 1);
        var ruleId = Ids.New(TimeProvider.System.GetUtcNow());
        List<Job> Make(int n)
        {
            var at = TimeProvider.System.GetUtcNow();
            return [.. Enumerable.Range(0, n).Select(i =>
            {
                var ticketId = Ids.New(at);
                return new Job(Outbound.WebhookKind, Wire.Json(new WebhookCall(receiver.Url, ruleId, ticketId, $"BENCH-{i}", TicketEventTypes.StatusChanged)),
                    at, at, ticketId);
            })];
        }

        // unmeasured first: compiles the runner's and the webhook client's paths in every process, opens their connections
        var warm = Make(Math.Min(2_000, jobs / 10));
        await store.SeedJobsAsync(warm, ct);
        if (!await WaitForAsync(() => receiver.Distinct >= warm.Count, TimeSpan.FromSeconds(120), ct))
            throw new InvalidOperationException($"the warm-up jobs were not all delivered ({receiver.Distinct} of {warm.Count})");
        await Task.Delay(1000, ct);
        receiver.Clear();
        // what autovacuum does to an outbox between bursts, done now rather than whenever it wakes: the statistics say
        // the table is empty when the burst arrives
        if (o.Provider == Provider.Postgres) await store.QueryLongAsync("ANALYZE \"Jobs\"", ct);

        var burst = Make(jobs);
        await Load.QuietAsync(servers[0].Pid, o.DatabasePid, TimeSpan.FromSeconds(o.Quick ? 5 : 60), ct);
        var result = new OutboxResult
        {
            Setting = setting.Name, Processes = servers.Count, BatchSize = setting.Batch, Concurrency = setting.Concurrency, ReceiverDelayMilliseconds = setting.DelayMilliseconds,
            Jobs = jobs, LoadAverage = ProcessStats.LoadAverage(),
        };
        Log($"   {jobs:N0} webhook jobs due now, written in one transaction");
        var sampler = new Sampler(o.DatabasePid);
        for (var i = 0; i < servers.Count; i++) sampler.Track($"server{i + 1}", servers[i].Pid);
        var t0 = Stopwatch.GetTimestamp();
        await store.SeedJobsAsync(burst, ct);
        var committed = TimeProvider.System.GetUtcNow().UtcTicks;
        result.InsertSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var progress = Stopwatch.GetTimestamp();
        var last = 0;
        var stalled = Stopwatch.GetTimestamp();
        while (receiver.Distinct < jobs && Stopwatch.GetElapsedTime(stalled) < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(200, ct);
            if (receiver.Distinct != last)
            {
                last = receiver.Distinct;
                stalled = Stopwatch.GetTimestamp();
            }
            if (Stopwatch.GetElapsedTime(progress) >= TimeSpan.FromSeconds(10))
            {
                progress = Stopwatch.GetTimestamp();
                Log($"   {receiver.Distinct:N0} delivered, {(receiver.Distinct / ((TimeProvider.System.GetUtcNow().UtcTicks - committed) / 1e7)):N0}/s");
            }
        }
        await Task.Delay(2000, ct); // a repeat would come right behind
        await sampler.DisposeAsync();

        var times = burst.Select(j => receiver.TryGetFirst(j.Id, out var t) ? t : 0).Where(t => t > 0).Order().ToList();
        result.Delivered = times.Count;
        result.Missing = jobs - times.Count;
        result.Repeats = receiver.Repeats;
        result.Seconds = times.Count > 0 ? (times[^1] - committed) / 1e7 : double.NaN;
        result.PerSecond = times.Count / result.Seconds;
        if (times.Count >= 10)
        {
            var a = times[times.Count / 10];
            var b = times[times.Count * 9 / 10];
            result.SteadyPerSecond = (times.Count * 8 / 10) / ((b - a) / 1e7);
        }
        result.ByProcess = [.. Enumerable.Range(1, servers.Count).Select(i => receiver.ByProcess(i))];
        result.Unattributed = receiver.ByProcess(0);
        result.LeftRows = await store.QueryLongAsync("SELECT count(*) FROM \"Jobs\"", ct);
        result.Retried = await store.QueryLongAsync("SELECT count(*) FROM \"Jobs\" WHERE \"Attempts\" > 0", ct);
        result.CpuMsPerJob = sampler.Cpu.ToDictionary(kv => kv.Key, kv => kv.Value * 1000 / Math.Max(1, times.Count), StringComparer.Ordinal);
        result.OtherCores = sampler.OtherCores;
        Log($"   {result.Delivered:N0} delivered in {result.Seconds:0.0} s: {result.PerSecond:N0}/s (steady {result.SteadyPerSecond:N0}/s); "
            + $"by process {string.Join(" + ", result.ByProcess)}{(result.Unattributed > 0 ? $" (+{result.Unattributed} unknown)" : "")}; "
            + $"repeats {result.Repeats}, missing {result.Missing}, retried {result.Retried}, left {result.LeftRows}; insert {result.InsertSeconds:0.0} s");
        Log("   CPU per job: " + string.Join(", ", result.CpuMsPerJob.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:0.00} ms"))
            + $"; other processes {result.OtherCores:0.00} cores");
        return result;
    }

    // ---------------------------------------------------------------------------------------------------------------

    /// <summary>The server's settings for a scenario on a database of its own, and the connection string the harness reads it with.</summary>
    internal static async Task<(Dictionary<string, string> Settings, string Database)> ScenarioAsync(Options o, string name, CancellationToken ct, string databasePrefix = "loopdesk_rules_")
    {
        var directory = Path.GetFullPath(Path.Combine(o.DataDirectory!, name));
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["LOOPDESK_ADMIN_EMAIL"] = "admin@bench.example",
            ["LOOPDESK_ADMIN_PASSWORD"] = "bench-password-1",
            ["LOOPDESK_ADMIN_TOKEN"] = o.Token!,
            ["Loopdesk__DataDirectory"] = directory,
            ["Loopdesk__Api__RequestsPerSecond"] = "0",
            ["Loopdesk__Rules__AllowPrivateWebhooks"] = "true",
        };
        if (o.Provider == Provider.Sqlite)
        {
            settings["Loopdesk__Database__Provider"] = "sqlite";
            return (settings, $"Data Source={Path.Combine(directory, "loopdesk.db")};Default Timeout=30");
        }
        var builder = new NpgsqlConnectionStringBuilder(o.Database) { Database = databasePrefix + name };
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(o.Database) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync(ct);
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{builder.Database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync(ct);
        }
        settings["Loopdesk__Database__Provider"] = "postgres";
        settings["Loopdesk__Database__ConnectionString"] = builder.ConnectionString;
        return (settings, builder.ConnectionString);
    }

    private static async Task<bool> WaitForAsync(Func<bool> done, TimeSpan limit, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!done())
        {
            if (Stopwatch.GetElapsedTime(started) > limit) return false;
            await Task.Delay(100, ct);
        }
        return true;
    }

    private static async Task DelayUntilAsync(DateTimeOffset at, CancellationToken ct)
    {
        var wait = at - TimeProvider.System.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
    }

    private static void Log(string line) => Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {line}");
}
