using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Loopdesk.Core.Common;
using Loopdesk.Core.Service;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Service;
using Loopdesk.Web.Workspace;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Bench;

/// <summary>One workspace page measured: its address, what it showed, and how long the whole HTML took.</summary>
internal sealed record PageResult(string View, string Path, int RowsShown, string? MenuCount, Latency Latency);

internal sealed class WorkspaceResult
{
    public string Provider { get; set; } = "";
    public bool Quick { get; set; }
    public string Started { get; set; } = "";
    public string LoadAverageBefore { get; set; } = "";
    public string LoadAverageAfter { get; set; } = "";
    public long Tickets { get; set; }
    public double SeedSeconds { get; set; }
    public Dictionary<string, long> ByStatus { get; set; } = [];
    public Dictionary<string, long> Sizes { get; set; } = [];
    public List<PageResult> Pages { get; set; } = [];
    public double OtherCores { get; set; }
}

/// <summary>
/// The workspace's inbox pages at a million tickets: seeds tickets (with SLA rows, follow-ups and internal requests),
/// signs in an agent who belongs to two teams, and times GET /inbox/{view} (the server-prerendered HTML with the menu
/// and its counts) for every built-in inbox and one saved view.
/// </summary>
internal static class WorkspaceBench
{
    public const string AgentEmail = "workspace.agent@helpdesk.example";
    private const string AgentPassword = "bench-agent-password-1";
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var quick = o.Quick;
        var result = new WorkspaceResult
        {
            Provider = o.Provider == Provider.Sqlite ? "sqlite" : "postgres",
            Quick = quick,
            Started = TimeProvider.System.GetUtcNow().ToString("u", CultureInfo.InvariantCulture),
            LoadAverageBefore = ProcessStats.LoadAverage(),
        };
        using var api = new Api(o.Url!, o.Token!);
        await using var store = Store.Open(o.Provider, o.Database!);

        var existing = await store.CountAsync("Tickets", ct);
        if (existing == 0)
        {
            Log($"== {result.Provider}: teams, agents and organizations through the API");
            var world = await Bench.SetUpAsync(api, quick, ct);
            var me = (await api.PostJsonAsync("/api/v1/agents", w =>
            {
                w.WriteStartObject();
                w.WriteString("name", "Wendy Workspace");
                w.WriteString("email", AgentEmail);
                w.WriteString("role", "agent");
                w.WriteString("password", AgentPassword);
                w.WriteStartArray("teamIds");
                w.WriteStringValue(world.Teams[0]);
                w.WriteStringValue(world.Teams[1]);
                w.WriteEndArray();
                w.WriteEndObject();
            }, ct)).GetProperty("id").GetGuid();
            // the agent who signs in takes tickets of both teams like the others
            world = new World
            {
                AdminId = world.AdminId,
                Teams = world.Teams,
                Organizations = world.Organizations,
                AgentsByTeam = [.. world.AgentsByTeam.Select((agents, i) => i < 2 ? (IReadOnlyList<Guid>)[.. agents, me] : agents)],
            };
            var policy = (await api.PostJsonAsync("/api/v1/sla-policies", w =>
            {
                w.WriteStartObject();
                w.WriteString("name", "Standard");
                w.WriteNumber("firstReplySeconds", (long)WorkspaceSeeder.FirstReply.TotalSeconds);
                w.WriteNumber("nextReplySeconds", (long)WorkspaceSeeder.NextReply.TotalSeconds);
                w.WriteNumber("resolutionSeconds", (long)WorkspaceSeeder.Resolution.TotalSeconds);
                w.WriteEndObject();
            }, ct)).GetProperty("id").GetGuid();

            var n = o.TicketCount;
            Log($"== seeding {Report.Count(n)} tickets with their SLA rows");
            var seeder = new WorkspaceSeeder(new Workload(new Corpus(), world), store, policy, TimeProvider.System.GetUtcNow(), n, quick ? 2_000 : 10_000);
            await seeder.RunAsync(Log, ct);
            result.SeedSeconds = seeder.Elapsed.TotalSeconds;
            await store.SettleAsync(vacuum: true, ct);
            if (o.Provider == Provider.Postgres)
            {
                await using var connection = await store.OpenAsync(ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "VACUUM (ANALYZE) \"TicketSlas\"";
                command.CommandTimeout = 0;
                await command.ExecuteNonQueryAsync(ct);
            }
            await SaveViewAsync(o, me, ct);
            Log($"   seeded in {seeder.Elapsed.TotalSeconds:N0} s");
        }
        else
        {
            Log($"== {result.Provider}: {existing:N0} tickets already stored; measuring them");
        }
        if (o.SeedOnly) return 0;

        result.Tickets = await store.CountAsync("Tickets", ct);
        await DescribeAsync(store, result, ct);
        Log($"   {result.Tickets:N0} tickets: " + string.Join(", ", result.ByStatus.Select(kv => $"{kv.Key} {kv.Value:N0}")));
        Log("   " + string.Join(", ", result.Sizes.Select(kv => $"{kv.Key} {kv.Value:N0}")));

        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = o.Url,
            Timeout = TimeSpan.FromMinutes(2),
        };
        var cookie = await SignInAsync(http, ct);
        var savedId = await SavedViewIdAsync(store, ct);
        var pages = InboxViews.All.Select(v => (v.Key, $"/inbox/{v.Key}")).Append(("saved view", $"/inbox/view/{savedId}")).ToList();

