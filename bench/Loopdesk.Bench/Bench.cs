using System.Diagnostics;
using System.Globalization;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Bench;

/// <summary>The measurements, in the order scripts/bench needs them.</summary>
internal static class Bench
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var quick = o.Quick;
        var n = o.TicketCount;
        var result = new ProviderResult
        {
            Provider = o.Provider == Provider.Sqlite ? "sqlite" : "postgres",
            Quick = quick,
            Started = TimeProvider.System.GetUtcNow().ToString("u", CultureInfo.InvariantCulture),
            LoadAverageBefore = ProcessStats.LoadAverage(),
        };
        using var api = new Api(o.Url!, o.Token!);
        await using var store = Store.Open(o.Provider, o.Database!);
        var machineStart = ProcessStats.MachineCpu();
        var ownStart = ProcessStats.OwnCpu(o.ServerPid, o.DatabasePid);
        var clockStart = Clock.Elapsed;

        Log($"== {result.Provider}: setting up teams, agents and organizations through the API");
        var world = await SetUpAsync(api, quick, ct);
        var corpus = new Corpus();
        var workload = new Workload(corpus, world);
        var words = new SearchWords(corpus, new Random(3));
        var admin = Actor.Agent(world.AdminId);

        Log("== fidelity: a ticket through the API and one written by the harness, compared column by column");
        var (apiTicket, problems) = await CheckFidelityAsync(api, store, workload, admin, ct);
        result.Fidelity.AddRange(problems);
        if (problems.Count > 0) return Fail(problems);
        Log("   every column of the six tables holds the same kind of value");

        var existingTickets = await store.CountAsync("Tickets", ct);
        var existingMessages = await store.CountAsync("Messages", ct);
        var references = new HashSet<string>(await store.ReferencesAsync(ct), StringComparer.Ordinal);
        var seeder = new Seeder(workload, store, words, references, TimeProvider.System.GetUtcNow(), n - existingTickets, quick ? 2_000 : 5_000);
        var checkedSeeded = false;
        foreach (var checkpoint in new[] { n / 10, n })
        {
            Log($"== seeding to {Report.Count(checkpoint)} messages");
            await seeder.RunAsync(() => existingMessages + words.Messages >= checkpoint, Log, ct);
            await store.SettleAsync(vacuum: false, ct);
            if (!checkedSeeded)
            {
                checkedSeeded = true;
                var seededId = await TicketIdAsync(api, seeder.Sample[0], ct);
                problems = await Fidelity.CompareAsync(store, apiTicket, seededId, sameValues: false, ct);
                result.Fidelity.AddRange(problems);
                if (problems.Count > 0) return Fail(problems);
                Log("   a seeded ticket's rows hold the same kinds of values as the API's");
            }
            result.Search.Add(await SearchAsync(o, api, words, existingMessages + words.Messages, existingTickets + seeder.Tickets, ct));
        }
        Log($"== seeding to {Report.Count(n)} tickets");
        await seeder.RunAsync(() => seeder.Tickets >= n - existingTickets, Log, ct);
        Log("== settling (PostgreSQL: VACUUM ANALYZE, as autovacuum would; SQLite: the search queue indexed, WAL checkpoint)");
        await store.SettleAsync(vacuum: true, ct);
        foreach (var table in new[] { "Tickets", "Messages", "Customers" })
        {
            if (await store.UnindexedAsync(table, ct) is var missing and not 0) return Fail([$"{missing} rows of {table} are missing from the search index"]);
        }
        result.Data.SeededTickets = seeder.Tickets;
        result.Data.SeededRows = seeder.Rows;
        result.Data.SeedSeconds = seeder.Elapsed.TotalSeconds;
        await CountAsync(store, result.Data, world, ct);
        Log($"   {result.Data.Tickets:N0} tickets, {result.Data.Messages:N0} messages, {result.Data.Customers:N0} customers, {result.Data.Events:N0} events, "
            + $"{result.Data.DatabaseBytes / 1048576.0:N0} MiB; seeded at {seeder.Tickets / seeder.Elapsed.TotalSeconds:N0} tickets/s");

        if (o.SeedOnly)
        {
            ResultFile.Write(o.Out, result);
            return 0;
        }

        Log("== reads");
        var sample = seeder.Sample;
        await QuietAsync(o, ct);
        result.Get = await Load.SerialAsync(quick ? 50 : 300, quick ? 500 : 10_000, TimeSpan.FromSeconds(quick ? 15 : 60),
            i => Guarded(() => api.GetOkAsync("/api/v1/tickets/" + sample[i % sample.Count], ct)), ct);
        Log($"   GET /tickets/{{reference}}: {Describe(result.Get)}");
        // the same reads eight at a time: what a request costs the server and the harness when it writes nothing
        await QuietAsync(o, ct);
        result.GetConcurrent = await Load.ClosedLoopAsync(8, TimeSpan.FromSeconds(quick ? 1 : 3), TimeSpan.FromSeconds(quick ? 4 : 15),
            (_, random) => Guarded(() => api.GetOkAsync("/api/v1/tickets/" + sample[random.Next(sample.Count)], ct)), o.ServerPid, o.DatabasePid, ct);
        Log($"   GET /tickets/{{reference}} c= 8: {result.GetConcurrent.PerSecond,8:N0} requests/s  {Describe(result.GetConcurrent.Latency)}");
        result.Search.Add(await SearchAsync(o, api, words, existingMessages + words.Messages, existingTickets + seeder.Tickets, ct));
        await QuietAsync(o, ct);
        var inbox = await Load.SerialAsync(quick ? 25 : 100, quick ? 250 : 2_000, TimeSpan.FromSeconds(quick ? 15 : 60),
            i => Guarded(() => api.GetOkAsync($"/api/v1/tickets?teamId={world.Teams[i % world.Teams.Count]}&status=open", ct)), ct);
        result.Inbox = new InboxResult(result.Data.Tickets, result.Data.LargestTeamOpen, inbox);
        Log($"   GET /tickets?teamId=&status=open: {Describe(inbox)}");
        var plansFile = Path.ChangeExtension(o.Out, ".plans.md");
        await File.WriteAllTextAsync(plansFile, $"# {result.Provider}: the read queries at {result.Data.Tickets:N0} tickets\n\n"
            + await Plans.DescribeAsync(store, world.Teams[0], sample[0], [words.Classes[0].Words[0], words.Classes[2].Words[0], words.Classes[3].Words[0]], ct), ct);
        Log($"   query plans and database-only timings in {plansFile}");
        var page = await api.GetJsonAsync($"/api/v1/tickets?teamId={world.Teams[0]}&status=open", ct);
        if (page.GetProperty("items").GetArrayLength() is var items && items != Math.Min(25, result.Data.LargestTeamOpen))
        {
            return Fail([$"the first inbox page has {items} tickets; the team has {result.Data.LargestTeamOpen} open"]);
        }

        Log("== writes: a new ticket per request (7 in 10 from a customer the server finds, 3 in 10 new)");
        Func<int, Random, Task<bool>> apiCreate = (_, random) => Guarded(async () => await api.CreateTicketAsync(workload.NextCreate(random, 0.7), ct) is not null);
        // both paths run unmeasured first, so that the measured windows do not pay for just-in-time compilation: a new
        // server needs about half a minute of writes before the runtime has recompiled what they run (docs/performance.md)
        await Load.ClosedLoopAsync(8, TimeSpan.Zero, TimeSpan.FromSeconds(o.WriteSeconds ?? (quick ? 3 : 45)), apiCreate, null, null, ct);
        await using (var writer = await store.OpenWriterAsync(ct))
        {
            await Load.ClosedLoopAsync(1, TimeSpan.Zero, TimeSpan.FromSeconds(quick ? 1 : 3), (_, random) => DirectCreateAsync(writer, workload, workload.NextCreate(random, 0.7), admin, ct), null, null, ct);
        }
        foreach (var c in new[] { 1, 8, 32 })
        {
            var warmup = TimeSpan.FromSeconds(quick ? 1 : 3);
            var window = TimeSpan.FromSeconds(o.WriteSeconds ?? (quick ? 4 : 15));
            await QuietAsync(o, ct);
            var apiRun = await Load.ClosedLoopAsync(c, warmup, window, apiCreate, o.ServerPid, o.DatabasePid, ct);
            Log($"   API    c={c,2}: {apiRun.PerSecond,8:N0} tickets/s  {Describe(apiRun.Latency)}; other processes {apiRun.OtherCores:0.00} cores");
            var writers = new List<DirectWriter>();
            try
            {
                for (var w = 0; w < c; w++) writers.Add(await store.OpenWriterAsync(ct));
                await QuietAsync(o, ct);
                var directRun = await Load.ClosedLoopAsync(c, warmup, window,
                    (w, random) => DirectCreateAsync(writers[w], workload, workload.NextCreate(random, 0.7), admin, ct),
                    o.ServerPid, o.DatabasePid, ct);
                Log($"   direct c={c,2}: {directRun.PerSecond,8:N0} tickets/s  {Describe(directRun.Latency)}; other processes {directRun.OtherCores:0.00} cores");
                Throughput? contended = null;
                if (o.Provider == Provider.Sqlite && c > 1)
                {
                    foreach (var w in writers) await w.DisposeAsync();
                    writers.Clear();
                    for (var w = 0; w < c; w++) writers.Add(await store.OpenWriterAsync(ct, contend: true));
                    await QuietAsync(o, ct);
                    contended = await Load.ClosedLoopAsync(c, warmup, window,
                        (w, random) => DirectCreateAsync(writers[w], workload, workload.NextCreate(random, 0.7), admin, ct), o.ServerPid, null, ct);
                    Log($"   direct c={c,2}: {contended.PerSecond,8:N0} tickets/s  {Describe(contended.Latency)} (writers waiting in SQLite's busy handler); "
                        + $"other processes {contended.OtherCores:0.00} cores");
                }
                result.Writes.Add(new WriteLevel(c, apiRun, directRun, contended));
            }
            finally
            {
                foreach (var w in writers) await w.DisposeAsync();
            }
        }

        var memory = ProcessStats.Memory(o.ServerPid);
        if (memory is { } m) result.AfterLoad = new MemoryResult(m.Rss, m.Peak, await api.GcHeapBytesAsync(ct), 0);
        await CountAsync(store, result.Data, world, ct);
        result.LoadAverageAfter = ProcessStats.LoadAverage();
        var machineEnd = ProcessStats.MachineCpu();
        var seconds = (Clock.Elapsed - clockStart).TotalSeconds;
        result.OtherCores = Math.Max(0, machineEnd.Busy - machineStart.Busy - (ProcessStats.OwnCpu(o.ServerPid, o.DatabasePid) - ownStart)) / seconds;
        result.StealCores = (machineEnd.Steal - machineStart.Steal) / seconds;
        result.Seconds = Clock.Elapsed.TotalSeconds;
        ResultFile.Write(o.Out, result);
        Log($"== {result.Provider} done in {Clock.Elapsed.TotalMinutes:0.0} min; results in {o.Out}");
        return 0;
    }

    /// <summary>The search measurement alone over a database filled before (the share of messages per word is not known here).</summary>
    public static async Task<int> SearchOnlyAsync(Options o, CancellationToken ct)
    {
        using var api = new Api(o.Url!, o.Token!);
        await using var store = Store.Open(o.Provider, o.Database!);
        var words = new SearchWords(new Corpus(), new Random(3));
        var point = await SearchAsync(o, api, words, await store.CountAsync("Messages", ct), await store.CountAsync("Tickets", ct), ct);
        Log($"   search, all kinds: {Describe(point.Overall)}");
        return point.Overall.Errors == 0 ? 0 : 1;
    }

    /// <summary>The server after a restart: a few requests of each kind, a pause, then its memory.</summary>
    public static async Task<int> IdleAsync(Options o, CancellationToken ct)
    {
        using var api = new Api(o.Url!, o.Token!);
        var result = File.Exists(o.Out) ? ResultFile.Read(o.Out) : new ProviderResult();
        var teams = await api.GetJsonAsync("/api/v1/teams", ct);
        foreach (var team in teams.EnumerateArray())
        {
            await api.GetOkAsync($"/api/v1/tickets?teamId={team.GetProperty("id").GetString()}&status=open", ct);
        }
        var recent = await api.GetJsonAsync("/api/v1/tickets?limit=20", ct);
        foreach (var t in recent.GetProperty("items").EnumerateArray())
        {
            await api.GetOkAsync("/api/v1/tickets/" + t.GetProperty("reference").GetString(), ct);
        }
        foreach (var q in new[] { "invoice", "password reset", "keller" }) await api.GetOkAsync("/api/v1/search?q=" + Api.Query(q), ct);
        var wait = TimeSpan.FromSeconds(o.Quick ? 3 : 15);
        await Task.Delay(wait, ct);
        var memory = ProcessStats.Memory(o.ServerPid) ?? throw new ArgumentException("--server-pid names no running process");
        result.Idle = new MemoryResult(memory.Rss, memory.Peak, await api.GcHeapBytesAsync(ct), wait.TotalSeconds);
        ResultFile.Write(o.Out, result);
        Log($"   idle server: RSS {memory.Rss / 1048576.0:N0} MB, GC heap {(result.Idle.GcHeapBytes ?? 0) / 1048576.0:N0} MB");
        return 0;
    }

    public static int WriteReport(Options o)
    {
        var markdown = Report.Markdown([.. o.Inputs.Where(File.Exists).Select(ResultFile.Read)]);
        if (o.Out.EndsWith(".json", StringComparison.Ordinal)) Console.Write(markdown);
        else File.WriteAllText(o.Out, markdown);
        return 0;
    }

    internal static async Task<World> SetUpAsync(Api api, bool quick, CancellationToken ct)
    {
        var me = await api.GetJsonAsync("/api/v1/me", ct);
        var teams = new List<Guid>();
        foreach (var name in World.TeamNames)
        {
            var team = await api.PostJsonAsync("/api/v1/teams", w =>
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("description", $"The {name} queue");
                w.WriteEndObject();
            }, ct);
            teams.Add(team.GetProperty("id").GetGuid());
        }
        var organizations = new Dictionary<string, Guid>(StringComparer.Ordinal);
        for (var i = 0; i < (quick ? 10 : 40); i++)
        {
            var name = $"{Corpus.LastNames[i % Corpus.LastNames.Length]} {(i < Corpus.LastNames.Length ? "Group" : "Holding")} {i}";
            var domain = $"org{i}.example";
            var org = await api.PostJsonAsync("/api/v1/organizations", w =>
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteString("domain", domain);
                w.WriteEndObject();
            }, ct);
            organizations[domain] = org.GetProperty("id").GetGuid();
        }
        var agents = new List<IReadOnlyList<Guid>>();
        var number = 0;
        for (var t = 0; t < teams.Count; t++)
        {
            var members = new List<Guid>();
            for (var a = 0; a < (t == 0 ? 6 : 3); a++, number++)
            {
                var name = $"{Corpus.FirstNames[(number * 7) % Corpus.FirstNames.Length]} {Corpus.LastNames[(number * 3) % Corpus.LastNames.Length]}";
                var agent = await api.PostJsonAsync("/api/v1/agents", w =>
                {
                    w.WriteStartObject();
                    w.WriteString("name", name);
                    w.WriteString("email", $"agent{number}@helpdesk.example");
                    w.WriteString("role", "agent");
                    w.WriteStartArray("teamIds");
                    w.WriteStringValue(teams[t]);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }, ct);
                members.Add(agent.GetProperty("id").GetGuid());
            }
            agents.Add(members);
        }
        return new World { AdminId = me.GetProperty("id").GetGuid(), Teams = teams, AgentsByTeam = agents, Organizations = organizations };
    }

    private static async Task<(Guid ApiTicket, List<string> Problems)> CheckFidelityAsync(Api api, Store store, Workload workload, Actor admin, CancellationToken ct)
    {
        var random = new Random(5);
        var domain = workload.World.Organizations.Keys.First();
        CreateSpec Spec(string who) => new("Fidelity check: router drops the connection", "Since Monday the router drops every evening.\nPlease help.",
            Channel.Email, TicketPriority.High, TicketType.Problem, ["Network", "vip"], workload.World.Teams[1],
            "Fidelity " + who, $"fidelity.{who}.{workload.NextCustomerNumber()}@{domain}", $"+49 30 {20_000_000 + random.Next(1_000_000)}", null);

        // the built-in rules add to a new ticket (an acknowledgement to the customer, its delivery, timers), which the
        // harness's rows do not: they are off for this one ticket, so that the check compares what the request itself writes
        var builtins = await SwitchBuiltinRulesAsync(api, false, null, ct);
        string reference;
        try
        {
            reference = await api.CreateTicketAsync(Spec("api"), ct) ?? throw new InvalidOperationException("POST /api/v1/tickets did not answer 201");
        }
        finally
        {
            await SwitchBuiltinRulesAsync(api, true, builtins, ct);
        }
        var apiId = await TicketIdAsync(api, reference, ct);
        await using var writer = await store.OpenWriterAsync(ct);
        var (customer, ticket) = workload.BuildCreate(Spec("harness"), admin, TimeProvider.System.GetUtcNow());
        if (!await writer.InsertAsync(customer, ticket, ct)) throw new InvalidOperationException("the fidelity ticket's reference was taken");
        return (apiId, await Fidelity.CompareAsync(store, apiId, ticket.Id, sameValues: true, ct));
    }

    /// <summary>Switches built-in rules on or off (those in <paramref name="only"/>, else every enabled one); returns the ids switched.</summary>
    internal static async Task<List<Guid>> SwitchBuiltinRulesAsync(Api api, bool enabled, List<Guid>? only, CancellationToken ct)
    {
        var ids = only ?? [.. (await api.GetJsonAsync("/api/v1/rules", ct)).EnumerateArray()
            .Where(r => r.GetProperty("builtin").GetBoolean() && r.GetProperty("enabled").GetBoolean())
            .Select(r => r.GetProperty("id").GetGuid())];
        foreach (var id in ids)
        {
            if (!await api.PatchOkAsync($"/api/v1/rules/{id}", w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("enabled", enabled);
                    w.WriteEndObject();
                }, ct))
            {
                throw new InvalidOperationException($"PATCH /api/v1/rules/{id} did not answer 200");
            }
        }
        return ids;
    }

    private static async Task<Guid> TicketIdAsync(Api api, string reference, CancellationToken ct)
        => (await api.GetJsonAsync("/api/v1/tickets/" + reference, ct)).GetProperty("id").GetGuid();

    /// <summary>The ticket TicketCommands.CreateAsync would write, written in one transaction (a taken reference: drawn again).</summary>
    private static async Task<bool> DirectCreateAsync(DirectWriter writer, Workload workload, CreateSpec spec, Actor admin, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (customer, ticket) = workload.BuildCreate(spec, admin, TimeProvider.System.GetUtcNow());
            if (await writer.InsertAsync(customer, ticket, ct)) return true;
        }
        return false;
    }

    private static async Task<SearchPoint> SearchAsync(Options o, Api api, SearchWords words, long messages, long tickets, CancellationToken ct)
    {
        var quick = o.Quick;
        var perClass = quick ? 40 : 100;
        var classes = new List<SearchClassResult>();
        var all = new List<double>();
        var errors = 0;
        foreach (var c in words.Classes)
        {
            await QuietAsync(o, ct);
            var latency = await Load.SerialAsync(quick ? 5 : 12, perClass, TimeSpan.FromSeconds(quick ? 6 : 15),
                i => Guarded(() => api.GetOkAsync("/api/v1/search?q=" + Api.Query(c.Words[i % c.Words.Length]), ct)), ct, all);
            classes.Add(new SearchClassResult(c.Name, c.Words[0], words.HitShare(c), latency));
            errors += latency.Errors;
            Log($"   search at {Report.Count(messages)} messages, {c.Name,-13} (e.g. \"{c.Words[0]}\", {words.HitShare(c):0.0%} of messages): {Describe(latency)}");
        }
        // every class has the same number of requests (unless one ran out of time), so the overall figures weigh them alike
        return new SearchPoint(messages, tickets, Latency.Of(all, errors), classes);
    }

    private static async Task CountAsync(Store store, DataSet data, World world, CancellationToken ct)
    {
        data.Tickets = await store.CountAsync("Tickets", ct);
        data.Messages = await store.CountAsync("Messages", ct);
        data.Customers = await store.CountAsync("Customers", ct);
        data.Events = await store.CountAsync("TicketEvents", ct);
        data.Contacts = await store.CountAsync("Contacts", ct);
        data.DatabaseBytes = await store.SizeBytesAsync(ct);
        data.LargestTeamOpen = await store.OpenTicketsAsync(world.Teams[0], ct);
    }

    /// <summary>Before a measurement: waits a little for other processes to leave the machine alone, and says so when it had to.</summary>
    private static async Task QuietAsync(Options o, CancellationToken ct)
    {
        // at most a minute each time and five in all (with --quick: 5 s and 15 s), so a busy machine cannot stall the run
        var left = TimeSpan.FromSeconds(o.Quick ? 15 : 300) - _waited;
        if (left <= TimeSpan.Zero) return;
        var limit = TimeSpan.FromSeconds(o.Quick ? 5 : 60);
        var waited = await Load.QuietAsync(o.ServerPid, o.DatabasePid, limit < left ? limit : left, ct);
        _waited += waited;
        if (waited.TotalSeconds > 2.5) Log($"   (waited {waited.TotalSeconds:0} s for other processes to quiet down)");
    }

    private static TimeSpan _waited;

    internal static async Task<bool> Guarded(Func<Task<bool>> request)
    {
        try
        {
            return await request();
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    internal static string Describe(Latency l)
        => $"n={l.Count} p50 {l.P50:0.00} ms, p95 {l.P95:0.00} ms, p99 {l.P99:0.00} ms, max {l.Max:0.0} ms" + (l.Errors > 0 ? $", {l.Errors} ERRORS" : "");

    private static int Fail(IEnumerable<string> problems)
    {
        foreach (var p in problems) Console.Error.WriteLine("FAILED: " + p);
        return 1;
    }

    private static void Log(string line) => Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {line}");
}
