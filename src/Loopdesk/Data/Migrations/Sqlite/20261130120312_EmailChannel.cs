using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class EmailChannel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Followers",
                table: "Tickets",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "Delivery",
                table: "Messages",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DeliveryAt",
                table: "Messages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeliveryDetail",
                table: "Messages",
                type: "TEXT",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "QuotedText",
                table: "Messages",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "InboundMails",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    MailboxId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    SourceKey = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    Raw = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Size = table.Column<int>(type: "INTEGER", nullable: false),
                    Sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ReceivedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    MailKey = table.Column<string>(type: "TEXT", maxLength: 998, nullable: true),
                    FromAddress = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    Subject = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    Note = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    TicketId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Reference = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    ProcessedAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_InboundMails", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Mailboxes",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    FromName = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Signature = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    DefaultTeamId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Active = table.Column<bool>(type: "INTEGER", nullable: false),
                    IsDefault = table.Column<bool>(type: "INTEGER", nullable: false),
                    ImapHost = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    ImapPort = table.Column<int>(type: "INTEGER", nullable: false),
                    ImapSecurity = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ImapLogin = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ImapUsername = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    ImapSecret = table.Column<string>(type: "TEXT", nullable: true),
                    ImapFolder = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ProcessedFolder = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    SmtpHost = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    SmtpPort = table.Column<int>(type: "INTEGER", nullable: false),
                    SmtpSecurity = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SmtpLogin = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SmtpUsername = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    SmtpSecret = table.Column<string>(type: "TEXT", nullable: true),
                    InboundSecretHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    BlockedSenders = table.Column<string>(type: "TEXT", nullable: false),
                    UidValidity = table.Column<uint>(type: "INTEGER", nullable: true),
                    LastUid = table.Column<uint>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    LastPolledAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Mailboxes", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MailIds",
                columns: table => new
                {
                    Key = table.Column<string>(type: "TEXT", maxLength: 998, nullable: false),
                    TicketId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MailIds", x => x.Key);
                });

            migrationBuilder.CreateIndex(
                name: "IX_InboundMails_FromAddress_ReceivedAt",
                table: "InboundMails",
                columns: new[] { "FromAddress", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_InboundMails_MailKey",
                table: "InboundMails",
                column: "MailKey");

            migrationBuilder.CreateIndex(
                name: "IX_InboundMails_SourceKey",
                table: "InboundMails",
                column: "SourceKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_InboundMails_State_ReceivedAt",
                table: "InboundMails",
                columns: new[] { "State", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_InboundMails_TicketId_ReceivedAt",
                table: "InboundMails",
                columns: new[] { "TicketId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Mailboxes_Address",
                table: "Mailboxes",
                column: "Address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Mailboxes_Name",
                table: "Mailboxes",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MailIds_TicketId_CreatedAt",
                table: "MailIds",
                columns: new[] { "TicketId", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "InboundMails");

            migrationBuilder.DropTable(
                name: "Mailboxes");

            migrationBuilder.DropTable(
                name: "MailIds");

            migrationBuilder.DropColumn(
                name: "Followers",
                table: "Tickets");

            migrationBuilder.DropColumn(
                name: "Delivery",
                table: "Messages");

            migrationBuilder.DropColumn(
                name: "DeliveryAt",
                table: "Messages");

            migrationBuilder.DropColumn(
                name: "DeliveryDetail",
                table: "Messages");

            migrationBuilder.DropColumn(
                name: "QuotedText",
                table: "Messages");
        }
    }
}
