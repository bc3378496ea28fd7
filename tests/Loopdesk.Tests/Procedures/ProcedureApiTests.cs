using System.Net;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Procedures;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Procedures;

/// <summary>Standard procedures: checklists that fit tickets by type or tag, ticked step by step on the ticket.</summary>
public abstract class ProcedureApiTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> CodeAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("code").GetString()!;

    private async Task<ProcedureDto> AddAsync(object body)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var response = await admin.PostJsonAsync("/api/v1/procedures", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<ProcedureDto>(Ct);
    }

    [Fact]
    public async Task A_procedure_fits_tickets_of_its_type_or_tag_and_its_steps_are_ticked_and_unticked()
    {
        var tag = "refund" + Guid.NewGuid().ToString("N")[..6];
        var procedure = await AddAsync(new { name = $"Refund {tag}", tags = new[] { tag.ToUpperInvariant() }, steps = new[] { "Check the order", " ", "Confirm the amount", "Tell them when it arrives" } });
        Assert.Equal([tag], procedure.Tags);
        Assert.Equal(3, procedure.Steps.Count);

        using var agent = app.CreateClient(AgentRole.Agent);
        var fitting = await agent.CreateTicketAsync("Money back please", Ct);
        (await agent.PatchJsonAsync($"/api/v1/tickets/{fitting.Reference}", new { tags = new[] { tag } }, Ct)).EnsureSuccessStatusCode();
        var other = await agent.CreateTicketAsync("Something else", Ct);

        Assert.DoesNotContain(await agent.GetJsonAsync<List<ChecklistDto>>($"/api/v1/tickets/{other.Reference}/procedures", Ct), c => c.ProcedureId == procedure.Id);
        var checklist = (await agent.GetJsonAsync<List<ChecklistDto>>($"/api/v1/tickets/{fitting.Reference}/procedures", Ct)).Single(c => c.ProcedureId == procedure.Id);
        Assert.All(checklist.Steps, s => Assert.False(s.Done));

        var ticked = await agent.PostJsonAsync($"/api/v1/tickets/{fitting.Reference}/procedures/{procedure.Id}/steps/1", new { done = true }, Ct);
        Assert.Equal(HttpStatusCode.OK, ticked.StatusCode);
        var after = (await ticked.ReadAsync<List<ChecklistDto>>(Ct)).Single(c => c.ProcedureId == procedure.Id);
        Assert.Equal([false, true, false], after.Steps.Select(s => s.Done));
        Assert.NotNull(after.Steps[1].DoneBy);
        var events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{fitting.Reference}/events", Ct);
        Assert.Contains(events, e => e.Type == "procedure.step" && e.Data.GetProperty("text").GetString() == "Confirm the amount");

        (await agent.PostJsonAsync($"/api/v1/tickets/{fitting.Reference}/procedures/{procedure.Id}/steps/1", new { done = false }, Ct)).EnsureSuccessStatusCode();
        var undone = (await agent.GetJsonAsync<List<ChecklistDto>>($"/api/v1/tickets/{fitting.Reference}/procedures", Ct)).Single(c => c.ProcedureId == procedure.Id);
        Assert.All(undone.Steps, s => Assert.False(s.Done));

        var byType = await AddAsync(new { name = $"Complaints {tag}", types = new[] { "complaint" }, steps = new[] { "Apologise" } });
        (await agent.PatchJsonAsync($"/api/v1/tickets/{other.Reference}", new { type = "complaint" }, Ct)).EnsureSuccessStatusCode();
        Assert.Contains(await agent.GetJsonAsync<List<ChecklistDto>>($"/api/v1/tickets/{other.Reference}/procedures", Ct), c => c.ProcedureId == byType.Id);
    }

    [Fact]
    public async Task Bad_procedures_and_ticks_are_refused_with_a_reason_and_change_nothing()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var noSteps = await admin.PostJsonAsync("/api/v1/procedures", new { name = "Empty", types = new[] { "task" }, steps = Array.Empty<string>() }, Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noSteps.StatusCode);
        Assert.Equal("procedure.invalid", await CodeAsync(noSteps));
        var fitsNothing = await admin.PostJsonAsync("/api/v1/procedures", new { name = "Nowhere", steps = new[] { "Do it" } }, Ct);
        Assert.Equal("procedure.invalid", await CodeAsync(fitsNothing));
        var name = $"Unique {Guid.NewGuid():N}";
        var first = await AddAsync(new { name, types = new[] { "task" }, steps = new[] { "One" } });
        var twice = await admin.PostJsonAsync("/api/v1/procedures", new { name, types = new[] { "task" }, steps = new[] { "One" } }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Single(await admin.GetJsonAsync<List<ProcedureDto>>("/api/v1/procedures", Ct), p => p.Name == name);

        // a stale change is refused; the current version is accepted
        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/procedures/{first.Id}") { Content = JsonContent(new { name, types = new[] { "task" }, steps = new[] { "Two" } }) };
        stale.Headers.TryAddWithoutValidation("If-Match", $"\"v{first.Version + 5}\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.SendAsync(stale, Ct)).StatusCode);
        using var fresh = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/procedures/{first.Id}") { Content = JsonContent(new { name, types = new[] { "task" }, steps = new[] { "Two" } }) };
        fresh.Headers.TryAddWithoutValidation("If-Match", $"\"v{first.Version}\"");
        var replaced = await (await admin.SendAsync(fresh, Ct)).ReadAsync<ProcedureDto>(Ct);
        Assert.Equal(["Two"], replaced.Steps);

        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("A question", Ct);
        var notFitting = await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/procedures/{first.Id}/steps/0", new { done = true }, Ct);
        Assert.Equal("procedure.unknown", await CodeAsync(notFitting));
        (await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { type = "task" }, Ct)).EnsureSuccessStatusCode();
        var badStep = await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/procedures/{first.Id}/steps/7", new { done = true }, Ct);
        Assert.Equal("procedure.step_unknown", await CodeAsync(badStep));
        Assert.DoesNotContain(await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct), e => e.Type == "procedure.step");

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/procedures/{first.Id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/v1/procedures/{first.Id}", Ct)).StatusCode);
    }

    private static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}

public sealed class ProcedureApiOnSqlite(SqliteApp app) : ProcedureApiTests(app), IClassFixture<SqliteApp>;

public sealed class ProcedureApiOnPostgres(PostgresApp app) : ProcedureApiTests(app), IClassFixture<PostgresApp>;
