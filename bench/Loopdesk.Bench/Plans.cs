using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Loopdesk.Bench;

/// <summary>
/// The server's read queries (as EF Core and the search index write them), run straight against the database: their
/// plans and how long the database alone takes, so the time a request spends in the server can be told from the time it
/// spends in the database.
/// </summary>
internal static class Plans
{
    private const string TicketColumns = "\"t\".\"Id\", \"t\".\"Reference\", \"t\".\"Subject\", \"t\".\"Status\", \"t\".\"Type\", \"t\".\"Priority\", \"t\".\"Channel\", "
        + "\"t\".\"CustomerId\", \"t\".\"OrganizationId\", \"t\".\"TeamId\", \"t\".\"AssigneeId\", \"t\".\"Tags\", \"t\".\"CustomFields\", \"t\".\"DueAt\", \"t\".\"CreatedAt\", "
        + "\"t\".\"UpdatedAt\", \"t\".\"FirstRepliedAt\", \"t\".\"SolvedAt\", \"t\".\"ClosedAt\", \"t\".\"Version\"";

    public static async Task<string> DescribeAsync(Store store, Guid team, string reference, IReadOnlyList<string> words, CancellationToken ct)
    {
        var sqlite = store.Provider == Provider.Sqlite;
        var queries = new List<(string Name, string Sql, object[] Parameters)>
        {
            ("ticket by reference", $"SELECT {TicketColumns} FROM \"Tickets\" AS \"t\" WHERE \"t\".\"Reference\" = @p0 LIMIT 1", [reference]),
            ("team inbox, first page", $"SELECT {TicketColumns} FROM \"Tickets\" AS \"t\" WHERE \"t\".\"Status\" = @p0 AND \"t\".\"TeamId\" = @p1 "
                + "ORDER BY \"t\".\"CreatedAt\" DESC, \"t\".\"Reference\" DESC LIMIT @p2", ["Open", store.Rows.Id(team), 26]),
        };
        foreach (var word in words)
        {
            if (sqlite)
            {
                var match = $"\"{word}\"*";
                queries.Add(($"search tickets '{word}'", "SELECT ticket_id AS Value FROM ticket_fts WHERE ticket_fts MATCH @p0 ORDER BY rowid DESC LIMIT @p1", [match, 20]));
                queries.Add(($"search messages '{word}'", "SELECT ticket_id AS Value FROM message_fts WHERE message_fts MATCH @p0 ORDER BY rowid DESC LIMIT @p1", [match, 80]));
                queries.Add(($"search customers '{word}'", "SELECT customer_id AS Value FROM customer_fts WHERE customer_fts MATCH @p0 ORDER BY rank LIMIT @p1", [match, 20]));
            }
            else
            {
                var query = word + ":*";
                queries.Add(($"search tickets '{word}'", "SELECT \"Id\" AS \"Value\" FROM \"Tickets\" WHERE search @@ to_tsquery('simple', @p0) ORDER BY \"CreatedAt\" DESC LIMIT @p1", [query, 20]));
                queries.Add(($"search messages '{word}'", "SELECT \"TicketId\" AS \"Value\" FROM \"Messages\" WHERE search @@ to_tsquery('simple', @p0) ORDER BY \"RecordedAt\" DESC LIMIT @p1", [query, 80]));
                queries.Add(($"search customers '{word}'", "SELECT \"Id\" AS \"Value\" FROM \"Customers\" WHERE search @@ to_tsquery('simple', @p0) AND \"MergedIntoId\" IS NULL "
                    + "ORDER BY ts_rank(search, to_tsquery('simple', @p0)) DESC LIMIT @p1", [query, 20]));
            }
        }

        var text = new StringBuilder();
        await using var connection = await store.OpenAsync(ct);
        foreach (var (name, sql, parameters) in queries)
        {
            var millis = new List<double>();
            var rows = 0;
            for (var i = 0; i < 15; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                rows = 0;
                await using var command = Command(connection, sql, parameters);
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) rows++;
                if (i >= 3) millis.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
            millis.Sort();
            text.Append(CultureInfo.InvariantCulture, $"## {name}: {rows} rows, median {millis[millis.Count / 2]:0.00} ms, max {millis[^1]:0.00} ms in the database alone\n");
            await using (var explain = Command(connection, (sqlite ? "EXPLAIN QUERY PLAN " : "EXPLAIN (ANALYZE, BUFFERS) ") + sql, parameters))
            await using (var reader = await explain.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) text.Append("    ").Append(reader.GetValue(sqlite ? 3 : 0)).Append('\n');
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static DbCommand Command(DbConnection connection, string sql, object[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
            p.Value = parameters[i];
            command.Parameters.Add(p);
        }
        return command;
    }
}