        var machineStart = ProcessStats.MachineCpu();
        var ownStart = ProcessStats.OwnCpu(o.ServerPid, o.DatabasePid);
        var t0 = Clock.Elapsed;
        Log("== pages: GET with the session cookie, the whole HTML read; one request at a time");
        var warmup = quick ? 5 : 10;
        var count = quick ? 20 : 60;
        foreach (var (view, path) in pages)
        {
            await Load.QuietAsync(o.ServerPid, o.DatabasePid, TimeSpan.FromSeconds(quick ? 3 : 20), ct);
            var first = await GetPageAsync(http, cookie, path, ct) ?? throw new InvalidOperationException($"GET {path} did not answer 200 with an inbox");
            var rows = Regex.Count(first, "data-row");
            var menu = MenuCount(first, path);
            var latency = await Load.SerialAsync(warmup, count, TimeSpan.FromSeconds(quick ? 30 : 120),
                _ => Bench.Guarded(async () => await GetPageAsync(http, cookie, path, ct) is not null), ct);
            result.Pages.Add(new PageResult(view, path, rows, menu, latency));
            Log($"   {path,-52} {rows,3} rows, menu count {menu ?? "-",6}: {Bench.Describe(latency)}");
        }
        var seconds = (Clock.Elapsed - t0).TotalSeconds;
        var machineEnd = ProcessStats.MachineCpu();
        result.OtherCores = Math.Max(0, machineEnd.Busy - machineStart.Busy - (ProcessStats.OwnCpu(o.ServerPid, o.DatabasePid) - ownStart)) / seconds;
        result.LoadAverageAfter = ProcessStats.LoadAverage();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(o.Out))!);
        await File.WriteAllTextAsync(o.Out, JsonSerializer.Serialize(result, Json), ct);
        Log($"== done; results in {o.Out}");
        return result.Pages.Any(p => p.Latency.Errors > 0) ? 1 : 0;
    }

    /// <summary>POST /api/v1/auth/login; the cookies it sets, as a Cookie header.</summary>
    private static async Task<string> SignInAsync(HttpClient http, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new { email = AgentEmail, password = AgentPassword });
        using var response = await http.PostAsync("/api/v1/auth/login", new StringContent(body, Encoding.UTF8, "application/json"), ct);
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"sign-in answered {(int)response.StatusCode}");
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]).ToList() : [];
        if (!cookies.Any(c => c.StartsWith("loopdesk=", StringComparison.Ordinal))) throw new InvalidOperationException("sign-in set no loopdesk cookie");
        return string.Join("; ", cookies);
    }

    /// <summary>The page's HTML when it answered 200 with an inbox (rows or the empty state), else null.</summary>
    private static async Task<string?> GetPageAsync(HttpClient http, string cookie, string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (response.StatusCode != HttpStatusCode.OK) return null;
        var html = await response.Content.ReadAsStringAsync(ct);
        return html.Contains("class=\"inbox\"", StringComparison.Ordinal) || html.Contains("class=\"empty\"", StringComparison.Ordinal) ? html : null;
    }

    /// <summary>The count the menu shows next to the link to <paramref name="path"/>.</summary>
    private static string? MenuCount(string html, string path)
    {
        var at = html.IndexOf($"href=\"{path}\"", StringComparison.Ordinal);
        if (at < 0) return null;
        var end = html.IndexOf("</a>", at, StringComparison.Ordinal);
        var match = Regex.Match(html[at..(end < 0 ? html.Length : end)], "class=\"count\"[^>]*>([^<]*)<");
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    /// <summary>A saved view with a few filters (new or open, high priority, email), written through the application's model.</summary>
    private static async Task SaveViewAsync(Options o, Guid agentId, CancellationToken ct)
    {
        await using var db = OpenDb(o);
        db.SavedViews.Add(new SavedView(agentId, "High-priority email", TimeProvider.System.GetUtcNow())
        {
            Statuses = [TicketStatus.New, TicketStatus.Open],
            Priority = TicketPriority.High,
            Channel = Channel.Email,
            Sort = InboxSort.Newest,
        });
        await db.SaveChangesAsync(ct);
    }

    private static LoopdeskDb OpenDb(Options o)
    {
        if (o.Provider == Provider.Sqlite)
        {
            var b = new DbContextOptionsBuilder<SqliteLoopdeskDb>();
            DatabaseSetup.ConfigureSqlite(b, o.Database!);
            return new SqliteLoopdeskDb(b.Options);
        }
        var p = new DbContextOptionsBuilder<PostgresLoopdeskDb>();
        DatabaseSetup.ConfigurePostgres(p, o.Database!);
        return new PostgresLoopdeskDb(p.Options);
    }

    private static async Task<Guid> SavedViewIdAsync(Store store, CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Id\" FROM \"SavedViews\" ORDER BY \"CreatedAt\" LIMIT 1";
        var id = await command.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException("no saved view");
        return id is Guid g ? g : Guid.Parse((string)id);
    }

    /// <summary>What the data set holds: tickets by status, and the sizes of the sets the inboxes pick from.</summary>
    private static async Task DescribeAsync(Store store, WorkspaceResult result, CancellationToken ct)
    {
        await using var connection = await store.OpenAsync(ct);
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT \"Status\", count(*) FROM \"Tickets\" GROUP BY \"Status\" ORDER BY 2 DESC";
            command.CommandTimeout = 0;
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) result.ByStatus[reader.GetString(0)] = reader.GetInt64(1);
        }
        const string working = "\"Status\" IN ('New', 'Open', 'Pending', 'OnHold')";
        var soon = store.Rows.At(TimeProvider.System.GetUtcNow() + InboxViews.BreachWindow);
        foreach (var (name, sql) in new[]
        {
            ("working", $"SELECT count(*) FROM \"Tickets\" WHERE {working}"),
            ("unassigned new or open", "SELECT count(*) FROM \"Tickets\" WHERE \"AssigneeId\" IS NULL AND \"Status\" IN ('New', 'Open')"),
            ("working follow-ups", $"SELECT count(*) FROM \"Tickets\" WHERE \"FollowUpOfId\" IS NOT NULL AND {working}"),
            ("working internal", $"SELECT count(*) FROM \"Tickets\" WHERE (\"Channel\" = 'Internal' OR \"Type\" = 'InternalRequest') AND {working}"),
            ("SLA rows", "SELECT count(*) FROM \"TicketSlas\""),
            ("SLA due within 2 h or missed", "SELECT count(*) FROM \"TicketSlas\" WHERE \"FirstReplyDueAt\" < @soon OR \"NextReplyDueAt\" < @soon OR \"ResolutionDueAt\" < @soon"),
        })
        {
            result.Sizes[name] = await store.QueryLongAsync(sql, ct, ("@soon", soon));
        }
    }

    public static int WriteReport(Options o)
    {
        var results = o.Inputs.Where(File.Exists).Select(f => JsonSerializer.Deserialize<WorkspaceResult>(File.ReadAllText(f))!).ToList();
        var markdown = Markdown(results);
        if (o.Out.EndsWith(".json", StringComparison.Ordinal)) Console.Write(markdown);
        else File.WriteAllText(o.Out, markdown);
        return 0;
    }

    private static string Markdown(List<WorkspaceResult> results)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.Append("| Page | Target |");
        foreach (var r in results) s.Append(inv, $" {Name(r)} rows / count | {Name(r)} p50 / p95 / p99 / max |");
        s.AppendLine();
        s.Append("|---|---|");
        foreach (var _ in results) s.Append("---:|---:|");
        s.AppendLine();
        var views = results.SelectMany(r => r.Pages.Select(p => p.Path.StartsWith("/inbox/view/", StringComparison.Ordinal) ? "/inbox/view/{id}" : p.Path)).Distinct().ToList();
        foreach (var view in views)
        {
            s.Append(inv, $"| `GET {view}` | p95 < 300 ms |");
            foreach (var r in results)
            {
                var p = r.Pages.FirstOrDefault(x => (x.Path.StartsWith("/inbox/view/", StringComparison.Ordinal) ? "/inbox/view/{id}" : x.Path) == view);
                if (p is null)
                {
                    s.Append(" — | — |");
                    continue;
                }
                var l = p.Latency;
                var mark = l.Errors > 0 ? $" ✗ ({l.Errors} errors)" : l.P95 < 300 ? " ✓" : " ✗";
                s.Append(inv, $" {p.RowsShown} / {p.MenuCount ?? "–"} | {Ms(l.P50)} / {Ms(l.P95)} / {Ms(l.P99)} / {Ms(l.Max)} ms{mark} |");
            }
            s.AppendLine();
        }
        s.AppendLine();
        s.AppendLine("The data set (tickets by status, and the sets the inboxes draw from):");
        s.AppendLine();
        s.Append("| |");
        foreach (var r in results) s.Append(inv, $" {Name(r)} |");
        s.AppendLine();
        s.Append("|---|");
        foreach (var _ in results) s.Append("---:|");
        s.AppendLine();
        var rows = new List<(string, Func<WorkspaceResult, string>)> { ("tickets", r => r.Tickets.ToString("N0", inv)) };
        foreach (var status in results.SelectMany(r => r.ByStatus.Keys).Distinct()) rows.Add(($"status {status}", r => r.ByStatus.GetValueOrDefault(status).ToString("N0", inv)));
        foreach (var size in results.SelectMany(r => r.Sizes.Keys).Distinct()) rows.Add((size, r => r.Sizes.GetValueOrDefault(size).ToString("N0", inv)));
        rows.Add(("seeding", r => r.SeedSeconds > 0 ? $"{r.SeedSeconds:N0} s" : "(kept from an earlier run)"));
        rows.Add(("other processes' CPU while measuring (of 2 cores)", r => $"{r.OtherCores:0.00} cores"));
        rows.Add(("load average before / after", r => $"{r.LoadAverageBefore} / {r.LoadAverageAfter}"));
        foreach (var (label, value) in rows)
        {
            s.Append(inv, $"| {label} |");
            foreach (var r in results) s.Append(inv, $" {value(r)} |");
            s.AppendLine();
        }
        return s.ToString();

        static string Name(WorkspaceResult r) => r.Provider == "sqlite" ? "SQLite" : "PostgreSQL";
        static string Ms(double v) => v.ToString(v < 10 ? "0.00" : v < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);
    }

    private static void Log(string line) => Console.WriteLine($"[{Clock.Elapsed:mm\\:ss}] {line}");
}

