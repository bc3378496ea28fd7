using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Platform.Auth;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tests.Jobs;

/// <summary>
/// The real <c>loopdesk serve</c>, in a process of its own and on real time, killed with SIGKILL while work is pending:
/// the work is in the database, and the next start does it. A job the dead process was in the middle of is taken again
/// once its lease runs out.
/// </summary>
public abstract class RestartTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly List<Server> _servers = [];

    protected abstract IReadOnlyDictionary<string, string> DatabaseSettings { get; }

    protected abstract LoopdeskDb OpenDb();

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        foreach (var server in _servers) server.Kill();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Pending_timers_and_webhook_calls_survive_a_kill_and_run_after_the_restart()
    {
        var downPort = WebhookListener.FreePort();
        await using var hanging = await WebhookListener.StartAsync();
        hanging.Hold = true;

        var first = await StartAsync();
        using var api = first.Client();
        var down = await WebhookRuleAsync(api, "Tell the shop", $"http://127.0.0.1:{downPort}/hooks/down");
        var held = await WebhookRuleAsync(api, "Tell the warehouse", hanging.Url + "hooks/held");
        var ticket = await api.CreateTicketAsync("Restart me", Ct);
        var dueAt = TimeProvider.System.GetUtcNow().AddSeconds(10);
        var commitment = await (await api.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments",
            new { description = "Call back about the refund", dueAt }, Ct)).ReadAsync<CommitmentDto>(Ct);
        // the held call is in flight: the process has claimed that job when it dies
        await EventuallyAsync(() => Task.FromResult(hanging.Hits.Count > 0), TimeSpan.FromSeconds(15), first, "the held webhook call was never made");

        first.Kill();
        Assert.True(TimeProvider.System.GetUtcNow() < dueAt, "the process died before the commitment fell due");

        List<Job> pending;
        await using (var db = OpenDb())
        {
            pending = await db.Jobs.AsNoTracking().Where(j => j.TicketId == ticket.Id).ToListAsync(Ct);
            Assert.Null((await db.Commitments.AsNoTracking().SingleAsync(c => c.Id == commitment.Id, Ct)).OverdueAt);
        }
        var overdueTimer = Assert.Single(pending, j => j.Key == RuleContext.TimerKey("promises-kept", ticket.Id, $"overdue:{commitment.Id}"));
        Assert.Equal(JobState.Pending, overdueTimer.State);
        var webhooks = pending.Where(j => j.Kind == Outbound.WebhookKind).ToList();
        Assert.Equal(2, webhooks.Count);
        Assert.All(webhooks, j => Assert.Equal(JobState.Pending, j.State));
        var heldJob = Assert.Single(webhooks, j => j.Payload.Contains(held.ToString(), StringComparison.Ordinal));
        Assert.NotNull(heldJob.LockedBy);
        var downJob = Assert.Single(webhooks, j => j.Id != heldJob.Id);
        Assert.Equal(hanging.Hits.Count, hanging.Hits.Count(h => h.Delivery == heldJob.Id.ToString()));

        await using var listener = await WebhookListener.StartAsync(downPort);
        hanging.Hold = false;
        var heldBefore = hanging.Hits.Count;
        var second = await StartAsync();
        using var again = second.Client();

        await EventuallyAsync(async () =>
        {
            var notes = await again.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct);
            return notes.Any(n => n.Kind == "commitment.overdue" && n.TicketId == ticket.Id)
                && listener.Hits.Count > 0 && hanging.Hits.Count > heldBefore
                && (await again.GetJsonAsync<List<OutboxEntryDto>>($"/api/v1/outbox?kind={Outbound.WebhookKind}", Ct)).All(j => j.TicketId != ticket.Id);
        }, TimeSpan.FromSeconds(30), second, "the overdue notice and both webhook calls");

        var kept = Assert.Single(await again.GetJsonAsync<List<CommitmentDto>>($"/api/v1/tickets/{ticket.Reference}/commitments", Ct));
        Assert.NotNull(kept.OverdueAt);
        Assert.True(kept.OverdueAt >= dueAt.AddMilliseconds(-1), "not overdue before its time");
        var hit = Assert.Single(listener.Hits);
        Assert.Equal(downJob.Id.ToString(), hit.Delivery);
        Assert.Contains(down.ToString(), hit.Body, StringComparison.Ordinal);
        // the call the dead process never finished is made again, with the same delivery id for the far side to drop a repeat
        Assert.All(hanging.Hits, h => Assert.Equal(heldJob.Id.ToString(), h.Delivery));
        Assert.DoesNotContain(await again.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox", Ct), j => j.Id == overdueTimer.Id);
    }

    private async Task<Server> StartAsync()
    {
        var server = Server.Start(DatabaseSettings);
        _servers.Add(server);
        await server.WaitUntilHealthyAsync();
        return server;
    }

    private static async Task<Guid> WebhookRuleAsync(HttpClient admin, string name, string url)
    {
        var response = await admin.PostJsonAsync("/api/v1/rules", new
        {
            name,
            events = new[] { TicketEventTypes.Created },
            actions = new[] { new { type = "webhook", value = url } },
        }, Ct);
        return (await response.ReadAsync<RuleDto>(Ct)).Id;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> done, TimeSpan within, Server server, string what)
    {
        var until = Stopwatch.StartNew();
        while (!await done())
        {
            if (until.Elapsed > within) Assert.Fail($"Not within {within.TotalSeconds} s: {what}. The server said:\n{server.Output}");
            await Task.Delay(200, Ct);
        }
    }

    /// <summary>One <c>loopdesk serve</c> process.</summary>
    private sealed class Server
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        private Server(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public string Output => string.Join('\n', _output.TakeLast(60));

        public static Server Start(IReadOnlyDictionary<string, string> database)
        {
            var port = WebhookListener.FreePort();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loopdesk.dll"));
            start.ArgumentList.Add("serve");
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            foreach (var (name, value) in database) start.Environment[name] = value;
            start.Environment[AdminBootstrap.EmailVariable] = "admin@loopdesk.test";
            start.Environment[AdminBootstrap.PasswordVariable] = "admin-password-1";
            start.Environment[AdminBootstrap.TokenVariable] = LoopdeskApp.AdminToken;
            // look for due work often, and take over a dead process's work two seconds after it claimed it
            start.Environment["Loopdesk__Jobs__PollIntervalMilliseconds"] = "100";
            start.Environment["Loopdesk__Jobs__LeaseSeconds"] = "2";
            start.Environment["Loopdesk__Jobs__RetryDelaySeconds"] = "1";
            start.Environment["Loopdesk__Jobs__MaxRetryDelaySeconds"] = "2";
            start.Environment["Loopdesk__Jobs__MaxAttempts"] = "100";
            start.Environment["Loopdesk__Rules__AllowPrivateWebhooks"] = "true";
            start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
            start.Environment["NO_COLOR"] = "1";
            var process = Process.Start(start)!;
            var server = new Server(process, port);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return server;
        }

        public HttpClient Client()
        {
            var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LoopdeskApp.AdminToken);
            return client;
        }

        public async Task WaitUntilHealthyAsync()
        {
            using var client = Client();
            var until = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited) Assert.Fail($"loopdesk serve exited with {_process.ExitCode}:\n{Output}");
                try
                {
                    using var response = await client.GetAsync("/healthz", Ct);
                    if (response.StatusCode == HttpStatusCode.OK) return;
                }
                catch (HttpRequestException)
                {
                    // not listening yet
                }
                if (until.Elapsed > TimeSpan.FromSeconds(60)) Assert.Fail($"loopdesk serve did not become healthy:\n{Output}");
                await Task.Delay(100, Ct);
            }
        }

        /// <summary>SIGKILL: no shutdown, no flushing, no goodbye.</summary>
        public void Kill()
        {
            if (_process.HasExited) return;
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }
}

