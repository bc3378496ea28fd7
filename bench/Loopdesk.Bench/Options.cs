using System.Globalization;

namespace Loopdesk.Bench;

/// <summary>Command-line options of the harness.</summary>
internal sealed class Options
{
    public string Command { get; private set; } = "run";
    public Provider Provider { get; private set; } = Provider.Sqlite;
    public Uri? Url { get; private set; }
    public string? Token { get; private set; }
    public string? Database { get; private set; }
    public int? ServerPid { get; private set; }
    public int? DatabasePid { get; private set; }
    public long? Tickets { get; private set; }
    public bool Quick { get; private set; }
    public bool SeedOnly { get; private set; }
    /// <summary>The measured window of each write level (and the unmeasured warm-up before them), in seconds.</summary>
    public int? WriteSeconds { get; private set; }
    public string Out { get; private set; } = "bench/results/result.json";
    public List<string> Inputs { get; } = [];

    // the rules scenarios (command "rules")
    public string? ServerDll { get; private set; }
    public string? DataDirectory { get; private set; }
    public HashSet<string> Scenarios { get; } = new(StringComparer.Ordinal);
    public long? Timers { get; private set; }
    public int? WindowSeconds { get; private set; }
    public int? OutboxJobs { get; private set; }
    public int? JobsBatch { get; private set; }
    public int? JobsConcurrency { get; private set; }
    public int ReceiverDelayMilliseconds { get; private set; } = 20;

    // the email scenarios (command "email")
    public int? ImapPort { get; private set; }
    public string? DovecotDirectory { get; private set; }
    public int? SmtpPort { get; private set; }
    /// <summary>The SMTP sink's and Dovecot's master process, whose CPU is counted apart from the rest of the machine.</summary>
    public int? SmtpPid { get; private set; }
    public int? ImapPid { get; private set; }
    public string? SmtpDirectory { get; private set; }
    public int? Messages { get; private set; }
    public int? DrainMessages { get; private set; }

    // the live chat (command "chat")
    public int? ChatVisitors { get; private set; }
    public int? ChatRate { get; private set; }

    public long TicketCount => Tickets ?? (Quick ? 20_000 : 1_000_000);

    public static readonly string[] RuleScenarios = ["triggers", "timers", "outbox"];

    public static readonly string[] EmailScenarios = ["ingest", "drain"];

    /// <summary>Messages posted 8 at a time in the measured ingest phase.</summary>
    public int IngestMessages => Messages ?? (Quick ? 2_000 : 20_000);

    /// <summary>Messages in the IMAP mailbox drained.</summary>
    public int DrainCount => DrainMessages ?? (Quick ? 2_000 : 10_000);

    public bool Runs(string scenario) => Scenarios.Count == 0 || Scenarios.Contains(scenario);

    public long TimerCount => Timers ?? (Quick ? 100_000 : 1_000_000);

    public int TimerWindowSeconds => WindowSeconds ?? (Quick ? 120 : 600);

    public int OutboxJobCount => OutboxJobs ?? (Quick ? 20_000 : 200_000);