/// <summary>
/// Tickets for the inbox pages, oldest first over three years: the statuses a ticket of its age would have reached (old
/// ones mostly closed), owners from its team (new tickets and a few open ones unowned), one in a hundred on the internal
/// channel and two in a hundred of the internal-request type, three in a hundred a follow-up of an earlier ticket of
/// the same customer's time, and an SLA row for each: first reply, next reply and resolution clocks, running while
/// the ticket is new or open, paused while pending or on hold, stopped once solved. No messages or history events:
/// no inbox reads them.
/// </summary>
internal sealed class WorkspaceSeeder(Workload workload, Store store, Guid policyId, DateTimeOffset now, long planned, int batchSize)
{
    public static readonly TimeSpan FirstReply = TimeSpan.FromHours(8);
    public static readonly TimeSpan NextReply = TimeSpan.FromHours(24);
    public static readonly TimeSpan Resolution = TimeSpan.FromDays(5);
    private static readonly TimeSpan History = TimeSpan.FromDays(3 * 365);

    private readonly Random _random = new(17);
    private readonly Guid[] _recent = new Guid[5_000];
    private readonly HashSet<string> _references = new(StringComparer.Ordinal);
    private long _tickets;

    public TimeSpan Elapsed { get; private set; }

    public async Task RunAsync(Action<string> progress, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var last = started;
        var rows = store.Rows;
        while (_tickets < planned)
        {
            var customers = new List<object?[]>();
            var identities = new List<object?[]>();
            var tickets = new List<object?[]>();
            var slas = new List<object?[]>();
            while (tickets.Count < batchSize && _tickets < planned)
            {
                var (customer, ticket, sla) = Next();
                if (customer is not null)
                {
                    customers.Add(rows.Customer(customer));
                    identities.AddRange(customer.Identities.Select(rows.Identity));
                }
                tickets.Add(rows.Ticket(ticket));
                slas.Add(rows.TicketSla(sla));
            }
            await store.SeedTablesAsync([(Rows.Customers, customers), (Rows.Identities, identities), (Rows.Tickets, tickets), (Rows.TicketSlas, slas)], ct);
            if (Stopwatch.GetElapsedTime(last).TotalSeconds >= 30)
            {
                last = Stopwatch.GetTimestamp();
                progress($"   seeded {_tickets:N0} tickets, {_tickets / Stopwatch.GetElapsedTime(started).TotalSeconds:N0}/s");
            }
        }
        Elapsed = Stopwatch.GetElapsedTime(started);
    }

