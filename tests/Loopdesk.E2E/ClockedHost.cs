using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Loopdesk.E2E;

/// <summary>
/// The host in the test process, on real Kestrel over SQLite in a temporary directory, with a <see cref="FakeTimeProvider"/>
/// for its clock: for the browser tests of what happens after minutes of silence (idle prompts, chats ending, missed
/// chats). The browser talks to it over loopback like to any server. Durable jobs (the chat's watch, the outbox, mail)
/// run as the job runner would, every moment, at the fake clock's time; the clock moves only when a test says so.
/// </summary>
public sealed class ClockedHost : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loopdesk-e2e-clock-").FullName;
    private readonly SemaphoreSlim _jobs = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _pump;

    // the real time at start: cookies the server sets are judged by the browser's real clock too
    public FakeTimeProvider Clock { get; } = new(TimeProvider.System.GetUtcNow());

    public string BaseUrl { get; }

    public HttpClient Api { get; } = new();

    public ClockedHost()
    {
        var port = WorkspaceHost.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        UseKestrel(options => options.Listen(IPAddress.Loopback, port));
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Loopdesk:Database:Provider", "sqlite");
        builder.UseSetting("Loopdesk:Database:ConnectionString", $"Data Source={Path.Combine(_dir, "loopdesk.db")};Pooling=True;Default Timeout=30");
        builder.UseSetting("Loopdesk:DataDirectory", Path.Combine(_dir, "data"));
        builder.UseSetting("Loopdesk:PublicUrl", BaseUrl);
        builder.UseSetting("Loopdesk:Api:RequestsPerSecond", "0");
        // the runner's own loop waits on real time; the pump below runs due jobs at the fake clock's time instead
        builder.UseSetting("Loopdesk:Jobs:Enabled", "false");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.UseSetting("LOOPDESK_ADMIN_EMAIL", WorkspaceHost.AdminEmail);
        builder.UseSetting("LOOPDESK_ADMIN_PASSWORD", WorkspaceHost.AdminPassword);
        builder.UseSetting("LOOPDESK_ADMIN_TOKEN", WorkspaceHost.AdminToken);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
        });
    }

    public async ValueTask InitializeAsync()
    {
        StartServer();
        Api.BaseAddress = new Uri(BaseUrl);
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", WorkspaceHost.AdminToken);
        for (var i = 0; !await HealthyAsync(); i++)
        {
            if (i == 300) throw new TimeoutException($"the clocked host at {BaseUrl} did not answer /healthz within 30 s");
            await Task.Delay(100);
        }
        _pump = Task.Run(PumpAsync);
    }

    private async Task<bool> HealthyAsync()
    {
        try
        {
            return (await Api.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Runs every job due at the fake clock's time now, as the job runner would; returns how many ran.</summary>
    public async Task<int> RunJobsAsync()
    {
        await _jobs.WaitAsync();
        try
        {
            return await Services.GetRequiredService<Jobs.JobRunner>().RunDueAsync(_stop.Token);
        }
        finally
        {
            _jobs.Release();
        }
    }

    /// <summary>Moves the clock on and runs what fell due (the pump would, a moment later).</summary>
    public Task<int> AdvanceAsync(TimeSpan by)
    {
        Clock.Advance(by);
        return RunJobsAsync();
    }

    /// <summary>The reference of a ticket the API names by id (a chat's ticketId).</summary>
    public async Task<string> TicketReferenceAsync(Guid ticketId)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Data.LoopdeskDb>();
        return await db.Tickets.Where(t => t.Id == ticketId).Select(t => t.Reference).SingleAsync();
    }

    private async Task PumpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await RunJobsAsync();
                await Task.Delay(200, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e)
            {
                Console.WriteLine("clocked host: running due jobs failed: " + e);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pump is not null) await _pump;
        Api.Dispose();
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        _stop.Dispose();
        _jobs.Dispose();
        GC.SuppressFinalize(this);
    }
}
