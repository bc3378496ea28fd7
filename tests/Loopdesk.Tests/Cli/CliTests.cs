using System.Diagnostics;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform.Auth;
using Loopdesk.Platform.Cli;
using Microsoft.AspNetCore.Identity;
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

    private Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => RunWithAsync(null, null, args);

    private Task<(int Code, string Out, string Err)> RunWithInputAsync(string? stdin, params string[] args) => RunWithAsync(stdin, null, args);

    /// <summary>Runs a verb; <paramref name="environment"/> is set on top of the test database's settings, a null value unsets one.</summary>
    private async Task<(int Code, string Out, string Err)> RunWithAsync(string? stdin, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loopdesk.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["Loopdesk__Database__Provider"] = Provider;
        start.Environment["Loopdesk__Database__ConnectionString"] = ConnectionString;
        start.Environment["NO_COLOR"] = "1";
        start.Environment["Loopdesk__DataDirectory"] = _data;
        // a server started by mistake takes a free port, not the default one
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.WriteAsync(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // the verb ended without reading its input (it was refused before)
            }
        }
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        // a verb that should end but runs on (the server, started by mistake) fails its test instead of hanging it
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        patience.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"loopdesk {string.Join(' ', args)} was still running after three minutes:\n{await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>What a verb printed to standard error, when that must be one message and no stack trace.</summary>
    private static string OneLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, stderr);
        return lines[0];
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
        // a script reading the token from stdout gets nothing, and the reason goes to stderr
        Assert.Equal(("", true), (unknown.Out.Trim(), unknown.Err.Contains("nobody@example.com", StringComparison.Ordinal)));

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
    public async Task Admin_create_reads_the_password_from_standard_input_when_it_is_piped()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);

        var piped = await RunWithInputAsync("Prompted-pass-1\n", "admin", "create", "--email", "piped@example.com");
        var emptyLine = await RunWithInputAsync("\n", "admin", "create", "--email", "empty@example.com");
        var nothing = await RunWithInputAsync("", "admin", "create", "--email", "nothing@example.com");

        Assert.True(piped.Code == 0, piped.Out + piped.Err);
        Assert.Contains("Created admin piped@example.com", piped.Out, StringComparison.Ordinal);
        foreach (var refused in new[] { emptyLine, nothing })
        {
            Assert.Equal(1, refused.Code);
            Assert.Contains("no password", OneLine(refused.Err), StringComparison.Ordinal);
        }
        await using var db = OpenDb();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "piped@example.com", Ct);
        Assert.Equal(PasswordVerificationResult.Success, new PasswordHasher<StaffUser>().VerifyHashedPassword(user, user.PasswordHash!, "Prompted-pass-1"));
        Assert.False(await db.Agents.AnyAsync(a => a.Email == "empty@example.com" || a.Email == "nothing@example.com", Ct));
    }

    [Fact]
    public async Task Token_create_refuses_an_expiry_that_is_not_in_the_future()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        Assert.Equal(0, (await RunAsync("admin", "create", "--email", "boss@example.com", "--password", "a-long-password")).Code);

        foreach (var days in new[] { "-5", "0" })
        {
            var refused = await RunAsync("token", "create", "--email", "boss@example.com", "--expires-in-days", days);
            Assert.Equal(1, refused.Code);
            Assert.Equal("", refused.Out);
            Assert.Contains("--expires-in-days must be", OneLine(refused.Err), StringComparison.Ordinal);
        }
        var month = await RunAsync("token", "create", "--email", "boss@example.com", "--expires-in-days", "30");
        Assert.True(month.Code == 0, month.Out + month.Err);

        await using var db = OpenDb();
        var expires = Assert.Single(await db.ApiTokens.Select(t => t.ExpiresAt).ToListAsync(Ct));
        Assert.InRange(expires!.Value - TimeProvider.System.GetUtcNow(), TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));
    }

    [Fact]
    public async Task A_bad_setting_stops_every_verb_with_its_message_alone()
    {
        var mysql = new Dictionary<string, string?> { ["Loopdesk__Database__Provider"] = "mysql" };
        foreach (var verb in new[] { new[] { "migrate" }, ["serve"], [], ["admin", "create", "--email", "a@example.com", "--password", "a-long-password"] })
        {
            var stopped = await RunWithAsync(null, mysql, verb);
            Assert.True(stopped.Code == LoopdeskCli.ConfigurationError, $"{string.Join(' ', verb)}: {stopped.Code} {stopped.Out}{stopped.Err}");
            Assert.Equal("Loopdesk:Database:Provider is \"mysql\"; use \"sqlite\" or \"postgres\".", OneLine(stopped.Err));
            Assert.Equal("", stopped.Out);
        }

        var noConnection = await RunWithAsync(null, new Dictionary<string, string?> { ["Loopdesk__Database__Provider"] = "postgres", ["Loopdesk__Database__ConnectionString"] = null }, "migrate");
        Assert.Equal(LoopdeskCli.ConfigurationError, noConnection.Code);
        Assert.Contains("Loopdesk:Database:ConnectionString is required", OneLine(noConnection.Err), StringComparison.Ordinal);

        var notANumber = await RunWithAsync(null, new Dictionary<string, string?> { ["Loopdesk__Api__RequestsPerSecond"] = "many" }, "migrate");
        Assert.Equal(LoopdeskCli.ConfigurationError, notANumber.Code);
        Assert.Contains("Loopdesk:Api:RequestsPerSecond", OneLine(notANumber.Err), StringComparison.Ordinal);

        // ingest answers the MTA "try again later", so the message waits in its queue until the setting is fixed
        var ingest = await RunWithAsync("From: a@example.com\r\n\r\nHi", mysql, "ingest", "--mailbox", "Support");
        Assert.Equal(75, ingest.Code);
        Assert.Contains("Loopdesk:Database:Provider", OneLine(ingest.Err), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_first_admin_setting_stops_the_start_before_anything_is_written()
    {
        Assert.Equal(0, (await RunAsync("migrate")).Code);
        var good = new Dictionary<string, string?>
        {
            [AdminBootstrap.EmailVariable] = "first@example.com",
            [AdminBootstrap.PasswordVariable] = "first-password-1",
            [AdminBootstrap.TokenVariable] = "ldk_first_admin_token_0123456789",
        };
        foreach (var (variable, value, rule) in new[]
        {
            (AdminBootstrap.TokenVariable, "short", "must be at least 24 characters"),
            (AdminBootstrap.PasswordVariable, "short", "must be at least 10 characters"),
            (AdminBootstrap.EmailVariable, "first.example.com", "is not an email address"),
        })
        {
            var stopped = await RunWithAsync(null, new Dictionary<string, string?>(good) { [variable] = value }, "serve");
            Assert.True(stopped.Code == LoopdeskCli.ConfigurationError, $"{variable}: {stopped.Code} {stopped.Out}{stopped.Err}");
            Assert.StartsWith($"{variable} {rule}", OneLine(stopped.Err), StringComparison.Ordinal);
            Assert.Equal("", stopped.Out);
        }

        await using var db = OpenDb();
        Assert.False(await db.Agents.AnyAsync(Ct));
        Assert.False(await db.ApiTokens.AnyAsync(Ct));
    }

    [Fact]
    public async Task Serve_help_prints_the_help_and_starts_nothing()
    {
        foreach (var args in new[] { new[] { "serve", "--help" }, ["serve", "-h"], ["serve", "-?"], ["--urls", "http://127.0.0.1:0", "--help"] })
        {
            var help = await RunAsync(args);
            Assert.True(help.Code == 0, $"{string.Join(' ', args)}: {help.Code} {help.Out}{help.Err}");
            Assert.Contains("loopdesk serve [options]", help.Out, StringComparison.Ordinal);
            Assert.Contains("Run the server", help.Out, StringComparison.Ordinal);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data));
        await using var db = OpenDb();
        Assert.Empty(await db.Database.GetAppliedMigrationsAsync(Ct));
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
