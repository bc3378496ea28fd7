using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Jobs;

/// <summary>Several processes share one PostgreSQL database and its jobs: each job is taken by one of them, once.</summary>
public sealed class JobRunnersOnPostgres(JobsPostgresApp app) : IClassFixture<JobsPostgresApp>
{
    private const int JobCount = 2000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_hosts_on_one_database_run_two_thousand_due_jobs_each_exactly_once()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Two runners", Ct);
        await app.RunJobsAsync();
        var acknowledgement = Assert.Single(app.Deliveries().For(ticket.Id));

        // a burst of deliveries of that message, due now, written in one save
        var now = app.Clock.GetUtcNow();
        HashSet<Guid> ids;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            var jobs = Enumerable.Range(0, JobCount).Select(_ => db.Enqueue(Outbound.DeliverKind, new Delivery(acknowledgement.MessageId, ticket.Id), now, ticket.Id)).ToList();
            await db.SaveChangesAsync(Ct);
            ids = [.. jobs.Select(j => j.Id)];
        }
        Assert.Equal(JobCount, ids.Count);

        // a second host on the same database, with a runner and a recording channel of its own
        await using var other = app.WithWebHostBuilder(_ => { });
        var runners = new[] { app.Services.GetRequiredService<JobRunner>(), other.Services.GetRequiredService<JobRunner>() };
        var channels = new[] { app.Deliveries(), other.Services.GetRequiredService<RecordingChannel>() };
        Assert.NotSame(channels[0], channels[1]);
        Assert.NotEqual(runners[0].Name, runners[1].Name);

        var ran = await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunDueAsync(Ct), Ct)));

        var handled = channels.Select(c => c.All.Where(d => ids.Contains(d.DeliveryId)).Select(d => d.DeliveryId).ToList()).ToList();
        var all = handled.SelectMany(h => h).ToList();
        Assert.Equal(JobCount, all.Count);
        Assert.True(ids.SetEquals(all), "every job was handled, and no other");
        Assert.Equal(JobCount, ran.Sum());
        Assert.All(handled, h => Assert.NotEmpty(h));
        Assert.All(ran, n => Assert.True(n > 0, $"each runner took a share: {string.Join(" + ", ran)}"));

        await using var check = app.Services.CreateAsyncScope();
        var left = await check.ServiceProvider.GetRequiredService<LoopdeskDb>().Jobs.CountAsync(j => ids.Contains(j.Id), Ct);
        Assert.Equal(0, left);
    }
}
