using System.Net;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Jobs;

/// <summary>
/// The outbox and the durable timers as a user meets them: what a change queues is committed with it, delivered once,
/// retried with growing delays when the far side fails, parked for an admin after the last attempt, and run when due.
/// Due work runs only when a test says so (<see cref="LoopdeskApp.RunJobsAsync"/>), at the fake clock's time.
/// </summary>
public abstract class JobsTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_new_ticket_queues_one_acknowledgement_with_its_change_and_it_is_delivered_once()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);
        var email = $"ack{Guid.NewGuid():N}@example.com";
        var created = await agent.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Parcel never arrived",
            body = "I ordered a lamp two weeks ago.",
            channel = "email",
            customer = new { name = "Greta Lind", email },
        }, Ct);
        var ticket = await created.ReadAsync<TicketDto>(Ct);

        var deliveries = await OutboxAsync(admin, ticket.Id, Outbound.DeliverKind);
        var entry = Assert.Single(deliveries);
        Assert.Equal(JobState.Pending, entry.State);
        Assert.Equal(0, entry.Attempts);
        Assert.True(entry.DueAt <= app.Clock.GetUtcNow(), "an outbox entry is due at once");
        var queued = await OutboxAsync(admin, ticket.Id);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);

        // solving would send the customer a confirmation: refused requests must queue nothing of it
        var stale = await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, Ct, ifMatch: "\"v999\"");
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
        var refused = await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}",
            new { status = "solved", assigneeId = app.AgentId(AgentRole.Collaborator) }, Ct, ifMatch: created.Headers.ETag!.ToString());
        Assert.Equal("agent.unknown", (await refused.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        var closed = await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "closed" }, Ct);
        Assert.Equal("ticket.invalid_transition", (await closed.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());

        Assert.Equal(queued.Select(j => j.Id).Order(), (await OutboxAsync(admin, ticket.Id)).Select(j => j.Id).Order());
        Assert.Equal(messages.Count, (await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)).Count);
        Assert.Empty(app.Deliveries().For(ticket.Id));

        await app.RunJobsAsync();

        var delivered = Assert.Single(app.Deliveries().For(ticket.Id));
        Assert.Equal(entry.Id, delivered.DeliveryId);
        Assert.Equal(ticket.CustomerId, delivered.CustomerId);
        Assert.Equal(email, delivered.CustomerEmail);
        Assert.Contains(ticket.Reference, delivered.Text, StringComparison.Ordinal);
        Assert.Contains("Greta", delivered.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(await OutboxAsync(admin, ticket.Id), j => j.Id == entry.Id);

        await app.RunJobsAsync();
        Assert.Single(app.Deliveries().For(ticket.Id));

        // the same change, accepted, does queue the confirmation
        var current = await agent.GetAsync($"/api/v1/tickets/{ticket.Reference}", Ct);
        var solved = await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, Ct, ifMatch: current.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, solved.StatusCode);
        Assert.Single(await OutboxAsync(admin, ticket.Id, Outbound.DeliverKind));
    }

    [Fact]
    public async Task A_webhook_rule_posts_the_event_rule_and_ticket_with_the_job_id_as_delivery_id()
    {
        await using var listener = await WebhookListener.StartAsync();
        using var admin = app.CreateClient(AgentRole.Admin);
        var (rule, marker) = await WebhookRuleAsync(admin, listener.Url + "hooks/created");

        var ticket = await admin.CreateTicketAsync($"Webhook {marker}", Ct);
        var entry = Assert.Single(await OutboxAsync(admin, ticket.Id, Outbound.WebhookKind));
        Assert.Empty(listener.Hits);

        await app.RunJobsAsync();

        var hit = Assert.Single(listener.Hits);
        Assert.Equal("POST", hit.Method);
        Assert.Equal("/hooks/created", hit.Path);
        Assert.Equal(entry.Id.ToString(), hit.Delivery);
        Assert.StartsWith("application/json", hit.ContentType, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(hit.Body);
        var json = body.RootElement;
        Assert.Equal(TicketEventTypes.Created, json.GetProperty("event").GetString());
        Assert.Equal(rule, json.GetProperty("ruleId").GetGuid());
        Assert.Equal(ticket.Reference, json.GetProperty("ticket").GetProperty("reference").GetString());
        Assert.Equal(ticket.Id, json.GetProperty("ticket").GetProperty("id").GetGuid());
        Assert.Equal(entry.Id, json.GetProperty("deliveryId").GetGuid());
        Assert.Empty(await OutboxAsync(admin, ticket.Id, Outbound.WebhookKind));

        await app.RunJobsAsync();
        Assert.Single(listener.Hits);
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_with_doubling_delays_then_parked_until_an_admin_retries_it()
    {
        await using var listener = await WebhookListener.StartAsync(status: 500);
        using var admin = app.CreateClient(AgentRole.Admin);
        var (_, marker) = await WebhookRuleAsync(admin, listener.Url + "hooks/failing");
        var ticket = await admin.CreateTicketAsync($"Failing webhook {marker}", Ct);
        var id = Assert.Single(await OutboxAsync(admin, ticket.Id, Outbound.WebhookKind)).Id;

        await app.RunJobsAsync();
        Assert.Single(listener.Hits);
        var first = await EntryAsync(admin, id);
        Assert.Equal(JobState.Pending, first.State);
        Assert.Equal(1, first.Attempts);
        Assert.Contains("500", first.LastError, StringComparison.Ordinal);
        var firstDelay = first.DueAt - app.Clock.GetUtcNow();
        Assert.InRange(firstDelay, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12));

        await app.AdvanceAsync(firstDelay - TimeSpan.FromSeconds(1));
        Assert.Single(listener.Hits);
        Assert.Equal(1, (await EntryAsync(admin, id)).Attempts);

        await app.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(2, listener.Hits.Count);
        var second = await EntryAsync(admin, id);
        Assert.Equal(JobState.Pending, second.State);
        Assert.Equal(2, second.Attempts);
        var secondDelay = second.DueAt - app.Clock.GetUtcNow();
        Assert.InRange(secondDelay, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(24));

        await app.AdvanceAsync(secondDelay - TimeSpan.FromSeconds(1));
        Assert.Equal(2, listener.Hits.Count);

        await app.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(JobsSetup.MaxAttempts, listener.Hits.Count);
        var parked = Assert.Single(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox?state=parked", Ct), j => j.Id == id);
        Assert.Equal(JobState.Parked, parked.State);
        Assert.Equal(JobsSetup.MaxAttempts, parked.Attempts);
        Assert.Contains("500", parked.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox?state=pending", Ct), j => j.Id == id);

        await app.AdvanceAsync(TimeSpan.FromDays(1));
        Assert.Equal(JobsSetup.MaxAttempts, listener.Hits.Count);

        listener.Status = 200;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/outbox/{id}/retry", null, Ct)).StatusCode);
        await app.RunJobsAsync();
        Assert.Equal(JobsSetup.MaxAttempts + 1, listener.Hits.Count);
        Assert.All(listener.Hits, h => Assert.Equal(id.ToString(), h.Delivery));
        Assert.DoesNotContain(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox", Ct), j => j.Id == id);
    }

    [Fact]
    public async Task A_webhook_to_a_closed_port_is_retried_then_parked_with_the_connection_error()
    {
        var port = WebhookListener.FreePort();
        using var admin = app.CreateClient(AgentRole.Admin);
        var (_, marker) = await WebhookRuleAsync(admin, $"http://127.0.0.1:{port}/hooks/down");
        var ticket = await admin.CreateTicketAsync($"Unreachable webhook {marker}", Ct);
        var id = Assert.Single(await OutboxAsync(admin, ticket.Id, Outbound.WebhookKind)).Id;

        await app.RunJobsAsync();
        var first = await EntryAsync(admin, id);
        Assert.Equal((JobState.Pending, 1), (first.State, first.Attempts));
        Assert.Contains("refused", first.LastError, StringComparison.OrdinalIgnoreCase);
        var firstDelay = first.DueAt - app.Clock.GetUtcNow();
        Assert.InRange(firstDelay, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(12));

        await app.AdvanceAsync(firstDelay - TimeSpan.FromSeconds(1));
        Assert.Equal(1, (await EntryAsync(admin, id)).Attempts);
        await app.AdvanceAsync(TimeSpan.FromSeconds(1));
        var second = await EntryAsync(admin, id);
        Assert.Equal((JobState.Pending, 2), (second.State, second.Attempts));
        Assert.InRange(second.DueAt - app.Clock.GetUtcNow(), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(24));

        await app.AdvanceAsync(TimeSpan.FromSeconds(25));
        var parked = Assert.Single(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox?state=parked", Ct), j => j.Id == id);
        Assert.Equal(JobsSetup.MaxAttempts, parked.Attempts);
        Assert.Contains("refused", parked.LastError, StringComparison.OrdinalIgnoreCase);

        // the far side comes up; the admin retries the parked call
        await using var listener = await WebhookListener.StartAsync(port);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/outbox/{id}/retry", null, Ct)).StatusCode);
        await app.RunJobsAsync();
        Assert.Equal(id.ToString(), Assert.Single(listener.Hits).Delivery);
        Assert.DoesNotContain(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox", Ct), j => j.Id == id);
    }

    [Fact]
    public async Task A_solved_ticket_closes_after_seven_silent_days_and_the_survey_follows()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await agent.CreateTicketAsync("Password reset link expired", Ct);
        await app.RunJobsAsync();
        var read = await agent.GetAsync($"/api/v1/tickets/{ticket.Reference}", Ct);
        var solved = await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, Ct, ifMatch: read.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, solved.StatusCode);
        var solvedAt = app.Clock.GetUtcNow();
        var timer = Assert.Single(await OutboxAsync(admin, ticket.Id, RuleTimerHandler.JobKind), j => j.Key?.EndsWith(":close", StringComparison.Ordinal) == true);
        Assert.Equal(solvedAt.AddDays(7), timer.DueAt);

        await app.AdvanceAsync(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        Assert.Equal(TicketStatus.Solved, (await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Status);
        Assert.Empty(await agent.GetJsonAsync<List<SurveyDto>>($"/api/v1/surveys?ticket={ticket.Reference}", Ct));

        await app.AdvanceAsync(TimeSpan.FromMinutes(1));
        var closed = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal(TicketStatus.Closed, closed.Status);
        Assert.Equal(solvedAt.AddDays(7), closed.ClosedAt);
        Assert.Single(await agent.GetJsonAsync<List<SurveyDto>>($"/api/v1/surveys?ticket={ticket.Reference}", Ct));
        Assert.Contains(app.Deliveries().For(ticket.Id), d => d.Text.Contains("/survey/", StringComparison.Ordinal));
        Assert.DoesNotContain(await OutboxAsync(admin, ticket.Id), j => j.Id == timer.Id);
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("on-hold")]
    public async Task The_silence_follow_up_goes_out_even_when_a_rule_moves_the_ticket_as_it_is_sent(string status)
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);
        var marker = $"m{Guid.NewGuid():N}"[..12];
        // after our follow-up the ball is in the customer's court; the status change stops (pending) or restarts (on hold)
        // the silence timer, whose job is the one running
        var rule = await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = $"Wait after the follow-up {marker}",
            events = new[] { TicketEventTypes.MessageAdded },
            conditions = new[]
            {
                new { field = "ticket.subject", @operator = "contains", value = marker },
                new { field = "message.body", @operator = "contains", value = "quiet for a while" },
            },
            actions = new[] { new { type = "set_status", value = status } },
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, rule.StatusCode);
        var ticket = await agent.CreateTicketAsync($"Order stuck {marker}", Ct);
        await app.RunJobsAsync();
        var idle = Assert.Single(await OutboxAsync(admin, ticket.Id, RuleTimerHandler.JobKind), j => j.Key?.EndsWith(":idle", StringComparison.Ordinal) == true);

        await app.AdvanceAsync(idle.DueAt - app.Clock.GetUtcNow());

        Assert.Contains(app.Deliveries().For(ticket.Id), d => d.Text.Contains("quiet for a while", StringComparison.Ordinal));
        Assert.Equal(status, Core.Common.Wire.Name((await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Status));
        var left = await OutboxAsync(admin, ticket.Id);
        Assert.DoesNotContain(left, j => j.State == JobState.Parked || j.Attempts > 0);
        var again = left.Where(j => j.Key == idle.Key).ToList();
        if (status == "pending")
        {
            Assert.Empty(again);
        }
        else
        {
            Assert.Equal(app.Clock.GetUtcNow() + (idle.DueAt - idle.CreatedAt), Assert.Single(again).DueAt);
        }
    }

    /// <summary>A rule calling <paramref name="url"/> when a ticket whose subject holds the returned marker is created (tests share one host).</summary>
    private static async Task<(Guid Rule, string Marker)> WebhookRuleAsync(HttpClient admin, string url)
    {
        var marker = $"m{Guid.NewGuid():N}"[..12];
        var response = await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = $"Tell the shop {marker}",
            events = new[] { TicketEventTypes.Created },
            conditions = new[] { new { field = "ticket.subject", @operator = "contains", value = marker } },
            actions = new[] { new { type = "webhook", value = url } },
        }, Ct);
        return ((await response.ReadAsync<RuleDto>(Ct)).Id, marker);
    }

    [Fact]
    public async Task An_agents_reply_goes_out_on_its_channel_and_a_note_or_imported_reply_does_not()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await agent.CreateTicketAsync("Where is my refund", Ct, email: $"r{Guid.NewGuid():N}@example.com");
        await app.RunJobsAsync();
        var before = app.Deliveries().For(ticket.Id).Count;

        var reply = await (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages",
            new { body = "Sorry for the wait: the refund left today.", lexiconOverride = true }, Ct)).ReadAsync<MessageDto>(Ct);
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Checked with finance.", @internal = true }, Ct)).EnsureSuccessStatusCode();
        (await admin.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages",
            new { body = "An old reply from the previous help desk.", occurredAt = app.Clock.GetUtcNow().AddDays(-30), lexiconOverride = true }, Ct)).EnsureSuccessStatusCode();
        await app.RunJobsAsync();

        var delivered = app.Deliveries().For(ticket.Id).Skip(before).ToList();
        Assert.Equal(reply.Id, Assert.Single(delivered).MessageId);
    }

    [Fact]
    public async Task Deliveries_due_together_go_as_one_batch_and_one_refused_is_retried_without_holding_back_the_others()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);
        var refused = $"down{Guid.NewGuid():N}@example.com";
        app.Deliveries().Refused[refused] = true;
        var tickets = new List<TicketDto>();
        foreach (var email in new[] { $"a{Guid.NewGuid():N}@example.com", refused, $"b{Guid.NewGuid():N}@example.com" })
            tickets.Add(await agent.CreateTicketAsync($"Batch {email}", Ct, email: email));
        var batches = app.Deliveries().Batches.Count;

        await app.RunJobsAsync();

        Assert.True(app.Deliveries().Batches.Skip(batches).Max() >= 3, "the three deliveries due together go in one batch");
        foreach (var ticket in tickets.Where((_, i) => i != 1))
        {
            Assert.Single(app.Deliveries().For(ticket.Id));
            Assert.Empty(await OutboxAsync(admin, ticket.Id, Outbound.DeliverKind));
            var ack = (await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)).Single(m => m.Direction == MessageDirection.Outbound);
            Assert.Equal(DeliveryState.Sent, ack.Delivery);
        }
        Assert.Empty(app.Deliveries().For(tickets[1].Id));
        var waiting = Assert.Single(await OutboxAsync(admin, tickets[1].Id, Outbound.DeliverKind));
        Assert.Equal(JobState.Pending, waiting.State);
        Assert.Equal(1, waiting.Attempts);
        Assert.Contains("refused the connection", waiting.LastError, StringComparison.Ordinal);
        var pending = (await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{tickets[1].Reference}/messages", Ct)).Single(m => m.Direction == MessageDirection.Outbound);
        Assert.Equal(DeliveryState.Queued, pending.Delivery);

        // the server is back: at the retry it goes out, once
        app.Deliveries().Refused.TryRemove(refused, out _);
        await app.AdvanceAsync(TimeSpan.FromSeconds(15));
        await app.RunJobsAsync();
        Assert.Single(app.Deliveries().For(tickets[1].Id));
        Assert.Empty(await OutboxAsync(admin, tickets[1].Id, Outbound.DeliverKind));
        Assert.All(tickets, t => Assert.Single(app.Deliveries().For(t.Id)));
    }

    private static async Task<List<OutboxEntryDto>> OutboxAsync(HttpClient admin, Guid ticketId, string? kind = null)
    {
        var all = await admin.GetJsonAsync<List<OutboxEntryDto>>(kind is null ? "/api/v1/outbox" : $"/api/v1/outbox?kind={kind}", Ct);
        return [.. all.Where(j => j.TicketId == ticketId)];
    }

    [Fact]
    public async Task Work_saved_inside_a_transaction_wakes_the_runner_when_it_commits_not_before()
    {
        var runner = app.Services.GetRequiredService<JobRunner>();
        runner.TakeWake();
        var ids = new List<Guid>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            ids.Add(db.Enqueue("test.wake", new { }, app.Clock.GetUtcNow()).Id);
            await db.SaveChangesAsync(Ct);
            // woken now, the runner would find nothing it can see and wait for its next poll
            Assert.False(runner.TakeWake(), "not woken before the commit");
            await tx.CommitAsync(Ct);
            Assert.True(runner.TakeWake(), "woken by the commit");
        }

        // a unit of work with generic plans (a transaction of its own on PostgreSQL) wakes it with the job committed
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await db.UseGenericPlansAsync(Ct);
            ids.Add(db.Enqueue("test.wake", new { }, app.Clock.GetUtcNow()).Id);
            await db.SaveChangesAsync(Ct);
            Assert.True(runner.TakeWake(), "woken by the save's commit");
        }

        // rolled back: nothing to wake for
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            db.Enqueue("test.wake", new { }, app.Clock.GetUtcNow());
            await db.SaveChangesAsync(Ct);
            await tx.RollbackAsync(Ct);
            Assert.False(runner.TakeWake(), "not woken for work rolled back");
        }

        await using var check = app.Services.CreateAsyncScope();
        var jobs = check.ServiceProvider.GetRequiredService<LoopdeskDb>().Jobs;
        Assert.Equal(2, await jobs.CountAsync(j => j.Kind == "test.wake", Ct));
        await jobs.Where(j => ids.Contains(j.Id)).ExecuteDeleteAsync(Ct);
    }

    private static async Task<OutboxEntryDto> EntryAsync(HttpClient admin, Guid id)
        => Assert.Single(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox", Ct), j => j.Id == id);
}

public sealed class JobsOnSqlite(JobsSqliteApp app) : JobsTests(app), IClassFixture<JobsSqliteApp>;

public sealed class JobsOnPostgres(JobsPostgresApp app) : JobsTests(app), IClassFixture<JobsPostgresApp>;
