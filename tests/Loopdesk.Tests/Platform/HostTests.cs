using System.Net;
using System.Text.Json;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Loopdesk.Tests.Platform;

public abstract class HostTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_checks_the_database()
    {
        using var client = app.ClientWithToken(null);
        var response = await client.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_operation_with_a_summary_and_every_api_operation_with_a_description()
    {
        using var client = app.ClientWithToken(null);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        var paths = doc.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/api/v1/tickets", "/api/v1/tickets/{reference}", "/api/v1/tickets/{reference}/events", "/api/v1/tickets/{reference}/messages",
            "/api/v1/tickets/{reference}/contacts", "/api/v1/customers", "/api/v1/customers/lookup", "/api/v1/customers/{id}/timeline",
            "/api/v1/customers/{id}/merge", "/api/v1/teams", "/api/v1/agents", "/api/v1/search" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }
        var undescribed = new List<string>();
        foreach (var path in paths.EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                Assert.True(operation.Value.TryGetProperty("summary", out var summary) && summary.GetString()!.Length > 0, $"{operation.Name} {path.Name} has no summary");
                // docs/api.md promises integrators a description of every operation of the REST API
                if (path.Name.StartsWith("/api/v1/", StringComparison.Ordinal)
                    && !(operation.Value.TryGetProperty("description", out var description) && !string.IsNullOrWhiteSpace(description.GetString())))
                {
                    undescribed.Add($"{operation.Name.ToUpperInvariant()} {path.Name}");
                }
            }
        }
        Assert.True(undescribed.Count == 0, $"{undescribed.Count} operations have no description:\n{string.Join('\n', undescribed)}");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/reference", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_errors_and_headers_an_integrator_handles()
    {
        using var client = app.ClientWithToken(null);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        var paths = doc.RootElement.GetProperty("paths");
        JsonElement Responses(string path, string method) => paths.GetProperty(path).GetProperty(method).GetProperty("responses");
        string[] Statuses(string path, string method) => [.. Responses(path, method).EnumerateObject().Select(r => r.Name).Order()];

        Assert.Equal(["201", "400", "401", "403", "413", "415", "422", "429"], Statuses("/api/v1/tickets", "post"));
        Assert.Equal(["200", "400", "401", "403", "404", "412", "413", "415", "422", "429"], Statuses("/api/v1/tickets/{reference}", "patch"));
        Assert.Equal(["200", "400", "401", "403", "404", "429"], Statuses("/api/v1/tickets/{reference}", "get"));
        Assert.DoesNotContain("401", Statuses("/api/v1/auth/login", "post"));
        Assert.True(Responses("/api/v1/tickets", "post").GetProperty("201").GetProperty("headers").TryGetProperty("Location", out _));
        foreach (var method in new[] { "get", "patch" })
        {
            Assert.True(Responses("/api/v1/tickets/{reference}", method).GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
            Assert.True(Responses("/api/v1/customers/{id}", method).GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        }
        // every error points at the problem's shape, which the document holds
        var problem = Responses("/api/v1/tickets", "post").GetProperty("422").GetProperty("content").GetProperty("application/problem+json").GetProperty("schema");
        var name = problem.GetProperty("$ref").GetString()!.Split('/')[^1];
        var schema = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(name);
        Assert.All(new[] { "type", "title", "status", "detail", "field", "code", "errors" }, p => Assert.True(schema.GetProperty("properties").TryGetProperty(p, out _), p));
    }

    [Fact]
    public async Task The_openapi_document_names_query_parameters_in_camel_case_as_the_api_does()
    {
        using var client = app.ClientWithToken(null);
        using var doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        var paths = doc.RootElement.GetProperty("paths");
        string[] QueryOf(JsonElement operation) => operation.TryGetProperty("parameters", out var parameters)
            ? [.. parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!)]
            : [];

        Assert.Equal(["status", "teamId", "assigneeId", "customerId", "tag", "q", "cursor", "limit"], QueryOf(paths.GetProperty("/api/v1/tickets").GetProperty("get")));
        var pascal = paths.EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().SelectMany(operation => QueryOf(operation.Value).Select(name => $"{operation.Name.ToUpperInvariant()} {path.Name} {name}")))
            .Where(parameter => char.IsUpper(parameter.Split(' ')[^1][0]))
            .ToList();
        Assert.True(pascal.Count == 0, $"query parameters not in camelCase:\n{string.Join('\n', pascal)}");
    }

    [Fact]
    public async Task The_chat_widget_is_served_to_anyone_small_and_revalidated_so_that_updates_reach_sites()
    {
        using var client = app.ClientWithToken(null);
        var response = await client.GetAsync("/chat/widget.js", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        // the URL has no fingerprint, so a site's page always asks whether its copy is still current
        Assert.NotNull(response.Headers.ETag);
        Assert.True(response.Headers.CacheControl is { NoCache: true } or { MaxAge.TotalSeconds: <= 3600 }, $"Cache-Control: {response.Headers.CacheControl}");
        var script = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.InRange(Chat.WidgetTests.Gzipped(script), 1, 35 * 1024);

        using var revalidate = new HttpRequestMessage(HttpMethod.Get, "/chat/widget.js");
        revalidate.Headers.IfNoneMatch.Add(response.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(revalidate, Ct)).StatusCode);
    }

    [Fact]
    public async Task Metrics_are_exported_for_scraping()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        await client.CreateTicketAsync("Counted", Ct);
        var text = await client.GetStringAsync("/metrics", Ct);
        Assert.Contains("loopdesk_tickets_created", text, StringComparison.Ordinal);
        if (app.Provider == "sqlite")
        {
            // SQLite's one writer: how long it was held (the ticket above took it)
            var held = text.Split('\n').FirstOrDefault(l => l.StartsWith("loopdesk_sqlite_write_gate_held_seconds_total{", StringComparison.Ordinal));
            Assert.NotNull(held);
            Assert.True(double.Parse(held.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture) > 0, held);
        }
    }

    [Fact]
    public async Task Teams_have_unique_names_and_list_their_members()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var name = $"Senior {Guid.NewGuid():N}";
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name, leadId = app.AgentId(AgentRole.Supervisor) }, Ct)).ReadAsync<TeamDto>(Ct);
        var duplicate = await admin.PostJsonAsync("/api/v1/teams", new { name }, Ct);
        Assert.Equal("name", (await duplicate.ProblemAsync(HttpStatusCode.Conflict, Ct)).Field());

        var agent = await (await admin.PostJsonAsync("/api/v1/agents", new { name = "Tier Two", email = $"t2{Guid.NewGuid():N}@loopdesk.test", role = "agent", tier = "tier2", teamIds = new[] { team.Id } }, Ct)).ReadAsync<AgentDto>(Ct);
        var listed = await admin.GetJsonAsync<TeamDto>($"/api/v1/teams/{team.Id}", Ct);
        Assert.Equal([agent.Id], listed.MemberIds);
        Assert.Equal(app.AgentId(AgentRole.Supervisor), listed.LeadId);

        var unknown = await admin.PostJsonAsync("/api/v1/agents", new { name = "Lost", email = $"lost{Guid.NewGuid():N}@loopdesk.test", teamIds = new[] { Guid.NewGuid() } }, Ct);
        Assert.Equal("teamIds", (await unknown.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());

        var renamed = await (await admin.PatchJsonAsync($"/api/v1/teams/{team.Id}", new { name = name + " II", leadId = (Guid?)null }, Ct)).ReadAsync<TeamDto>(Ct);
        Assert.Null(renamed.LeadId);
    }

    [Fact]
    public async Task A_flood_from_one_caller_is_answered_429_while_others_go_on()
    {
        await using var limited = app.WithWebHostBuilder(b => b.UseSetting("Loopdesk:Api:RequestsPerSecond", "3"));
        using var flooder = limited.CreateClient();
        flooder.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.TokenOf(AgentRole.Agent));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++) statuses.Add((await flooder.GetAsync("/api/v1/teams", Ct)).StatusCode);

        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var rejected = await flooder.GetAsync("/api/v1/teams", Ct);
        Assert.Equal("urn:loopdesk:problem:rate-limited", (await rejected.ProblemAsync(HttpStatusCode.TooManyRequests, Ct)).GetProperty("type").GetString());

        using var other = limited.CreateClient();
        other.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", app.TokenOf(AgentRole.Supervisor));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/teams", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_first_admin_from_the_environment_is_created_once()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var agents = await admin.GetJsonAsync<List<AgentDto>>("/api/v1/agents", Ct);
        Assert.Single(agents, a => a.Email == "admin@loopdesk.test" && a.Role == AgentRole.Admin);
        var tokens = await admin.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{app.AgentId(AgentRole.Admin)}/tokens", Ct);
        Assert.Single(tokens, t => t.Name == "bootstrap");
    }
}

public sealed class HostOnSqlite(SqliteApp app) : HostTests(app), IClassFixture<SqliteApp>;

public sealed class HostOnPostgres(PostgresApp app) : HostTests(app), IClassFixture<PostgresApp>;
