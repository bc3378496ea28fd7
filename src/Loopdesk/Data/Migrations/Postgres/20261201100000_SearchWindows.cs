using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Postgres;

/// <summary>
/// Two aids for finding the newest matches of a search without reading every match
/// (<see cref="global::Loopdesk.Search.PostgresSearchIndex"/>):
/// <list type="bullet">
/// <item>Block-range (BRIN) indexes on the time-ordered ids of tickets and messages. Rows are appended in id order, so
/// each range of table pages holds a narrow span of ids; the planner combines this index with the full-text index
/// (BitmapAnd) and reads only the matching rows of the pages of a recent span of ids. A BRIN index is a few pages per
/// million rows and costs inserts almost nothing; with <c>autosummarize</c> autovacuum summarizes each range of pages
/// once it is full.</item>
/// <item>The list of every word in the search columns of tickets and messages (<c>search_words</c>), so that a word
/// typed as a prefix ("rout") can be asked of the full-text index as the words it stands for (router, routers,
/// routing): GIN answers those from its posting lists, where a prefix makes it collect and test every row of every
/// word that starts with it, ten times the work for a common prefix. A background pass adds the words of new rows in
/// id order (<c>search_words_swept</c> holds how far it got); a changed subject or text notes its row in
/// <c>search_words_recheck</c>, whose words are added before the next search.</item>
/// </list>
/// </summary>
[DbContext(typeof(PostgresLoopdeskDb))]
[Migration("20261201100000_SearchWindows")]
public partial class SearchWindows : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""CREATE INDEX "IX_Tickets_Id_Brin" ON "Tickets" USING brin ("Id") WITH (pages_per_range = 16, autosummarize = on);""");
        migrationBuilder.Sql("""CREATE INDEX "IX_Messages_Id_Brin" ON "Messages" USING brin ("Id") WITH (pages_per_range = 16, autosummarize = on);""");
        migrationBuilder.Sql("""CREATE TABLE search_words (word text COLLATE "C" PRIMARY KEY);""");
        migrationBuilder.Sql("""CREATE TABLE search_words_swept (name text PRIMARY KEY, last_id uuid NOT NULL);""");
        migrationBuilder.Sql("""INSERT INTO search_words_swept (name, last_id) VALUES ('Tickets', '00000000-0000-0000-0000-000000000000'), ('Messages', '00000000-0000-0000-0000-000000000000');""");
        migrationBuilder.Sql("""CREATE TABLE search_words_recheck (seq bigserial PRIMARY KEY, name text NOT NULL, row_id uuid NOT NULL);""");
        migrationBuilder.Sql("""
            CREATE FUNCTION search_words_recheck_row() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO search_words_recheck (name, row_id) VALUES (TG_TABLE_NAME, NEW."Id");
              RETURN NULL;
            END $$;
            """);
        migrationBuilder.Sql("""
            CREATE TRIGGER "Tickets_search_words" AFTER UPDATE OF "Subject" ON "Tickets"
              FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search) EXECUTE FUNCTION search_words_recheck_row();
            """);
        migrationBuilder.Sql("""
            CREATE TRIGGER "Messages_search_words" AFTER UPDATE OF "Text" ON "Messages"
              FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search) EXECUTE FUNCTION search_words_recheck_row();
            """);
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""DROP TRIGGER "Messages_search_words" ON "Messages";""");
        migrationBuilder.Sql("""DROP TRIGGER "Tickets_search_words" ON "Tickets";""");
        migrationBuilder.Sql("DROP FUNCTION search_words_recheck_row();");
        migrationBuilder.Sql("DROP TABLE search_words_recheck;");
        migrationBuilder.Sql("DROP TABLE search_words_swept;");
        migrationBuilder.Sql("DROP TABLE search_words;");
        migrationBuilder.Sql("""DROP INDEX "IX_Messages_Id_Brin";""");
        migrationBuilder.Sql("""DROP INDEX "IX_Tickets_Id_Brin";""");
    }
}
