using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Platform;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Loopdesk.Tests.Infrastructure;

/// <summary>
/// The real host over a real database, one per test class: migrations run at start, the first admin and its token come from
/// the LOOPDESK_ADMIN_* settings exactly as in production, and one staff member per role is made through the API.
/// Time is a <see cref="FakeTimeProvider"/>.
/// </summary>
public abstract class LoopdeskApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminToken = "ldk_test_admin_token_0123456789abcdef";
    public static readonly JsonSerializerOptions JsonOptions = CreateJsonOptions();

    private readonly Dictionary<AgentRole, (Guid Id, string Token)> _staff = [];

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));

    /// <summary>This host's data directory (file store, key ring), deleted afterwards.</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("loopdesk-data-").FullName;

    public abstract string Provider { get; }

    protected abstract string ConnectionString { get; }

    public Guid AgentId(AgentRole role) => _staff[role].Id;

    public string TokenOf(AgentRole role) => _staff[role].Token;

    /// <summary>A client signed in with the API token of the staff member holding <paramref name="role"/>.</summary>
    public HttpClient CreateClient(AgentRole role) => ClientWithToken(_staff[role].Token);

    /// <summary>Runs every outbox entry and timer due at the fake clock's time, as the job runner would; returns how many ran.</summary>
    public Task<int> RunJobsAsync() => Services.GetRequiredService<Loopdesk.Jobs.JobRunner>().RunDueAsync(TestContext.Current.CancellationToken);

    /// <summary>Moves the fake clock on and runs what fell due.</summary>
    public Task<int> AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        return RunJobsAsync();
    }

    public HttpClient ClientWithToken(string? token)
    {
        var client = CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Loopdesk:Database:Provider", Provider);
        builder.UseSetting("Loopdesk:Database:ConnectionString", ConnectionString);
        builder.UseSetting("Loopdesk:Api:RequestsPerSecond", "0");
        builder.UseSetting("Loopdesk:DataDirectory", DataDirectory);
        // due jobs run when a test says so (RunJobsAsync), at the fake clock's time, never behind its back
        builder.UseSetting("Loopdesk:Jobs:Enabled", "false");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.UseSetting("Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime", "Warning");
        builder.UseSetting("LOOPDESK_ADMIN_EMAIL", "admin@loopdesk.test");
        builder.UseSetting("LOOPDESK_ADMIN_PASSWORD", "admin-password-1");
        builder.UseSetting("LOOPDESK_ADMIN_TOKEN", AdminToken);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
    }

    public virtual async ValueTask InitializeAsync()
    {
        await PrepareDatabaseAsync();
        using var admin = ClientWithToken(AdminToken);
        var me = await admin.GetFromJsonAsync<AgentDto>("/api/v1/me", JsonOptions);
        _staff[AgentRole.Admin] = (me!.Id, AdminToken);
        foreach (var role in new[] { AgentRole.Supervisor, AgentRole.Agent, AgentRole.Collaborator })
        {
            var name = Core.Common.Wire.Name(role);
            var created = await admin.PostAsJsonAsync("/api/v1/agents", new { name = $"Test {name}", email = $"{name}@loopdesk.test", role = name }, JsonOptions);
            created.EnsureSuccessStatusCode();
            var agent = (await created.Content.ReadFromJsonAsync<AgentDto>(JsonOptions))!;
            var token = await admin.PostAsJsonAsync($"/api/v1/agents/{agent.Id}/tokens", new { name = "tests" }, JsonOptions);
            token.EnsureSuccessStatusCode();
            _staff[role] = (agent.Id, (await token.Content.ReadFromJsonAsync<CreatedTokenDto>(JsonOptions))!.Token);
        }
    }

    protected virtual Task PrepareDatabaseAsync() => Task.CompletedTask;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Json.Configure(options);
        options.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip;
        return options;
    }
}

/// <summary>SQLite in a temporary data directory, deleted afterwards.</summary>
public class SqliteApp : LoopdeskApp
{
    private readonly string _directory = Directory.CreateTempSubdirectory("loopdesk-test-").FullName;

    public override string Provider => "sqlite";

    protected override string ConnectionString => $"Data Source={Path.Combine(_directory, "loopdesk.db")};Pooling=True;Default Timeout=30";

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A database of its own on the test PostgreSQL server, dropped afterwards.</summary>
public class PostgresApp : LoopdeskApp
{
    private readonly string _database = TestPostgres.NewDatabaseName("test");

    public override string Provider => "postgres";

    protected override string ConnectionString => TestPostgres.ConnectionStringFor(_database);

    protected override Task PrepareDatabaseAsync() => TestPostgres.CreateAsync(_database);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await TestPostgres.DropAsync(_database);
        GC.SuppressFinalize(this);
    }
}
