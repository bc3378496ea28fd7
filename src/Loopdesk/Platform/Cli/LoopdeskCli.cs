using System.CommandLine;
using System.Globalization;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;

namespace Loopdesk.Platform.Cli;

/// <summary>
/// Command-line verbs. With no verb, or with host options only (<c>--urls …</c>), the server runs. Every verb builds the
/// same host as the server, so it reads the same configuration (appsettings.json, environment variables).
/// </summary>
public static class LoopdeskCli
{
    /// <summary>Exit code when a setting stops the start (EX_CONFIG in sysexits.h).</summary>
    public const int ConfigurationError = 78;

    /// <summary>Exit code of <c>ingest</c> when the message could not be stored: the MTA keeps it and tries again later.</summary>
    private const int TryAgainLater = 75;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] == "serve" || (args[0].StartsWith('-') && args[0] is not ("--help" or "-h" or "-?" or "--version")))
        {
            var hostArgs = args.Length > 0 && args[0] == "serve" ? args[1..] : args;
            // the server's options go to the host unparsed, so help is looked for here: asked for, it is shown and nothing starts
            if (hostArgs.Any(a => a is "--help" or "-h" or "-?")) return await Root().Parse(["serve", "--help"]).InvokeAsync();
            return await ServeAsync(hostArgs);
        }
        return await Root().Parse(args).InvokeAsync();
    }

    private static Task<int> ServeAsync(string[] args) => ReportingBadSettingsAsync(async () =>
    {
        var app = LoopdeskHost.Build(args);
        await app.RunAsync();
        return 0;
    }, ConfigurationError);

    private static RootCommand Root()
    {
        var root = new RootCommand("Loopdesk: a self-hosted customer-service platform.");

        var serve = new Command("serve", "Run the server (the default). Host options such as --urls pass through.");
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction((parse, ct) => ServeAsync([.. parse.UnmatchedTokens]));
        root.Add(serve);

        var migrate = new Command("migrate", "Apply pending database migrations, then exit.");
        migrate.SetAction((_, ct) => WithHostAsync(async (services, ct2) =>
        {
            var count = await DatabaseMigrator.MigrateAsync(services.GetRequiredService<IServiceScopeFactory>(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger("migrate"), ct2);
            AnsiConsole.MarkupLine(count == 0 ? "[green]The database is up to date.[/]" : $"[green]Applied {count} migration(s).[/]");
            return 0;
        }, ct));
        root.Add(migrate);

        var admin = new Command("admin", "Manage administrators.");
        var adminCreate = new Command("create", "Create an administrator (asks for the password when --password is not given).");
        var email = new Option<string>("--email") { Description = "Sign-in email", Required = true };
        var name = new Option<string>("--name") { Description = "Display name", DefaultValueFactory = _ => "Administrator" };
        var password = new Option<string?>("--password") { Description = "Password (at least 10 characters); prompted when left out" };
        adminCreate.Add(email);
        adminCreate.Add(name);
        adminCreate.Add(password);
        adminCreate.SetAction(async (parse, ct) =>
        {
            var secret = parse.GetValue(password) ?? await ReadPasswordAsync(ct);
            if (string.IsNullOrEmpty(secret))
            {
                await Console.Error.WriteLineAsync("Not created: no password. Give --password, or the password as one line on standard input.");
                return 1;
            }
            return await WithHostAsync(async (services, ct2) =>
            {
                await using var scope = services.CreateAsyncScope();
                await DatabaseMigrator.MigrateAsync(services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("migrate"), ct2);
                var (agent, verdict) = await scope.ServiceProvider.GetRequiredService<AgentAccounts>()
                    .CreateAsync(parse.GetValue(name)!, parse.GetValue(email)!, AgentRole.Admin, secret, ct2);
                if (agent is null)
                {
                    AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]Not created:[/] {verdict.Message}");
                    return 1;
                }
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[green]Created admin[/] {agent.Email} ({agent.Id})");
                return 0;
            }, ct);
        });
        admin.Add(adminCreate);
        root.Add(admin);

        var token = new Command("token", "Manage API tokens.");
        var tokenCreate = new Command("create", "Make an API token for a staff member and print it (it is shown only once).");
        var tokenEmail = new Option<string>("--email") { Description = "The staff member's email", Required = true };
        var tokenName = new Option<string>("--name") { Description = "What the token is for", DefaultValueFactory = _ => "cli" };
        var tokenDays = new Option<int?>("--expires-in-days") { Description = "Days until it expires (1 or more); never when left out" };
        tokenCreate.Add(tokenEmail);
        tokenCreate.Add(tokenName);
        tokenCreate.Add(tokenDays);
        tokenCreate.SetAction((parse, ct) => WithHostAsync(async (services, ct2) =>
        {
            var days = parse.GetValue(tokenDays);
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            // as in the API, a token's expiry is in the future: one already expired when made is no use to anyone
            if (days is < 1 || days > (DateTimeOffset.MaxValue - now).TotalDays)
            {
                await Console.Error.WriteLineAsync("Not created: --expires-in-days must be a whole number of days, 1 or more; leave it out for a token that does not expire.");
                return 1;
            }
            await DatabaseMigrator.MigrateAsync(services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("migrate"), ct2);
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            var address = parse.GetValue(tokenEmail)!.Trim().ToLowerInvariant();
            var agent = await db.Agents.FirstOrDefaultAsync(a => a.Email == address && a.Active, ct2);
            if (agent is null)
            {
                // on stderr: a script capturing the token from stdout must not take this for one
                await Console.Error.WriteLineAsync($"Not created: no active staff member with email {address}.");
                return 1;
            }
            var expires = days is null ? (DateTimeOffset?)null : now.AddDays(days.Value);
            var (_, secret) = await scope.ServiceProvider.GetRequiredService<AgentAccounts>().CreateTokenAsync(agent.Id, parse.GetValue(tokenName)!, expires, null, ct2);
            // the bare token on stdout, so scripts can capture it
            Console.Out.WriteLine(secret);
            return 0;
        }, ct));
        token.Add(tokenCreate);
        root.Add(token);

        var seed = new Command("seed-demo", "Fill the database with realistic demo data: teams, agents, about 50 customers and 300 tickets over three months.");
        var customers = new Option<int>("--customers") { Description = "How many customers", DefaultValueFactory = _ => 50 };
        var tickets = new Option<int>("--tickets") { Description = "How many tickets", DefaultValueFactory = _ => 300 };
        seed.Add(customers);
        seed.Add(tickets);
        seed.SetAction((parse, ct) => WithHostAsync(async (services, ct2) =>
        {
            await DatabaseMigrator.MigrateAsync(services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("migrate"), ct2);
            var summary = await DemoSeeder.SeedAsync(services, parse.GetValue(customers), parse.GetValue(tickets), ct2);
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[green]Seeded[/] {summary}");
            return 0;
        }, ct));
        root.Add(seed);

        var ingest = new Command("ingest", "Deliver one raw email read from stdin to a mailbox (for an MTA pipe). Prints the ticket reference. "
            + "Exit 0 once the message is stored, 67 when the mailbox is unknown, 75 (try again later) when it could not be stored.");
        var mailboxOption = new Option<string>("--mailbox") { Description = "The mailbox's name or address", Required = true };
        ingest.Add(mailboxOption);
        ingest.SetAction((parse, ct) => WithHostAsync(async (services, ct2) =>
        {
            const int unknownMailbox = 67;
            var name = parse.GetValue(mailboxOption)!;
            byte[] raw;
            using (var stdin = Console.OpenStandardInput())
            using (var buffer = new MemoryStream())
            {
                await stdin.CopyToAsync(buffer, ct2);
                raw = buffer.ToArray();
            }
            if (raw.Length == 0)
            {
                Console.Error.WriteLine("No message on stdin.");
                return 65;
            }
            Guid mailboxId;
            Email.MailOutcome? outcome = null;
            try
            {
                await DatabaseMigrator.MigrateAsync(services.GetRequiredService<IServiceScopeFactory>(), services.GetRequiredService<ILoggerFactory>().CreateLogger("migrate"), ct2);
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<Data.LoopdeskDb>();
                var address = Core.Customers.EmailAddress.Normalize(name, out _);
                var mailbox = await db.Mailboxes.AsNoTracking().Where(m => m.Name == name || m.Address == address).Select(m => (Guid?)m.Id).FirstOrDefaultAsync(ct2);
                if (mailbox is null)
                {
                    Console.Error.WriteLine($"No mailbox named {name}.");
                    return unknownMailbox;
                }
                mailboxId = mailbox.Value;
                var ingestion = services.GetRequiredService<Email.MailIngest>();
                var stored = await ingestion.StoreAsync(mailboxId, "cli", null, raw, processInline: true, ct2);
                try
                {
                    outcome = await ingestion.ProcessAsync(stored.Id, ct2);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // stored: the server processes it from the stored copy
                    Console.Error.WriteLine($"Stored as {stored.Id}; processing failed ({e.Message}) and will be tried again by the server.");
                    return 0;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"The message could not be stored: {e.Message}");
                return TryAgainLater;
            }
            Console.Out.WriteLine(outcome.Reference ?? Core.Common.Wire.Name(outcome.State));
            if (outcome.Note is { } note) Console.Error.WriteLine(note);
            return 0;
        }, ct, badSettings: TryAgainLater));
        root.Add(ingest);
        return root;
    }

    /// <summary>
    /// Builds the host without starting the web server, runs <paramref name="work"/>, and disposes it. A setting the host
    /// refuses ends the command with exit code <paramref name="badSettings"/>.
    /// </summary>
    private static Task<int> WithHostAsync(Func<IServiceProvider, CancellationToken, Task<int>> work, CancellationToken ct, int badSettings = ConfigurationError)
        => ReportingBadSettingsAsync(async () =>
        {
            var builder = LoopdeskHost.CreateBuilder([]);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Configuration["Serilog:MinimumLevel:Default"] = "Warning";
            await using var app = builder.Build();
            return await work(app.Services, ct);
        }, badSettings);

    /// <summary>
    /// Runs a command that builds a host, the server's or a verb's. A setting that stops the start is an operator's
    /// mistake, not a bug: its message, which names the setting, is all that is printed.
    /// </summary>
    private static async Task<int> ReportingBadSettingsAsync(Func<Task<int>> command, int exitCode)
    {
        try
        {
            return await command();
        }
        catch (ConfigurationException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return exitCode;
        }
    }

    /// <summary>
    /// The password for <c>admin create</c> without <c>--password</c>: one line of standard input when that is a pipe or
    /// a file (a script), else asked for at the terminal without echoing it. Null or empty when none was given.
    /// </summary>
    private static async Task<string?> ReadPasswordAsync(CancellationToken ct)
        => Console.IsInputRedirected
            ? await Console.In.ReadLineAsync(ct)
            : AnsiConsole.Prompt(new TextPrompt<string>("Password:").Secret());
}
