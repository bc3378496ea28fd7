using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Chat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Chats",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SiteId = table.Column<Guid>(type: "uuid", nullable: false),
                    VisitorId = table.Column<Guid>(type: "uuid", nullable: false),
                    CustomerId = table.Column<Guid>(type: "uuid", nullable: false),
                    TicketId = table.Column<Guid>(type: "uuid", nullable: true),
                    TeamId = table.Column<Guid>(type: "uuid", nullable: true),
                    AgentId = table.Column<Guid>(type: "uuid", nullable: true),
                    PreferredAgentId = table.Column<Guid>(type: "uuid", nullable: true),
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: true),
                    Page = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    Question = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    EndReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    QueuedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    AcceptedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    EndedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastVisitorAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastAgentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    IdleWarnedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    FollowedUp = table.Column<bool>(type: "boolean", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Chats", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChatSites",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Key = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Greeting = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    ClosingMessage = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Colour = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    TextColour = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    Position = table.Column<string>(type: "character varying(5)", maxLength: 5, nullable: false),
                    AllowedOrigins = table.Column<List<string>>(type: "text[]", nullable: false),
                    TeamId = table.Column<Guid>(type: "uuid", nullable: true),
                    CalendarId = table.Column<Guid>(type: "uuid", nullable: true),
                    AskName = table.Column<bool>(type: "boolean", nullable: false),
                    AskEmail = table.Column<bool>(type: "boolean", nullable: false),
                    RequireEmail = table.Column<bool>(type: "boolean", nullable: false),
                    PromptAfterSeconds = table.Column<int>(type: "integer", nullable: false),
                    AutoPrompt = table.Column<bool>(type: "boolean", nullable: false),
                    EndAfterSeconds = table.Column<int>(type: "integer", nullable: false),
                    MissedAfterSeconds = table.Column<int>(type: "integer", nullable: false),
                    AutoFollowUp = table.Column<bool>(type: "boolean", nullable: false),
                    InvitationsJson = table.Column<string>(type: "text", nullable: false),
                    Enabled = table.Column<bool>(type: "boolean", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    Version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatSites", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChatVisitors",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    SiteId = table.Column<Guid>(type: "uuid", nullable: false),
                    CustomerId = table.Column<Guid>(type: "uuid", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatVisitors", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ChatLines",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ChatId = table.Column<Guid>(type: "uuid", nullable: false),
                    Author = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    AuthorId = table.Column<Guid>(type: "uuid", nullable: true),
                    AuthorName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Body = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    ClientMessageId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Internal = table.Column<bool>(type: "boolean", nullable: false),
                    SentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatLines", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ChatLines_Chats_ChatId",
                        column: x => x.ChatId,
                        principalTable: "Chats",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ChatLines_ChatId_ClientMessageId",
                table: "ChatLines",
                columns: new[] { "ChatId", "ClientMessageId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChatLines_ChatId_SentAt",
                table: "ChatLines",
                columns: new[] { "ChatId", "SentAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Chats_AgentId_State",
                table: "Chats",
                columns: new[] { "AgentId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_Chats_CustomerId_QueuedAt",
                table: "Chats",
                columns: new[] { "CustomerId", "QueuedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Chats_QueuedAt",
                table: "Chats",
                column: "QueuedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Chats_State_QueuedAt",
                table: "Chats",
                columns: new[] { "State", "QueuedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Chats_VisitorId_QueuedAt",
                table: "Chats",
                columns: new[] { "VisitorId", "QueuedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ChatSites_Key",
                table: "ChatSites",
                column: "Key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChatVisitors_CustomerId",
                table: "ChatVisitors",
                column: "CustomerId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ChatLines");

            migrationBuilder.DropTable(
                name: "ChatSites");

            migrationBuilder.DropTable(
                name: "ChatVisitors");

            migrationBuilder.DropTable(
                name: "Chats");
        }
    }
}
