using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Sqlite;

/// <summary>
/// FTS5 indexes over ticket subjects, message texts and customer names, kept current by triggers. Each FTS row's rowid
/// comes from a small map table with an INTEGER PRIMARY KEY, so it is stable (VACUUM cannot renumber it) and grows with
/// inserts (ORDER BY rowid DESC is newest first).
/// </summary>
[DbContext(typeof(SqliteLoopdeskDb))]
[Migration("20261124120000_Search")]
public partial class Search : Migration
{
    private static readonly (string Fts, string Table, string Key, string Text, string Columns)[] Indexes =
    [
        ("ticket_fts", "Tickets", "ticket_id", "new.\"Subject\"", "\"Subject\""),
        ("message_fts", "Messages", "message_id", "new.\"Text\"", "\"Text\""),
        ("customer_fts", "Customers", "customer_id", "new.\"Name\" || ' ' || coalesce(new.\"PreferredName\", '')", "\"Name\", \"PreferredName\""),
    ];

    protected override void Up(MigrationBuilder migrationBuilder)
    {
        foreach (var (fts, table, key, text, columns) in Indexes)
        {
            // messages are found by ticket
            var extra = fts == "message_fts" ? ", ticket_id UNINDEXED" : "";
            var extraValue = fts == "message_fts" ? ", new.\"TicketId\"" : "";
            migrationBuilder.Sql($"CREATE TABLE {fts}_rows (rowid INTEGER PRIMARY KEY, {key} TEXT NOT NULL UNIQUE);");
            migrationBuilder.Sql($"CREATE VIRTUAL TABLE {fts} USING fts5(body, {key} UNINDEXED{extra}, tokenize = 'unicode61 remove_diacritics 2');");
            migrationBuilder.Sql($"""
                CREATE TRIGGER {fts}_insert AFTER INSERT ON "{table}" BEGIN
                  INSERT INTO {fts}_rows ({key}) VALUES (new."Id");
                  INSERT INTO {fts} (rowid, body, {key}{(extra.Length > 0 ? ", ticket_id" : "")}) VALUES (last_insert_rowid(), {text}, new."Id"{extraValue});
                END;
                """);
            migrationBuilder.Sql($"""
                CREATE TRIGGER {fts}_update AFTER UPDATE OF {columns} ON "{table}" BEGIN
                  UPDATE {fts} SET body = {text} WHERE rowid = (SELECT rowid FROM {fts}_rows WHERE {key} = old."Id");
                END;
                """);
            migrationBuilder.Sql($"""
                CREATE TRIGGER {fts}_delete AFTER DELETE ON "{table}" BEGIN
                  DELETE FROM {fts} WHERE rowid = (SELECT rowid FROM {fts}_rows WHERE {key} = old."Id");
                  DELETE FROM {fts}_rows WHERE {key} = old."Id";
                END;
                """);
        }
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        foreach (var (fts, _, _, _, _) in Indexes)
        {
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {fts}_insert;");
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {fts}_update;");
            migrationBuilder.Sql($"DROP TRIGGER IF EXISTS {fts}_delete;");
            migrationBuilder.Sql($"DROP TABLE IF EXISTS {fts};");
            migrationBuilder.Sql($"DROP TABLE IF EXISTS {fts}_rows;");
        }
    }
}