    private (Loopdesk.Core.Customers.Customer? New, Ticket Ticket, TicketSla Sla) Next()
    {
        var random = _random;
        var at = now - History + (History * ((_tickets + random.NextDouble() * 0.9) / planned));
        if (at > now) at = now;
        Loopdesk.Core.Customers.Customer? created = null;
        KnownCustomer customer;
        if (workload.KnownCount == 0 || random.Next(5) == 0)
        {
            var (name, email, phone) = workload.NewPerson(random, workload.NextCustomerNumber());
            created = workload.CreateCustomer(name, email, phone, at);
            customer = new KnownCustomer(created.Id, created.OrganizationId, name, email);
            workload.Remember(customer);
        }
        else
        {
            customer = workload.PickKnown(random);
        }
        string reference;
        do reference = TicketReference.New();
        while (!_references.Add(reference));

        var teamIndex = Workload.PickTeam(random);
        var channel = random.Next(100) == 0 ? Channel.Internal : Workload.PickChannel(random);
        Guid? followUpOf = _tickets > _recent.Length && random.Next(100) < 3 ? _recent[random.Next(_recent.Length)] : null;
        var ticket = Ticket.Open(
            new NewTicket(reference, workload.Corpus.Subject(random), channel, customer.Id, customer.OrganizationId, Workload.PickType(random),
                Workload.PickPriority(random), Workload.Tags(random), workload.World.Teams[teamIndex], FollowUpOfId: followUpOf),
            Actor.System, at, at);
        _recent[_tickets % _recent.Length] = ticket.Id;
        _tickets++;

        var status = TargetStatus(now - at, random);
        var agents = workload.World.AgentsByTeam[teamIndex];
        var owned = status switch
        {
            TicketStatus.New => random.Next(5) < 2,
            TicketStatus.Open => random.Next(100) >= 3,
            _ => true,
        };
        var t = Later(at, TimeSpan.FromMinutes(random.Next(2, 360)));
        var agent = agents[random.Next(agents.Count)];
        if (owned) Apply(ticket, new TicketChange { AssigneeId = agent }, Actor.Agent(agent), t);
        DateTimeOffset? replied = null;
        if (status != TicketStatus.New)
        {
            t = Later(t, TimeSpan.FromMinutes(random.Next(5, 600)));
            replied = t;
            Apply(ticket, new TicketChange { Status = TicketStatus.Open }, Actor.Agent(agent), t);
            t = Later(t, TimeSpan.FromMinutes(random.Next(10, 3 * 24 * 60)));
            switch (status)
            {
                case TicketStatus.Pending or TicketStatus.OnHold or TicketStatus.Solved:
                    Apply(ticket, new TicketChange { Status = status }, Actor.Agent(agent), t);
                    break;
                case TicketStatus.Closed:
                    Apply(ticket, new TicketChange { Status = TicketStatus.Solved }, Actor.Agent(agent), t);
                    Apply(ticket, new TicketChange { Status = TicketStatus.Closed }, Actor.System, Later(t, TimeSpan.FromDays(3)));
                    break;
                default:
                    break;
            }
        }
        if (ticket.Status != status) throw new InvalidOperationException($"seeded ticket ended {ticket.Status}, meant {status}");
        return (created, ticket, Sla(ticket, at, replied, t, random));
    }

