using System.Diagnostics;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform.Auth;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Loopdesk.Tests.Infrastructure;

namespace Loopdesk.Tests.Cli;

/// <summary>The verbs of the one binary, run as a separate process against a database of their own, as an operator runs them.</summary>
public abstract class CliTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract string Provider { get; }
    protected abstract string ConnectionString { get; }
    protected abstract LoopdeskDb OpenDb();

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    private readonly string _data = Directory.CreateTempSubdirectory("loopdesk-cli-data-").FullName;

    public virtual ValueTask DisposeAsync()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    private async Task<(int Code, string Out, string Err)> RunWithInputAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loopdesk.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["Loopdesk__Database__Provider"] = Provider;
        start.Environment["Loopdesk__Database__ConnectionString"] = ConnectionString;
        start.Environment["NO_COLOR"] = "1";
        start.Environment["Loopdesk__DataDirectory"] = _data;
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Migrate_admin_create_token_create_and_seed_demo_work_in_sequence()
    {
        var migrate = await RunAsync("migrate");
        Assert.True(migrate.Code == 0, migrate.Out + migrate.Err);
        var again = await RunAsync("migrate");
        Assert.Contains("up to date", again.Out, StringComparison.Ordinal);

        var admin = await RunAsync("admin", "create", "--email", "Boss@Example.com", "--name", "Bo Boss", "--password", "a-long-password");
        Assert.True(admin.Code == 0, admin.Out + admin.Err);
        var duplicate = await RunAsync("admin", "create", "--email", "boss@example.com", "--password", "a-long-password");
        Assert.Equal(1, duplicate.Code);
        var weak = await RunAsync("admin", "create", "--email", "weak@example.com", "--password", "short");
        Assert.Equal(1, weak.Code);

        var token = await RunAsync("token", "create", "--email", "boss@example.com", "--name", "deploy");
        Assert.True(token.Code == 0, token.Out + token.Err);
        var secret = token.Out.Trim();
        Assert.StartsWith(ApiToken.SecretPrefix, secret, StringComparison.Ordinal);
        var unknown = await RunAsync("token", "create", "--email", "nobody@example.com");
        Assert.Equal(1, unknown.Code);

        var seed = await RunAsync("seed-demo", "--customers", "12", "--tickets", "40");
        Assert.True(seed.Code == 0, seed.Out + seed.Err);

        await using var db = OpenDb();
        var boss = await db.Agents.SingleAsync(a => a.Email == "boss@example.com", Ct);
        Assert.Equal(AgentRole.Admin, boss.Role);
        Assert.True(await db.ApiTokens.AnyAsync(t => t.AgentId == boss.Id && t.Hash == ApiToken.HashOf(secret), Ct));
        Assert.False(await db.Agents.AnyAsync(a => a.Email == "weak@example.com", Ct));
        Assert.Equal(40, await db.Tickets.CountAsync(Ct));
        Assert.InRange(await db.Customers.CountAsync(Ct), 2, 12);
        Assert.True(await db.Tickets.Select(t => t.Channel).Distinct().CountAsync(Ct) >= 3);
        Assert.True(await db.Tickets.AnyAsync(t => t.Status == TicketStatus.Closed, Ct));
        var oldest = await db.Tickets.MinAsync(t => t.CreatedAt, Ct);
        Assert.True(TimeProvider.System.GetUtcNow() - oldest > TimeSpan.FromDays(30), "demo history spans months");

        // nothing in the demo happens after it was seeded
        var seeded = TimeProvider.System.GetUtcNow();
        var events = await db.TicketEvents.AsNoTracking().Select(e => new { e.Type, e.OccurredAt, e.RecordedAt }).ToListAsync(Ct);
        Assert.DoesNotContain(events, e => e.OccurredAt > seeded || e.RecordedAt > seeded);
        Assert.DoesNotContain(await db.Messages.AsNoTracking().Select(m => m.OccurredAt).ToListAsync(Ct), at => at > seeded);
        // and its tickets carry SLA clocks, some of them still running
        Assert.Equal(["Standard", "Urgent and high"], await db.SlaPolicies.Select(p => p.Name).OrderBy(n => n).ToListAsync(Ct));
        Assert.Equal(40, await db.TicketSlas.CountAsync(Ct));
        var working = await db.Tickets.Where(t => t.Status == TicketStatus.New || t.Status == TicketStatus.Open).Select(t => t.Id).ToListAsync(Ct);
        var running = await db.TicketSlas.Where(s => s.ResolutionDueAt != null).Select(s => s.TicketId).ToListAsync(Ct);
        Assert.All(working, id => Assert.Contains(id, running));
    }

    [Fact]
    public async Task Ingest_reads_one_message_from_stdin_into_a_ticket_and_a_repeat_lands_on_the_same_ticket()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        await using (var db = OpenDb())
        {
            db.Mailboxes.Add(new global::Loopdesk.Email.Mailbox("Support", "support@shop.example", TimeProvider.System.GetUtcNow()));
            await db.SaveChangesAsync(Ct);
        }
        var raw = Email.EmailKit.Mail("\"Pia Holm\" <pia@example.org>", "Piped in", "Delivered by the MTA.");

        var first = await RunWithInputAsync(raw, "ingest", "--mailbox", "Support");
        var again = await RunWithInputAsync(raw, "ingest", "--mailbox", "support@shop.example");
        var unknown = await RunWithInputAsync(raw, "ingest", "--mailbox", "nobody");
        var empty = await RunWithInputAsync("", "ingest", "--mailbox", "Support");

        Assert.True(first.Code == 0, first.Out + first.Err);
        var reference = first.Out.Trim();
        Assert.NotNull(TicketReference.Parse(reference));
        Assert.Equal(0, again.Code);
        Assert.Equal(reference, again.Out.Trim());
        Assert.Equal(67, unknown.Code);
        Assert.NotEqual(0, empty.Code);
        await using var check = OpenDb();
        var ticket = await check.Tickets.Include(t => t.Messages).SingleAsync(t => t.Reference == reference, Ct);
        Assert.Single(ticket.Messages, m => m.Direction == MessageDirection.Inbound && m.Text.Contains("Delivered by the MTA.", StringComparison.Ordinal));
        Assert.Equal(2, await check.InboundMails.CountAsync(Ct));
    }

    [Fact]
    public async Task Help_lists_the_verbs_and_an_unknown_verb_fails()
    {
        var help = await RunAsync("--help");
        Assert.Equal(0, help.Code);
        foreach (var verb in new[] { "serve", "migrate", "admin", "token", "seed-demo", "ingest" }) Assert.Contains(verb, help.Out, StringComparison.Ordinal);
        var bad = await RunAsync("frobnicate");
        Assert.NotEqual(0, bad.Code);
    }
}

public sealed class CliOnSqlite : CliTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("loopdesk-cli-").FullName;

    protected override string Provider => "sqlite";
    protected override string ConnectionString => $"Data Source={Path.Combine(_directory, "loopdesk.db")}";

    protected override LoopdeskDb OpenDb()
        => new SqliteLoopdeskDb(new DbContextOptionsBuilder<SqliteLoopdeskDb>().UseSqlite(ConnectionString).Options);

    public override async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        await base.DisposeAsync();
    }
}

public sealed class CliOnPostgres : CliTests
{
    private readonly string _database = TestPostgres.NewDatabaseName("cli");

    protected override string Provider => "postgres";
    protected override string ConnectionString => TestPostgres.ConnectionStringFor(_database);

    protected override LoopdeskDb OpenDb()
        => new PostgresLoopdeskDb(new DbContextOptionsBuilder<PostgresLoopdeskDb>().UseNpgsql(ConnectionString).Options);

    public override async ValueTask InitializeAsync() => await TestPostgres.CreateAsync(_database);

    public override async ValueTask DisposeAsync()
    {
        await TestPostgres.DropAsync(_database);
        await base.DisposeAsync();
    }
}
