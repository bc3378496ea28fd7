using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Loopdesk.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class IncidentsCredits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Credits",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    CustomerId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Amount = table.Column<decimal>(type: "TEXT", precision: 18, scale: 2, nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    TicketId = table.Column<Guid>(type: "TEXT", nullable: true),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: true),
                    GivenBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    DecidedBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Credits", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Credits_Customers_CustomerId",
                        column: x => x.CustomerId,
                        principalTable: "Customers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "Incidents",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    ServiceIds = table.Column<string>(type: "TEXT", nullable: false),
                    Impact = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Eta = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Prevention = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    Apology = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    CompensationKind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    CompensationAmount = table.Column<decimal>(type: "TEXT", precision: 18, scale: 2, nullable: true),
                    CompensationCurrency = table.Column<string>(type: "TEXT", maxLength: 3, nullable: true),
                    Published = table.Column<bool>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ResolvedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CompensatedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Version = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Incidents", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "StatusServices",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StatusServices", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "StatusSubscribers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    ConfirmTokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ConfirmBy = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ConfirmedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StatusSubscribers", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "IncidentTickets",
                columns: table => new
                {
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    TicketId = table.Column<Guid>(type: "TEXT", nullable: false),
                    LinkedBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    LinkedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentTickets", x => new { x.IncidentId, x.TicketId });
                    table.ForeignKey(
                        name: "FK_IncidentTickets_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_IncidentTickets_Tickets_TicketId",
                        column: x => x.TicketId,
                        principalTable: "Tickets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "IncidentUpdates",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Text = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    AuthorId = table.Column<Guid>(type: "TEXT", nullable: true),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_IncidentUpdates", x => x.Id);
                    table.ForeignKey(
                        name: "FK_IncidentUpdates_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Credits_CreatedAt",
                table: "Credits",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Credits_CustomerId_CreatedAt",
                table: "Credits",
                columns: new[] { "CustomerId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Credits_IncidentId_CustomerId",
                table: "Credits",
                columns: new[] { "IncidentId", "CustomerId" },
                unique: true,
                filter: "\"IncidentId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Credits_Status_CreatedAt",
                table: "Credits",
                columns: new[] { "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Credits_TicketId",
                table: "Credits",
                column: "TicketId");

            migrationBuilder.CreateIndex(
                name: "IX_Incidents_Published_Status_StartedAt",
                table: "Incidents",
                columns: new[] { "Published", "Status", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_IncidentTickets_TicketId",
                table: "IncidentTickets",
                column: "TicketId");

            migrationBuilder.CreateIndex(
                name: "IX_IncidentUpdates_IncidentId_At",
                table: "IncidentUpdates",
                columns: new[] { "IncidentId", "At" });

            migrationBuilder.CreateIndex(
                name: "IX_StatusServices_Name",
                table: "StatusServices",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_StatusSubscribers_ConfirmedAt",
                table: "StatusSubscribers",
                column: "ConfirmedAt");

            migrationBuilder.CreateIndex(
                name: "IX_StatusSubscribers_ConfirmTokenHash",
                table: "StatusSubscribers",
                column: "ConfirmTokenHash");

            migrationBuilder.CreateIndex(
                name: "IX_StatusSubscribers_Email",
                table: "StatusSubscribers",
                column: "Email",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Credits");

            migrationBuilder.DropTable(
                name: "IncidentTickets");

            migrationBuilder.DropTable(
                name: "IncidentUpdates");

            migrationBuilder.DropTable(
                name: "StatusServices");

            migrationBuilder.DropTable(
                name: "StatusSubscribers");

            migrationBuilder.DropTable(
                name: "Incidents");
        }
    }
}