    /// <summary>The clocks the SLA tracker would hold for the ticket now (around the clock, no business calendar).</summary>
    private TicketSla Sla(Ticket ticket, DateTimeOffset at, DateTimeOffset? replied, DateTimeOffset lastChange, Random random)
    {
        var sla = new TicketSla(ticket.Id, policyId) { UpdatedAt = lastChange };
        var running = ticket.Status is TicketStatus.New or TicketStatus.Open;
        var paused = ticket.Status is TicketStatus.Pending or TicketStatus.OnHold;
        var end = running ? now : lastChange;
        SlaClock Clock(SlaMetric metric, TimeSpan target, DateTimeOffset since, DateTimeOffset? stoppedAt)
        {
            var used = (stoppedAt ?? end) - since;
            var clock = new SlaClock(metric, target, stoppedAt is null && running ? TimeSpan.Zero : used, stoppedAt is null && running ? since : null, stoppedAt);
            return used > target ? clock with { BreachedAt = since + target } : clock;
        }
        sla.Put(Clock(SlaMetric.FirstReply, FirstReply, at, replied ?? (running || paused ? null : lastChange)));
        sla.Put(Clock(SlaMetric.Resolution, Resolution, at, running || paused ? null : lastChange));
        // one open ticket in four waits on the agent's answer to the customer's latest message
        if (ticket.Status == TicketStatus.Open && random.Next(4) == 0)
        {
            var since = Later(lastChange, TimeSpan.FromMinutes(random.Next(1, 24 * 60)));
            sla.Put(Clock(SlaMetric.NextReply, NextReply, since, null));
        }
        if (running)
        {
            sla.FirstReplyDueAt = Due(sla.Clock(SlaMetric.FirstReply));
            sla.NextReplyDueAt = Due(sla.Clock(SlaMetric.NextReply));
            sla.ResolutionDueAt = Due(sla.Clock(SlaMetric.Resolution));
        }
        return sla;

        static DateTimeOffset? Due(SlaClock? c) => c is { RunningSince: { } since } ? since + (c.Target - c.Used) : null;
    }

