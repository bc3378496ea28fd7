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
    public string Out { get; private set; } = "bench/results/result.json";
    public List<string> Inputs { get; } = [];

    public long TicketCount => Tickets ?? (Quick ? 20_000 : 1_000_000);

    public static Options Parse(string[] args)
    {
        var o = new Options();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-')) o.Command = args[i++];
        string Value(string name) => i < args.Length ? args[i++] : throw new ArgumentException($"{name} needs a value");
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
                case "--out": o.Out = Value(name); break;
                case "--in": o.Inputs.Add(Value(name)); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Command is "run" or "idle" && (o.Url is null || o.Token is null)) throw new ArgumentException("--url and --token are required");
        if (o.Command == "run" && o.Database is null) throw new ArgumentException("--db (the server's connection string) is required");
        return o;
    }

    public static int Usage(string problem)
    {
        Console.Error.WriteLine($"""
            {problem}

            Loopdesk load harness. scripts/bench runs it; by hand:
              run    --provider sqlite|postgres --url http://127.0.0.1:PORT --token TOKEN --db CONNECTION-STRING
                     [--server-pid PID] [--db-pid POSTMASTER-PID] [--tickets N] [--quick] [--seed-only] [--out FILE.json]
                     seeds the server's database to N tickets (default 1,000,000; 20,000 with --quick) and measures
                     writes, reads, search and memory (--seed-only: stops after seeding)
              idle   --url … --token … --server-pid PID [--quick] --out FILE.json
                     the server's memory after a few requests and a pause (restart the server first); adds to FILE.json
              report --in sqlite.json --in postgres.json [--out FILE.md]
                     the markdown tables
            """);
        return 2;
    }
}