public sealed class RestartOnSqlite : RestartTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("loopdesk-restart-").FullName;

    protected override IReadOnlyDictionary<string, string> DatabaseSettings => new Dictionary<string, string>
    {
        ["Loopdesk__Database__Provider"] = "sqlite",
        ["Loopdesk__DataDirectory"] = _directory,
    };

    protected override LoopdeskDb OpenDb()
        => new SqliteLoopdeskDb(new DbContextOptionsBuilder<SqliteLoopdeskDb>().UseSqlite($"Data Source={Path.Combine(_directory, "loopdesk.db")}").Options);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

public sealed class RestartOnPostgres : RestartTests
{
    private readonly string _database = TestPostgres.NewDatabaseName("restart");

    protected override IReadOnlyDictionary<string, string> DatabaseSettings => new Dictionary<string, string>
    {
        ["Loopdesk__Database__Provider"] = "postgres",
        ["Loopdesk__Database__ConnectionString"] = TestPostgres.ConnectionStringFor(_database),
    };

    protected override LoopdeskDb OpenDb()
        => new PostgresLoopdeskDb(new DbContextOptionsBuilder<PostgresLoopdeskDb>().UseNpgsql(TestPostgres.ConnectionStringFor(_database)).Options);

    public override async ValueTask InitializeAsync() => await TestPostgres.CreateAsync(_database);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await TestPostgres.DropAsync(_database);
    }
}