    private static void Apply(Ticket ticket, TicketChange change, Actor actor, DateTimeOffset at)
    {
        var verdict = ticket.Apply(change, actor, at);
        if (!verdict.IsOk) throw new InvalidOperationException(verdict.Message);
    }

    private DateTimeOffset Later(DateTimeOffset t, TimeSpan by) => t + by > now ? now : t + by;

    /// <summary>As the main seeder: old tickets are mostly closed; recent ones are still being worked on.</summary>
    private static TicketStatus TargetStatus(TimeSpan age, Random random)
    {
        var u = random.Next(100);
        if (age.TotalDays > 30)
        {
            return u switch { < 88 => TicketStatus.Closed, < 94 => TicketStatus.Solved, < 97 => TicketStatus.Open, < 99 => TicketStatus.Pending, _ => TicketStatus.OnHold };
        }
        if (age.TotalDays > 7)
        {
            return u switch { < 40 => TicketStatus.Closed, < 70 => TicketStatus.Solved, < 82 => TicketStatus.Open, < 92 => TicketStatus.Pending, < 97 => TicketStatus.OnHold, _ => TicketStatus.New };
        }
        return u switch { < 2 => TicketStatus.Closed, < 22 => TicketStatus.Solved, < 57 => TicketStatus.Open, < 77 => TicketStatus.Pending, < 85 => TicketStatus.OnHold, _ => TicketStatus.New };
    }
}
