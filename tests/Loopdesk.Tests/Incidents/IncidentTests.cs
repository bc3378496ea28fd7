using System.Net;
using System.ServiceModel.Syndication;
using System.Xml;
using Loopdesk.Core.Agents;
using Loopdesk.Credits;
using Loopdesk.Data;
using Loopdesk.Incidents;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Incidents;

/// <summary>Incidents from draft to resolved: the public page and feed, the linked customers and subscribers told through the outbox, compensation given once.</summary>
public abstract class IncidentTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Func<LoopdeskDb, Task<T>> read)
    {
        using var scope = app.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }

    [Fact]
    public async Task A_draft_is_private_until_published_and_a_stale_if_match_changes_nothing()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        using var visitor = app.CreateClient();
        using var admin = app.CreateClient(AgentRole.Admin);
        var service = await (await admin.PostJsonAsync("/api/v1/status/services", new { name = $"Checkout {Guid.NewGuid():N}" }, Ct)).ReadAsync<ServiceStateDto>(Ct);
        var title = $"Payments fail {Guid.NewGuid():N}";
        var draft = await StatusKit.CreateIncidentAsync(supervisor, new
        {
            title, description = "Card payments are declined at checkout.", serviceIds = new[] { service.Id }, impact = "major",
            prevention = "A second payment provider takes over automatically.", apology = "We are sorry for the trouble.",
            compensationKind = "discount", compensationAmount = 5,
        }, Ct);
        Assert.False(draft.Published);
        Assert.Equal(IncidentStatus.Investigating, draft.Status);
        Assert.Single(draft.Updates);

        Assert.DoesNotContain(title, await visitor.GetStringAsync("/status", Ct));
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync($"/status/incidents/{draft.Id}", Ct)).StatusCode);
        Assert.DoesNotContain(title, await visitor.GetStringAsync("/status/feed.atom", Ct));

        var stale = await supervisor.PatchJsonAsync($"/api/v1/incidents/{draft.Id}", new { published = true, title = "Changed" }, Ct, ifMatch: $"\"v{draft.Version + 3}\"");
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
        var unchanged = await supervisor.GetJsonAsync<IncidentDto>($"/api/v1/incidents/{draft.Id}", Ct);
        Assert.Equal((title, false, draft.Version), (unchanged.Title, unchanged.Published, unchanged.Version));

        var published = await (await supervisor.PatchJsonAsync($"/api/v1/incidents/{draft.Id}", new { published = true, eta = app.Clock.GetUtcNow().AddHours(3) }, Ct,
            ifMatch: $"\"v{draft.Version}\"")).ReadAsync<IncidentDto>(Ct);
        Assert.True(published.Published);

        var page = await visitor.GetStringAsync("/status", Ct);
        Assert.Contains(title, page);
        Assert.Contains("Card payments are declined at checkout.", page);
        Assert.Contains("A second payment provider takes over automatically.", page);
        Assert.Contains("We are sorry for the trouble.", page);
        Assert.Contains("a discount of 5.00 EUR", page);
        Assert.Contains("Partial outage", page);
        Assert.DoesNotContain("MudBlazor", page);
        Assert.DoesNotContain("blazor.web.js", page);
        var services = await visitor.GetJsonAsync<List<ServiceStateDto>>("/api/v1/status/services", Ct);
        Assert.Equal("partial-outage", services.Single(s => s.Id == service.Id).State);

        // the update history, then resolved: it moves to the past incidents
        (await supervisor.PostJsonAsync($"/api/v1/incidents/{draft.Id}/updates", new { text = "The provider found a certificate problem.", status = "identified" }, Ct)).EnsureSuccessStatusCode();
        var resolved = await (await supervisor.PostJsonAsync($"/api/v1/incidents/{draft.Id}/resolve", new { text = "Payments work again." }, Ct)).ReadAsync<ResolveResultDto>(Ct);
        Assert.Equal(IncidentStatus.Resolved, resolved.Incident.Status);
        Assert.Equal(["Payments work again.", "The provider found a certificate problem.", "Card payments are declined at checkout."], resolved.Incident.Updates.Select(u => u.Text));
        var history = await visitor.GetStringAsync($"/status/incidents/{draft.Id}", Ct);
        Assert.Contains("The provider found a certificate problem.", history);
        Assert.Contains("Payments work again.", history);
        Assert.Contains("operational", (await visitor.GetJsonAsync<List<ServiceStateDto>>("/api/v1/status/services", Ct)).Single(s => s.Id == service.Id).State);

        var late = await supervisor.PostJsonAsync($"/api/v1/incidents/{draft.Id}/updates", new { text = "One more thing." }, Ct);
        await late.ProblemAsync(HttpStatusCode.Conflict, Ct);
    }

    [Fact]
    public async Task Unknown_ids_are_404_and_bad_incidents_are_refused_without_a_trace()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var unknown = Guid.NewGuid();
        await (await supervisor.GetAsync($"/api/v1/incidents/{unknown}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await supervisor.PatchJsonAsync($"/api/v1/incidents/{unknown}", new { title = "x" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await supervisor.PostJsonAsync($"/api/v1/incidents/{unknown}/updates", new { text = "x" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await supervisor.PostJsonAsync($"/api/v1/incidents/{unknown}/resolve", new { }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await supervisor.PostJsonAsync($"/api/v1/incidents/{unknown}/tickets", new { reference = "AAAA-BBBB" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        using var visitor = app.CreateClient();
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync($"/status/incidents/{unknown}", Ct)).StatusCode);

        var before = await DbAsync(db => db.Incidents.CountAsync(Ct));
        var noServices = await supervisor.PostJsonAsync("/api/v1/incidents", new { title = "Ghost service", description = "x", serviceIds = new[] { Guid.NewGuid() } }, Ct);
        Assert.Equal("service.unknown", (await noServices.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        var halfCompensation = await supervisor.PostJsonAsync("/api/v1/incidents", new { title = "Half", description = "x", compensationKind = "refund" }, Ct);
        Assert.Equal("compensationAmount", (await halfCompensation.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        var negative = await supervisor.PostJsonAsync("/api/v1/incidents", new { title = "Negative", description = "x", compensationKind = "refund", compensationAmount = -5 }, Ct);
        await negative.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        var empty = await supervisor.PostJsonAsync("/api/v1/incidents", new { title = "", description = "x" }, Ct);
        await empty.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(before, await DbAsync(db => db.Incidents.CountAsync(Ct)));

        var incident = await StatusKit.CreateIncidentAsync(supervisor, new { title = "Grant nothing", description = "x" }, Ct);
        var noComp = await supervisor.PostJsonAsync($"/api/v1/incidents/{incident.Id}/resolve", new { grantCompensation = true }, Ct);
        Assert.Equal("incident.no_compensation", (await noComp.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        Assert.Equal(IncidentStatus.Investigating, (await supervisor.GetJsonAsync<IncidentDto>($"/api/v1/incidents/{incident.Id}", Ct)).Status);
    }

    [Fact]
    public async Task An_update_reaches_linked_customers_on_their_ticket_and_confirmed_subscribers_through_the_outbox()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("No internet since this morning", Ct);
        var other = await agent.CreateTicketAsync("Unrelated question", Ct);
        var incident = await StatusKit.CreateIncidentAsync(supervisor, new { title = $"Fibre cut {Guid.NewGuid():N}", description = "A cable was cut north of town.", published = true }, Ct);
        var linked = await (await agent.PostJsonAsync($"/api/v1/incidents/{incident.Id}/tickets", new { reference = ticket.Reference }, Ct)).ReadAsync<List<LinkedTicketDto>>(Ct);
        Assert.Equal([ticket.Reference], linked.Select(l => l.Reference));
        (await agent.PostJsonAsync($"/api/v1/incidents/{incident.Id}/tickets", new { reference = ticket.Reference }, Ct)).EnsureSuccessStatusCode();
        Assert.Single(await agent.GetJsonAsync<List<LinkedTicketDto>>($"/api/v1/incidents/{incident.Id}/tickets", Ct));
        Assert.Contains(await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct), e => e.Type == "incident.linked");

        // one confirmed subscriber and one who never confirmed
        var confirmed = await DbAsync(async db =>
        {
            var s = new StatusSubscriber($"ok{Guid.NewGuid():N}@example.com", app.Clock.GetUtcNow());
            s.Confirm(app.Clock.GetUtcNow());
            var pending = new StatusSubscriber($"pending{Guid.NewGuid():N}@example.com", app.Clock.GetUtcNow());
            pending.AwaitConfirmation("0".PadLeft(64, '0'), app.Clock.GetUtcNow().AddDays(1));
            db.StatusSubscribers.AddRange(s, pending);
            await db.SaveChangesAsync(Ct);
            return (s.Id, PendingId: pending.Id);
        });
        await app.RunJobsAsync();

        var update = await (await supervisor.PostJsonAsync($"/api/v1/incidents/{incident.Id}/updates", new { text = "Crews are splicing the cable now.", status = "identified" }, Ct)).ReadAsync<IncidentDto>(Ct);
        var updateId = update.Updates[0].Id;
        // nothing is told inside the request: a job in the outbox does it
        Assert.DoesNotContain((await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)), m => m.Body.Contains("splicing", StringComparison.Ordinal));
        Assert.True(await DbAsync(db => db.Jobs.AnyAsync(j => j.Kind == IncidentCommands.NotifyKind && j.Payload.Contains(updateId.ToString()), Ct)));
        await app.RunJobsAsync();

        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        var told = Assert.Single(messages, m => m.Body.Contains("Crews are splicing the cable now.", StringComparison.Ordinal));
        Assert.Equal(Core.Common.ActorKind.System, told.AuthorKind);
        Assert.False(told.Internal);
        Assert.Contains($"/status/incidents/{incident.Id}", told.Body);
        Assert.DoesNotContain(await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{other.Reference}/messages", Ct), m => m.Body.Contains("splicing", StringComparison.Ordinal));

        var mails = await DbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Kind == StatusSubscriptions.MailKind && j.Payload.Contains(updateId.ToString())).Select(j => j.Payload).ToListAsync(Ct));
        Assert.Single(mails, p => p.Contains(confirmed.Id.ToString(), StringComparison.Ordinal));
        Assert.DoesNotContain(mails, p => p.Contains(confirmed.PendingId.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolving_grants_the_announced_compensation_to_each_linked_customer_once()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        using var agent = app.CreateClient(AgentRole.Agent);
        var email = $"twice{Guid.NewGuid():N}@example.com";
        var first = await agent.CreateTicketAsync("Down again", Ct, email);
        var second = await agent.CreateTicketAsync("Still down", Ct, email);
        var third = await agent.CreateTicketAsync("Our office is offline", Ct);
        var incident = await StatusKit.CreateIncidentAsync(supervisor, new
        {
            title = "Outage with compensation", description = "Everything is down.", published = true, compensationKind = "account-credit", compensationAmount = 15, compensationCurrency = "usd",
        }, Ct);
        Assert.Equal(new CompensationDto(CreditKind.AccountCredit, 15, "USD"), incident.Compensation);
        foreach (var t in new[] { first, second, third }) (await agent.PostJsonAsync($"/api/v1/incidents/{incident.Id}/tickets", new { reference = t.Reference }, Ct)).EnsureSuccessStatusCode();

        var resolved = await (await supervisor.PostJsonAsync($"/api/v1/incidents/{incident.Id}/resolve", new { text = "All fixed.", grantCompensation = true }, Ct)).ReadAsync<ResolveResultDto>(Ct);
        Assert.Equal(2, resolved.CreditsGranted);
        Assert.NotNull(resolved.Incident.CompensatedAt);
        var ledger = await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{first.CustomerId}/credits", Ct);
        var credit = Assert.Single(ledger.Items);
        Assert.Equal((CreditKind.AccountCredit, 15m, "USD", CreditStatus.Approved, incident.Id), (credit.Kind, credit.Amount, credit.Currency, credit.Status, credit.IncidentId));
        Assert.Equal([new CurrencyTotal("USD", 15)], ledger.Totals);

        var again = await (await supervisor.PostJsonAsync($"/api/v1/incidents/{incident.Id}/resolve", new { grantCompensation = true }, Ct)).ReadAsync<ResolveResultDto>(Ct);
        Assert.Equal(0, again.CreditsGranted);
        Assert.Single((await agent.GetJsonAsync<CreditLedgerDto>($"/api/v1/customers/{first.CustomerId}/credits", Ct)).Items);
        await (await supervisor.PostJsonAsync($"/api/v1/incidents/{incident.Id}/resolve", new { }, Ct)).ProblemAsync(HttpStatusCode.Conflict, Ct);

        // a customer linked after resolving gets it on the next grant, the others do not get it twice
        var late = await agent.CreateTicketAsync("Was down yesterday", Ct);
        (await agent.PostJsonAsync($"/api/v1/incidents/{incident.Id}/tickets", new { reference = late.Reference }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(1, (await (await supervisor.PostJsonAsync($"/api/v1/incidents/{incident.Id}/resolve", new { grantCompensation = true }, Ct)).ReadAsync<ResolveResultDto>(Ct)).CreditsGranted);
        Assert.Equal(3, await DbAsync(db => db.Credits.CountAsync(c => c.IncidentId == incident.Id, Ct)));
    }

    [Fact]
    public async Task The_atom_feed_is_valid_and_lists_published_incidents_only()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var published = await StatusKit.CreateIncidentAsync(supervisor, new { title = $"Mail delayed {Guid.NewGuid():N}", description = "Outgoing mail is queued.", published = true }, Ct);
        var draft = await StatusKit.CreateIncidentAsync(supervisor, new { title = $"Secret draft {Guid.NewGuid():N}", description = "Not yet public." }, Ct);
        using var visitor = app.CreateClient();
        var response = await visitor.GetAsync("/status/feed.atom", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/atom+xml", response.Content.Headers.ContentType?.MediaType);
        var xml = await response.Content.ReadAsStringAsync(Ct);
        using var reader = XmlReader.Create(new StringReader(xml));
        var formatter = new Atom10FeedFormatter();
        Assert.True(formatter.CanRead(reader));
        formatter.ReadFrom(reader);
        var entry = Assert.Single(formatter.Feed.Items, i => i.Id == $"urn:uuid:{published.Id}");
        Assert.Contains(published.Title, entry.Title.Text);
        Assert.EndsWith($"/status/incidents/{published.Id}", entry.Links[0].Uri.ToString());
        Assert.DoesNotContain(formatter.Feed.Items, i => i.Id == $"urn:uuid:{draft.Id}");
        Assert.Contains("http://www.w3.org/2005/Atom", xml);
    }

    [Fact]
    public async Task The_status_page_and_feed_show_a_change_at_once()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var incident = await StatusKit.CreateIncidentAsync(supervisor, new { title = $"Slow search {Guid.NewGuid():N}", description = "Search takes seconds.", published = true }, Ct);
        using var visitor = app.CreateClient();
        Assert.Contains(incident.Title, await visitor.GetStringAsync("/status", Ct));
        Assert.Contains(incident.Title, await visitor.GetStringAsync("/status/feed.atom", Ct));
        // the portal's front page shows it in its status section, and a change evicts the cached front page too
        Assert.Contains(incident.Title, await visitor.GetStringAsync("/", Ct));

        var renamed = $"Search is slow {Guid.NewGuid():N}";
        (await supervisor.PatchJsonAsync($"/api/v1/incidents/{incident.Id}", new { title = renamed }, Ct)).EnsureSuccessStatusCode();
        var page = await visitor.GetStringAsync("/status", Ct);
        Assert.Contains(renamed, page);
        Assert.DoesNotContain(incident.Title, page);
        Assert.Contains(renamed, await visitor.GetStringAsync("/status/feed.atom", Ct));
        Assert.Contains(renamed, await visitor.GetStringAsync("/", Ct));
    }

    [Fact]
    public async Task Anonymous_visitors_get_the_status_pages_from_the_cache_without_a_cookie_and_forms_keep_theirs()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var incident = await StatusKit.CreateIncidentAsync(supervisor, new { title = $"Mail delayed {Guid.NewGuid():N}", description = "Mail arrives late.", published = true }, Ct);
        using var visitor = app.CreateClient();
        foreach (var path in new[] { "/status", $"/status/incidents/{incident.Id}" })
        {
            using var first = await visitor.GetAsync(path, Ct);
            using var second = await visitor.GetAsync(path, Ct);
            foreach (var response in new[] { first, second })
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.False(response.Headers.Contains("Set-Cookie"), $"{path} sets a cookie");
                Assert.Contains(incident.Title, await response.Content.ReadAsStringAsync(Ct));
            }
            // the second answer is the first one's rendering, served from the output cache
            Assert.NotNull(second.Headers.Age);
        }
        // the subscription form is not cached and still gets its anti-forgery cookie
        using var form = await visitor.GetAsync("/status/subscribe", Ct);
        Assert.Contains(form.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
    }
}

public sealed class IncidentsOnSqlite(RoomySqliteApp app) : IncidentTests(app), IClassFixture<RoomySqliteApp>;

public sealed class IncidentsOnPostgres(RoomyPostgresApp app) : IncidentTests(app), IClassFixture<RoomyPostgresApp>;