    public static Options Parse(string[] args)
    {
        var o = new Options();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-')) o.Command = args[i++];
        string Value(string name) => i < args.Length ? args[i++] : throw new ArgumentException($"{name} needs a value");
        long Number(string name, long min)
            => long.TryParse(Value(name).Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                ? n
                : throw new ArgumentException($"{name} takes a number of at least {min}");
        int? Pid(string name)
            => int.TryParse(Value(name), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : throw new ArgumentException($"{name} takes a process id");
        while (i < args.Length)
        {
            var name = args[i++];
            switch (name)
            {
                case "--provider":
                    o.Provider = Value(name).ToLowerInvariant() switch
                    {
                        "sqlite" => Provider.Sqlite,
                        "postgres" or "postgresql" => Provider.Postgres,
                        var other => throw new ArgumentException($"--provider is sqlite or postgres, not {other}"),
                    };
                    break;
                case "--url": o.Url = new Uri(Value(name)); break;
                case "--token": o.Token = Value(name); break;
                case "--db": o.Database = Value(name); break;
                case "--server-pid": o.ServerPid = Pid(name); break;
                case "--db-pid": o.DatabasePid = Pid(name); break;
                case "--tickets":
                    o.Tickets = long.TryParse(Value(name).Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1000
                        ? n
                        : throw new ArgumentException("--tickets takes a number of at least 1000");
                    break;
                case "--quick": o.Quick = true; break;
                case "--seed-only": o.SeedOnly = true; break;
                case "--write-seconds": o.WriteSeconds = (int)Number(name, 1); break;
                case "--out": o.Out = Value(name); break;
                case "--server-dll": o.ServerDll = Value(name); break;
                case "--data-dir": o.DataDirectory = Value(name); break;
                case "--only":
                    var known = o.Command == "email" ? EmailScenarios : RuleScenarios;
                    foreach (var scenario in Value(name).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!known.Contains(scenario)) throw new ArgumentException($"--only takes {string.Join(", ", known)}, not {scenario}");
                        o.Scenarios.Add(scenario);
                    }
                    break;
                case "--timers": o.Timers = Number(name, 10_000); break;
                case "--window-seconds": o.WindowSeconds = (int)Number(name, 60); break;
                case "--outbox-jobs": o.OutboxJobs = (int)Number(name, 1_000); break;
                case "--jobs-batch": o.JobsBatch = (int)Number(name, 1); break;
                case "--jobs-concurrency": o.JobsConcurrency = (int)Number(name, 1); break;
                case "--receiver-delay-ms": o.ReceiverDelayMilliseconds = (int)Number(name, 1); break;
                case "--imap-port": o.ImapPort = (int)Number(name, 1); break;
                case "--dovecot-dir": o.DovecotDirectory = Value(name); break;
                case "--smtp-port": o.SmtpPort = (int)Number(name, 1); break;
                case "--smtp-pid": o.SmtpPid = Pid(name); break;
                case "--imap-pid": o.ImapPid = Pid(name); break;
                case "--smtp-dir": o.SmtpDirectory = Value(name); break;
                case "--messages": o.Messages = (int)Number(name, 100); break;
                case "--drain": o.DrainMessages = (int)Number(name, 100); break;
                case "--visitors": o.ChatVisitors = (int)Number(name, 100); break;
                case "--rate": o.ChatRate = (int)Number(name, 1); break;
                case "--in": o.Inputs.Add(Value(name)); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Command is "run" or "idle" or "workspace" && (o.Url is null || o.Token is null)) throw new ArgumentException("--url and --token are required");
        if (o.Command == "rules" && (o.ServerDll is null || o.DataDirectory is null || o.Token is null))
            throw new ArgumentException("--server-dll, --data-dir and --token are required");
        if (o.Command == "rules" && o.Provider == Provider.Postgres && o.Database is null) throw new ArgumentException("--db (a PostgreSQL connection string) is required");
        if (o.Command == "email" && (o.ServerDll is null || o.DataDirectory is null || o.Token is null || o.SmtpPort is null || o.SmtpDirectory is null))
            throw new ArgumentException("--server-dll, --data-dir, --token, --smtp-port and --smtp-dir are required");
        if (o.Command == "email" && o.Runs("drain") && (o.ImapPort is null || o.DovecotDirectory is null))
            throw new ArgumentException("--imap-port and --dovecot-dir are required for the drain");
        if (o.Command == "email" && o.Provider == Provider.Postgres && o.Database is null) throw new ArgumentException("--db (a PostgreSQL connection string) is required");
        if (o.Command is "run" or "workspace" && o.Database is null) throw new ArgumentException("--db (the server's connection string) is required");
        return o;
    }

    public static int Usage(string problem)
    {
        Console.Error.WriteLine($"""
            {problem}

            Loopdesk load harness. scripts/bench runs it; by hand:
              run    --provider sqlite|postgres --url http://127.0.0.1:PORT --token TOKEN --db CONNECTION-STRING
                     [--server-pid PID] [--db-pid POSTMASTER-PID] [--tickets N] [--quick] [--seed-only] [--write-seconds S] [--out FILE.json]
                     seeds the server's database to N tickets (default 1,000,000; 20,000 with --quick) and measures
                     writes, reads, search and memory (--seed-only: stops after seeding; --write-seconds: each write
                     level measured for S seconds, 15 by default, 4 with --quick, after an unmeasured warm-up as long)
              search --url … --token … --db CONNECTION-STRING [--provider …] [--quick]
                     the search measurement alone, over a database a run (e.g. with --seed-only) filled before
              idle   --url … --token … --server-pid PID [--quick] --out FILE.json
                     the server's memory after a few requests and a pause (restart the server first); adds to FILE.json
              report --in sqlite.json --in postgres.json [--out FILE.md]
                     the markdown tables
              rules  --provider sqlite|postgres --server-dll loopdesk.dll --data-dir DIR --token TOKEN [--db POSTGRES-CONNECTION-STRING]
                     [--db-pid POSTMASTER-PID] [--only triggers,timers,outbox] [--quick] [--timers N] [--window-seconds S]
                     [--outbox-jobs N] [--receiver-delay-ms MS] [--jobs-batch N] [--jobs-concurrency N] [--out FILE.json]
                     the service rules engine: starts the server itself (it kills and restarts it), each scenario on a new
                     database (SQLite under DIR; PostgreSQL: a database per scenario next to the one --db names); the outbox
                     runs as shipped against a consumer that answers at once, then against one that answers in MS (20)
                     milliseconds as shipped and with the runner settings given (batch 100, concurrency 64 by default)
              rules-report --in sqlite.json --in postgres.json [--out FILE.md]
                     the markdown table of the rules scenarios
              email  --provider sqlite|postgres --server-dll loopdesk.dll --data-dir DIR --token TOKEN [--db POSTGRES-CONNECTION-STRING]
                     [--db-pid POSTMASTER-PID] --smtp-port PORT --smtp-dir SINK-DIR [--smtp-pid PID] [--imap-port PORT --dovecot-dir DIR] [--imap-pid PID]
                     [--only ingest,drain] [--quick] [--messages N] [--drain N] [--out FILE.json]
                     the email channel: starts the server itself, each scenario on a new database; ingest posts N messages
                     (20,000; 2,000 with --quick) to /api/v1/inbound/mime 8 at a time (after a warm-up and a run one at a
                     time), acknowledgements go to the SMTP sink; drain loads N messages (10,000; 2,000) into a Dovecot
                     mailbox, then connects it and measures until all are processed
              email-report --in sqlite.json --in postgres.json [--out FILE.md]
                     the markdown table of the email scenarios
              workspace --provider sqlite|postgres --url http://127.0.0.1:PORT --token TOKEN --db CONNECTION-STRING
                     [--server-pid PID] [--db-pid POSTMASTER-PID] [--tickets N] [--quick] [--seed-only] [--out FILE.json]
                     the workspace's inbox pages: seeds N tickets with SLA rows (default 1,000,000; 20,000 with --quick;
                     an already seeded database is measured as it is), signs in an agent of two teams and times
                     GET /inbox/VIEW for every inbox and a saved view
              workspace-report --in sqlite.json --in postgres.json [--out FILE.md]
                     the markdown tables of the workspace pages
              chat   --url http://127.0.0.1:PORT --token ADMIN-TOKEN [--server-pid PID] [--visitors N] [--rate R] [--quick] [--out FILE.json]
                     the live chat: makes a team, a site and N/50 agents through the API, connects the agents to the agent
                     hub and N visitors (5,000; 500 with --quick) to the visitor hub over WebSockets, starts and accepts a
                     chat each, then sends R (200) messages a second over the chats for 30 s (10 s) and times each from
                     the visitor's Send to its agent's agent hub connection; reads the server's memory throughout
              chat-report --in chat.json [--out FILE.md]
                     the markdown table of the live chat
            """);
        return 2;
    }
}
