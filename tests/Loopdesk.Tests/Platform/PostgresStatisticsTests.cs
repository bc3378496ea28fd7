using Loopdesk.Data;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Platform;

/// <summary>
/// A table that grows fast from small is analyzed within seconds, so PostgreSQL plans its statements for the table it
/// is now; a few changes to a table, or changes that are small beside its size, are left to autovacuum.
/// </summary>
public sealed class PostgresStatisticsTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_table_changed_by_half_its_rows_is_analyzed_and_one_changed_a_little_is_not()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var statistics = app.Services.GetRequiredService<PostgresStatistics>();
        await db.Database.ExecuteSqlRawAsync("""CREATE TABLE "StatisticsProbe" ("Id" int PRIMARY KEY, "Note" text)""", Ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync("""INSERT INTO "StatisticsProbe" SELECT g, 'row ' || g FROM generate_series(1, 10000) g""", Ct);
            Assert.True(await RowsPlannedAsync(db) < 0, "a table never analyzed has no row count for the planner");

            await ChangesCountedAsync(db, 10_000);
            Assert.Contains("StatisticsProbe", await statistics.AnalyzeGrownAsync(db, Ct));
            Assert.Equal(10_000, await RowsPlannedAsync(db));

            // 500 new rows: fewer changes than the least that calls for an analysis
            await db.Database.ExecuteSqlRawAsync("""INSERT INTO "StatisticsProbe" SELECT g, 'row ' || g FROM generate_series(10001, 10500) g""", Ct);
            await ChangesCountedAsync(db, 500);
            Assert.DoesNotContain("StatisticsProbe", await statistics.AnalyzeGrownAsync(db, Ct));

            // and 4,000 rows changed: 4,500 changes, but not yet half of 10,500 rows
            await db.Database.ExecuteSqlRawAsync("""UPDATE "StatisticsProbe" SET "Note" = 'changed' WHERE "Id" <= 4000""", Ct);
            await ChangesCountedAsync(db, 4_500);
            Assert.DoesNotContain("StatisticsProbe", await statistics.AnalyzeGrownAsync(db, Ct));
            Assert.Equal(10_000, await RowsPlannedAsync(db));

            // 2,000 more rows: 6,500 changes, over half of 12,500
            await db.Database.ExecuteSqlRawAsync("""INSERT INTO "StatisticsProbe" SELECT g, 'row ' || g FROM generate_series(10501, 12500) g""", Ct);
            await ChangesCountedAsync(db, 6_500);
            Assert.Contains("StatisticsProbe", await statistics.AnalyzeGrownAsync(db, Ct));
            Assert.Equal(12_500, await RowsPlannedAsync(db));
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("""DROP TABLE "StatisticsProbe" """, CancellationToken.None);
        }
    }

    private static Task<float> RowsPlannedAsync(LoopdeskDb db)
        => db.Database.SqlQueryRaw<float>("""SELECT reltuples AS "Value" FROM pg_class WHERE relname = 'StatisticsProbe'""").SingleAsync(Ct);

    // PostgreSQL's counters reach the statistics views a moment after the change commits
    private static async Task ChangesCountedAsync(LoopdeskDb db, long changes)
    {
        for (var i = 0; i < 100; i++)
        {
            var counted = await db.Database.SqlQueryRaw<long>(
                """SELECT n_mod_since_analyze AS "Value" FROM pg_stat_user_tables WHERE relname = 'StatisticsProbe'""").SingleAsync(Ct);
            if (counted >= changes) return;
            await Task.Delay(100, Ct);
        }
        Assert.Fail($"PostgreSQL did not count {changes} changes of the table.");
    }
}
