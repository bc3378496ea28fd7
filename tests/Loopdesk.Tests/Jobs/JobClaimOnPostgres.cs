using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Jobs;

/// <summary>
/// An outbox is empty most of the time, and that is what the statistics say when a burst arrives: the claim must keep
/// to one batch, taken once, whatever the planner believes about the table.
/// </summary>
public sealed class JobClaimOnPostgres(JobsPostgresApp app) : IClassFixture<JobsPostgresApp>
{
    private const int Burst = 3000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_after_the_jobs_table_was_analyzed_empty_is_claimed_one_batch_at_a_time()
    {
        var runner = app.Services.GetRequiredService<JobRunner>();
        var batch = new JobOptions().BatchSize;
        var now = app.Clock.GetUtcNow();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            // a burst came and went: the table keeps its pages, and autovacuum's ANALYZE finds no rows in them
            await AddBurstAsync(db, now);
            await db.Jobs.ExecuteDeleteAsync(Ct);
            await db.Database.ExecuteSqlRawAsync("ANALYZE \"Jobs\"", Ct);
            await AddBurstAsync(db, now);
        }

        var claimed = await runner.ClaimAsync(now, Ct);

        Assert.Equal(batch, claimed.Count);
        Assert.All(claimed, j => Assert.Equal(runner.Name, j.LockedBy));
        await using var check = app.Services.CreateAsyncScope();
        var held = await check.ServiceProvider.GetRequiredService<LoopdeskDb>().Jobs.CountAsync(j => j.LockedBy == runner.Name, Ct);
        Assert.Equal(batch, held);
    }

    private static async Task AddBurstAsync(LoopdeskDb db, DateTimeOffset now)
    {
        for (var i = 0; i < Burst; i++)
        {
            db.Enqueue(Outbound.WebhookKind, new WebhookCall("http://127.0.0.1:9/hook", Guid.Empty, Guid.Empty, $"T-{i}", "ticket.status_changed"), now);
        }
        await db.SaveChangesAsync(Ct);
        db.ChangeTracker.Clear();
    }
}
