using System.Net;
using System.Text;
using Bunit;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Email;
using Loopdesk.Jobs;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Web.Admin;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Web;

/// <summary>The admin's pages for what did not go through: incoming mail that failed or was held, and parked outbox entries.</summary>
public abstract class AdminQueueTests(LoopdeskApp app) : ComponentTests(app, AgentRole.Admin)
{
    /// <summary>A parked entry, as the runner leaves one after its last failed attempt.</summary>
    private async Task<Job> ParkedAsync(string kind, string payload, string error)
    {
        var now = App.Clock.GetUtcNow();
        var job = new Job(kind, payload, now, now);
        job.Failed(error, now, maxAttempts: 1);
        await ReadAsync(async db =>
        {
            db.Jobs.Add(job);
            return await db.SaveChangesAsync(Ct);
        });
        return job;
    }

    [Fact]
    public async Task A_parked_entry_shows_its_error_and_trying_again_makes_it_due_now()
    {
        var error = $"SMTP said 535 {Guid.NewGuid():N}";
        var job = await ParkedAsync("test.parked", "{}", error);
        var page = Render<OutboxPage>();
        await page.WaitForAssertionAsync(() => Assert.Contains(page.FindAll("table.outbox tr"), r => r.TextContent.Contains(error, StringComparison.Ordinal)), Patience);

        page.FindAll("table.outbox tr").Single(r => r.TextContent.Contains(error, StringComparison.Ordinal))
            .QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Try again").Click();

        // the confirmation and the list read again may reach the page in separate renders
        await page.WaitForAssertionAsync(() =>
        {
            Assert.Contains("being tried again now", page.Find(".form-ok").TextContent, StringComparison.Ordinal);
            Assert.DoesNotContain(error, page.Markup, StringComparison.Ordinal);
        }, Patience);
        var after = await ReadAsync(db => db.Jobs.AsNoTracking().SingleAsync(j => j.Id == job.Id, Ct));
        Assert.Equal(JobState.Pending, after.State);
        Assert.True(after.DueAt <= App.Clock.GetUtcNow(), "due now");
    }

