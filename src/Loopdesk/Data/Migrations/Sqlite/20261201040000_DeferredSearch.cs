using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Sqlite;

/// <summary>
/// New tickets, messages and customers are indexed for search in batches instead of one by one. An insert only notes
/// the row in <c>search_pending</c>; <see cref="global::Loopdesk.Search.SqliteSearchIndex.IndexPendingAsync"/> (run about once a second,
/// and before every search, so a search always sees what was written before it) adds the noted rows to the map tables,
/// whose own triggers fill the FTS5 tables. FTS5 writes a new segment for every transaction that touches it, so
/// indexing a thousand rows in one transaction writes a small part of what a thousand transactions did. Updates and
/// deletes still reach the index at once through the triggers of the Search migration; a row changed before it was
/// indexed is indexed as it is then, and a row deleted before it was indexed is skipped.
/// </summary>
[DbContext(typeof(SqliteLoopdeskDb))]
[Migration("20261201040000_DeferredSearch")]
public partial class DeferredSearch : Migration
{
    private static readonly (string Fts, string Table, string Kind, string Key, string Columns, string Values)[] Indexes =
    [
        ("ticket_fts", "Tickets", "t", "ticket_id", "rowid, body, ticket_id", "new.rowid, \"Subject\", \"Id\""),
        ("message_fts", "Messages", "m", "message_id", "rowid, body, message_id, ticket_id", "new.rowid, \"Text\", \"Id\", \"TicketId\""),
        ("customer_fts", "Customers", "c", "customer_id", "rowid, body, customer_id", "new.rowid, \"Name\" || ' ' || coalesce(\"PreferredName\", ''), \"Id\""),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("CREATE TABLE search_pending (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL);");
        foreach (var (fts, table, kind, key, columns, values) in Indexes)
        {
            migrationBuilder.Sql($"DROP TRIGGER {fts}_insert;");
            migrationBuilder.Sql($"""
                CREATE TRIGGER {fts}_insert AFTER INSERT ON "{table}" BEGIN
                  INSERT INTO search_pending (kind, id) VALUES ('{kind}', new."Id");
                END;
                """);
            migrationBuilder.Sql($"""
                CREATE TRIGGER {fts}_index AFTER INSERT ON {fts}_rows BEGIN
                  INSERT INTO {fts} ({columns}) SELECT {values} FROM "{table}" WHERE "Id" = new.{key};
                END;
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DELETE FROM search_pending;");
        foreach (var (fts, table, _, key, columns, _) in Indexes)
        {
            // what is still waiting is indexed first, so going back loses nothing
            migrationBuilder.Sql($"INSERT OR IGNORE INTO {fts}_rows ({key}) SELECT \"Id\" FROM \"{table}\" WHERE \"Id\" NOT IN (SELECT {key} FROM {fts}_rows) ORDER BY rowid;");
            migrationBuilder.Sql($"DROP TRIGGER {fts}_index;");
            migrationBuilder.Sql($"DROP TRIGGER {fts}_insert;");
            migrationBuilder.Sql($"""
                CREATE TRIGGER {fts}_insert AFTER INSERT ON "{table}" BEGIN
                  INSERT INTO {fts}_rows ({key}) VALUES (new."Id");
                  INSERT INTO {fts} ({columns}) VALUES (last_insert_rowid(), {DownValues(fts)});
                END;
                """);
        }
        migrationBuilder.Sql("DROP TABLE search_pending;");
    }

    private static string DownValues(string fts) => fts switch
    {
        "ticket_fts" => "new.\"Subject\", new.\"Id\"",
        "message_fts" => "new.\"Text\", new.\"Id\", new.\"TicketId\"",
        _ => "new.\"Name\" || ' ' || coalesce(new.\"PreferredName\", ''), new.\"Id\"",
    };
}
