using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Postgres;

/// <summary>
/// Generated tsvector columns ('simple' configuration: no stemming, any language) with GIN indexes over ticket subjects,
/// message texts and customer names. The columns are not in the EF model: the database keeps them, queries read them.
/// </summary>
[DbContext(typeof(PostgresLoopdeskDb))]
[Migration("20261124120000_Search")]
public partial class Search : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""ALTER TABLE "Tickets" ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce("Subject", ''))) STORED;""");
        migrationBuilder.Sql("""CREATE INDEX "IX_Tickets_search" ON "Tickets" USING GIN (search);""");
        migrationBuilder.Sql("""ALTER TABLE "Messages" ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce("Text", ''))) STORED;""");
        migrationBuilder.Sql("""CREATE INDEX "IX_Messages_search" ON "Messages" USING GIN (search);""");
        migrationBuilder.Sql("""ALTER TABLE "Customers" ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce("Name", '') || ' ' || coalesce("PreferredName", ''))) STORED;""");
        migrationBuilder.Sql("""CREATE INDEX "IX_Customers_search" ON "Customers" USING GIN (search);""");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("""ALTER TABLE "Customers" DROP COLUMN search;""");
        migrationBuilder.Sql("""ALTER TABLE "Messages" DROP COLUMN search;""");
        migrationBuilder.Sql("""ALTER TABLE "Tickets" DROP COLUMN search;""");
    }
}
