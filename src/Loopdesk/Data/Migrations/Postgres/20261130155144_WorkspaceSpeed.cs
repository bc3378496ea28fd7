using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WorkspaceSpeed : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_TicketSlas_NextReplyDueAt",
                table: "TicketSlas",
                column: "NextReplyDueAt");

            migrationBuilder.CreateIndex(
                name: "IX_Tickets_FollowUps",
                table: "Tickets",
                columns: new[] { "Status", "CreatedAt" },
                filter: "\"FollowUpOfId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Tickets_Internal",
                table: "Tickets",
                columns: new[] { "Status", "CreatedAt" },
                filter: "\"Channel\" = 'Internal' OR \"Type\" = 'InternalRequest'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_TicketSlas_NextReplyDueAt",
                table: "TicketSlas");

            migrationBuilder.DropIndex(
                name: "IX_Tickets_FollowUps",
                table: "Tickets");

            migrationBuilder.DropIndex(
                name: "IX_Tickets_Internal",
                table: "Tickets");
        }
    }
}