    [Fact]
    public async Task Discarding_a_parked_delivery_asks_first_then_removes_it_and_marks_the_reply_failed()
    {
        using var client = App.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("A reply that never left", Ct);
        var reply = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "We are on it." }, Ct);
        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);
        var message = await ReadAsync(db => db.Messages.AsNoTracking().Where(m => m.TicketId == ticket.Id && m.Direction == MessageDirection.Outbound && m.Text == "We are on it.").SingleAsync(Ct));
        var error = $"Mailbox refused {Guid.NewGuid():N}";
        var job = await ParkedAsync(Outbound.DeliverKind, Wire.Json(new Delivery(message.Id, ticket.Id)), error);

        var page = Render<OutboxPage>();
        await page.WaitForAssertionAsync(() => Assert.Contains(error, page.Markup, StringComparison.Ordinal), Patience);
        Row(page, error).QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Discard").Click();
        // nothing happens until the admin confirms (the question may reach the page in a render of its own)
        Assert.True(await ReadAsync(db => db.Jobs.AnyAsync(j => j.Id == job.Id, Ct)));
        await page.WaitForAssertionAsync(() => Assert.Contains(Row(page, error).QuerySelectorAll("button"), b => b.TextContent.Trim() == "Discard for good"), Patience);
        Row(page, error).QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Discard for good").Click();

        await page.WaitForAssertionAsync(() => Assert.Contains("the reply was not sent", page.Find(".form-ok").TextContent, StringComparison.Ordinal), Patience);
        Assert.False(await ReadAsync(db => db.Jobs.AnyAsync(j => j.Id == job.Id, Ct)));
        var after = await ReadAsync(db => db.Messages.AsNoTracking().SingleAsync(m => m.Id == message.Id, Ct));
        Assert.Equal(DeliveryState.Failed, after.Delivery);
        Assert.Contains("Discarded from the outbox", after.DeliveryDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_discards_only_parked_entries()
    {
        using var admin = App.CreateClient(AgentRole.Admin);
        var now = App.Clock.GetUtcNow();
        var pending = new Job("test.pending", "{}", now.AddHours(1), now);
        await ReadAsync(async db =>
        {
            db.Jobs.Add(pending);
            return await db.SaveChangesAsync(Ct);
        });

        var refused = await admin.DeleteAsync($"/api/v1/outbox/{pending.Id}", Ct);
        Assert.Equal("outbox.not_parked", (await refused.ProblemAsync(HttpStatusCode.Conflict, Ct)).GetProperty("code").GetString());
        Assert.True(await ReadAsync(db => db.Jobs.AnyAsync(j => j.Id == pending.Id, Ct)));
        await (await admin.DeleteAsync($"/api/v1/outbox/{Guid.NewGuid()}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);

        var parked = await ParkedAsync("test.parked", "{}", "gone");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/outbox/{parked.Id}", Ct)).StatusCode);
        Assert.DoesNotContain(await admin.GetJsonAsync<List<OutboxEntryDto>>("/api/v1/outbox?state=parked", Ct), j => j.Id == parked.Id);
    }

    [Fact]
    public async Task Failed_mail_is_listed_with_why_and_discarding_keeps_it_as_ignored_with_who_did_it()
    {
        var ingest = App.Services.GetRequiredService<MailIngest>();
        var failed = await ingest.IngestAsync(null, "test", Encoding.UTF8.GetBytes($"not a message {Guid.NewGuid():N}"), Ct);
        Assert.Equal(InboundState.Failed, failed.State);

        var page = Render<InboundPage>();
        await page.WaitForAssertionAsync(() => Assert.NotEmpty(page.FindAll($"a[href='/api/v1/inbound/{failed.InboundId}/raw']")), Patience);
        var row = page.Find($"a[href='/api/v1/inbound/{failed.InboundId}/raw']").Closest("tr")!;
        Assert.Contains("Failed", row.TextContent, StringComparison.Ordinal);
        Assert.Contains(failed.Note!, row.TextContent, StringComparison.Ordinal);

        // processing it again fails again, and the page says so
        row.QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Process again").Click();
        await page.WaitForAssertionAsync(() => Assert.Contains("failed again", page.Find(".form-error").TextContent, StringComparison.Ordinal), Patience);

        page.Find($"a[href='/api/v1/inbound/{failed.InboundId}/raw']").Closest("tr")!
            .QuerySelectorAll("button").Single(b => b.TextContent.Trim() == "Discard").Click();
        await page.WaitForAssertionAsync(() => Assert.Contains("It is kept, and makes no ticket", page.Find(".form-ok").TextContent, StringComparison.Ordinal), Patience);
        // the list is read again after the notice shows
        await page.WaitForAssertionAsync(() => Assert.Empty(page.FindAll($"a[href='/api/v1/inbound/{failed.InboundId}/raw']")), Patience);
        var stored = await ReadAsync(db => db.InboundMails.AsNoTracking().SingleAsync(m => m.Id == failed.InboundId, Ct));
        Assert.Equal(InboundState.Ignored, stored.State);
        Assert.StartsWith("Discarded by Test admin.", stored.Note, StringComparison.Ordinal);

        // once discarded, the API refuses to discard it again, and still processes it again on request
        using var admin = App.CreateClient(AgentRole.Admin);
        var again = await admin.PostAsync($"/api/v1/inbound/{failed.InboundId}/discard", null, Ct);
        Assert.Equal("inbound.not_discardable", (await again.ProblemAsync(HttpStatusCode.Conflict, Ct)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/inbound/{failed.InboundId}/retry", null, Ct)).StatusCode);
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<OutboxPage> page, string text)
        => page.FindAll("table.outbox tr").Single(r => r.TextContent.Contains(text, StringComparison.Ordinal));
}

public sealed class AdminQueueOnSqlite(SqliteApp app) : AdminQueueTests(app), IClassFixture<SqliteApp>;

public sealed class AdminQueueOnPostgres(PostgresApp app) : AdminQueueTests(app), IClassFixture<PostgresApp>;
