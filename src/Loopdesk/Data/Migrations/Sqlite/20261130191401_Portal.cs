using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Portal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "HelpCategories",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Slug = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HelpCategories", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PortalSignIns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Ip = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UsedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PortalSignIns", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "PortalVerifications",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TicketId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CustomerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    Fields = table.Column<string>(type: "TEXT", nullable: false),
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    RequestedById = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CompletedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PortalVerifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PortalVerifications_Tickets_TicketId",
                        column: x => x.TicketId,
                        principalTable: "Tickets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HelpArticles",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Slug = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    CategoryId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Summary = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Body = table.Column<string>(type: "TEXT", maxLength: 100000, nullable: false),
                    NoviceBody = table.Column<string>(type: "TEXT", maxLength: 100000, nullable: true),
                    ExpertBody = table.Column<string>(type: "TEXT", maxLength: 100000, nullable: true),
                    Published = table.Column<bool>(type: "INTEGER", nullable: false),
                    HelpfulCount = table.Column<int>(type: "INTEGER", nullable: false),
                    NotHelpfulCount = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HelpArticles", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HelpArticles_HelpCategories_CategoryId",
                        column: x => x.CategoryId,
                        principalTable: "HelpCategories",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "HelpVotes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    ArticleId = table.Column<Guid>(type: "TEXT", nullable: false),
                    VisitorHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Helpful = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HelpVotes", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HelpVotes_HelpArticles_ArticleId",
                        column: x => x.ArticleId,
                        principalTable: "HelpArticles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_HelpArticles_CategoryId_Published_Title",
                table: "HelpArticles",
                columns: new[] { "CategoryId", "Published", "Title" });

            migrationBuilder.CreateIndex(
                name: "IX_HelpArticles_Slug",
                table: "HelpArticles",
                column: "Slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HelpCategories_Slug",
                table: "HelpCategories",
                column: "Slug",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HelpVotes_ArticleId_VisitorHash",
                table: "HelpVotes",
                columns: new[] { "ArticleId", "VisitorHash" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PortalSignIns_Email_CreatedAt",
                table: "PortalSignIns",
                columns: new[] { "Email", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PortalSignIns_TokenHash",
                table: "PortalSignIns",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PortalVerifications_TicketId",
                table: "PortalVerifications",
                column: "TicketId");

            migrationBuilder.CreateIndex(
                name: "IX_PortalVerifications_TokenHash",
                table: "PortalVerifications",
                column: "TokenHash",
                unique: true);

            // full-text search over help articles (FTS5, kept current by triggers; see the Search migration for the pattern)
            migrationBuilder.Sql("CREATE TABLE article_fts_rows (rowid INTEGER PRIMARY KEY, article_id TEXT NOT NULL UNIQUE);");
            migrationBuilder.Sql("CREATE VIRTUAL TABLE article_fts USING fts5(title, summary, body, article_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');");
            migrationBuilder.Sql("""
                CREATE TRIGGER article_fts_insert AFTER INSERT ON "HelpArticles" BEGIN
                  INSERT INTO article_fts_rows (article_id) VALUES (new."Id");
                  INSERT INTO article_fts (rowid, title, summary, body, article_id) VALUES (last_insert_rowid(), new."Title", coalesce(new."Summary", ''),
                    new."Body" || ' ' || coalesce(new."NoviceBody", '') || ' ' || coalesce(new."ExpertBody", ''), new."Id");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER article_fts_update AFTER UPDATE OF "Title", "Summary", "Body", "NoviceBody", "ExpertBody" ON "HelpArticles" BEGIN
                  UPDATE article_fts SET title = new."Title", summary = coalesce(new."Summary", ''),
                    body = new."Body" || ' ' || coalesce(new."NoviceBody", '') || ' ' || coalesce(new."ExpertBody", '')
                  WHERE rowid = (SELECT rowid FROM article_fts_rows WHERE article_id = old."Id");
                END;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER article_fts_delete AFTER DELETE ON "HelpArticles" BEGIN
                  DELETE FROM article_fts WHERE rowid = (SELECT rowid FROM article_fts_rows WHERE article_id = old."Id");
                  DELETE FROM article_fts_rows WHERE article_id = old."Id";
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS article_fts_insert;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS article_fts_update;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS article_fts_delete;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS article_fts;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS article_fts_rows;");

            migrationBuilder.DropTable(
                name: "HelpVotes");

            migrationBuilder.DropTable(
                name: "PortalSignIns");

            migrationBuilder.DropTable(
                name: "PortalVerifications");

            migrationBuilder.DropTable(
                name: "HelpArticles");

            migrationBuilder.DropTable(
                name: "HelpCategories");
        }
    }
}
