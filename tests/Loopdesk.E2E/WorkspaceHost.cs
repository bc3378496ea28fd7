using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Loopdesk.E2E.WorkspaceHost))]
[assembly: CaptureConsole]
// one server and one browser, on small machines: tests take turns, so a slow moment is not mistaken for a failure
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace Loopdesk.E2E;

/// <summary>
/// The real host as an operator runs it: <c>loopdesk seed-demo</c>, then <c>loopdesk serve</c> on a free loopback port over
/// SQLite in a temporary directory, and headless Chromium from Debian's package driven by Playwright.
/// </summary>
public sealed class WorkspaceHost : IAsyncLifetime
{
    public const string AdminEmail = "admin@example.org";
    public const string AdminPassword = "correct-horse-battery";
    public const string AdminToken = "ldk_e2e_admin_token_0123456789abcdef";
    /// <summary>Every seeded staff member's password (see the seed-demo command).</summary>
    public const string DemoPassword = "demo-password-1";

    private readonly string _dir = Directory.CreateTempSubdirectory("loopdesk-e2e-").FullName;
    private Process? _server;
    private IPlaywright? _playwright;

    public string BaseUrl { get; private set; } = "";
    public System.Collections.Concurrent.ConcurrentQueue<string> ServerLog { get; } = new();
    public IBrowser Browser { get; private set; } = default!;
    public HttpClient Api { get; private set; } = default!;
    public string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var seed = Start("seed-demo");
        await seed.WaitForExitAsync();
        if (seed.ExitCode != 0) throw new InvalidOperationException("seed-demo failed: " + await seed.StandardError.ReadToEndAsync());

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _server = Start("serve", "--urls", BaseUrl);
        Api = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        await WaitForHealthAsync();

        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath(), Headless = true });
    }

    // links in mail (portal sign-in, surveys) lead back to this server
    private Process Start(params string[] args) => StartLoopdesk(_dir,
        BaseUrl.Length > 0 ? new Dictionary<string, string> { ["Loopdesk__PublicUrl"] = BaseUrl } : new Dictionary<string, string>(), ServerLog.Enqueue, args);

    /// <summary>
    /// Runs the built server (Debug or Release, as this test binary) in <paramref name="directory"/> with its data under
    /// data/, the E2E admin, and <paramref name="environment"/>; warnings and errors it logs go to <paramref name="log"/>.
    /// </summary>
    public static Process StartLoopdesk(string directory, IReadOnlyDictionary<string, string> environment, Action<string> log, params string[] args)
    {
        var binary = Path.Combine(RepoRoot(), "src", "Loopdesk", "bin", Configuration(), "net10.0", "loopdesk.dll");
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(binary);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["LOOPDESK_ADMIN_EMAIL"] = AdminEmail;
        info.Environment["LOOPDESK_ADMIN_PASSWORD"] = AdminPassword;
        info.Environment["LOOPDESK_ADMIN_TOKEN"] = AdminToken;
        info.Environment["Loopdesk__DataDirectory"] = Path.Combine(directory, "data");
        info.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start loopdesk");
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line && (line.Contains("\"@l\":\"Error", StringComparison.Ordinal) || line.Contains("\"@l\":\"Warning", StringComparison.Ordinal))) log(line); };
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>
    /// A second server of the same build, on an empty database of its own (the bootstrap admin and nothing else) and with
    /// settings of its own as environment variables (<c>Loopdesk__Workspace__RequireTwoFactor</c>), for the tests of a
    /// setting the shared host does not have. Stopped, and its data deleted, when disposed.
    /// </summary>
    public async Task<OtherHost> StartOtherAsync(IReadOnlyDictionary<string, string> settings)
    {
        var dir = Directory.CreateTempSubdirectory("loopdesk-e2e-other-").FullName;
        var url = $"http://127.0.0.1:{FreePort()}";
        var server = StartLoopdesk(dir, settings, ServerLog.Enqueue, "serve", "--urls", url);
        var other = new OtherHost(url, server, dir);
        try
        {
            await WaitForHealthAsync(server, url);
        }
        catch
        {
            await other.DisposeAsync();
            throw;
        }
        return other;
    }

    private Task WaitForHealthAsync() => WaitForHealthAsync(_server!, BaseUrl);

    /// <summary>Waits up to 30 s for the server at <paramref name="baseUrl"/> to answer /healthz.</summary>
    public static async Task WaitForHealthAsync(Process server, string baseUrl)
    {
        using var probe = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            if (server.HasExited) throw new InvalidOperationException("loopdesk serve exited: " + await server.StandardError.ReadToEndAsync());
            try
            {
                if ((await probe.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("loopdesk serve did not answer /healthz within 30 s");
    }

    /// <summary>A staff member's browser, signed in to this server or the one at <paramref name="baseUrl"/>, on their inbox with the circuit up.</summary>
    public async Task<IPage> SignedInPageAsync(string email, string password, ViewportSize? viewport = null, string? baseUrl = null)
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = baseUrl ?? BaseUrl, ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        page.SetDefaultNavigationTimeout(30_000);
        page.Console += (_, m) => { if (m.Type is "error" or "warning") Console.WriteLine($"browser {m.Type}: {m.Text}"); };
        await SignInAsync(page, email, password);
        try
        {
            // the redirect is enough: the page's load event (every script and style fetched) is not waited for, as it can
            // take long on a busy machine; the circuit being ready below is what the tests need. A sign-in once took over
            // 30 s to answer during a full test run on two cores, so the redirect gets a minute.
            await page.WaitForURLAsync("**/inbox/mine", new() { WaitUntil = WaitUntilState.Commit, Timeout = 60_000 });
            await page.Locator("[data-circuit=ready]").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
        }
        catch (TimeoutException)
        {
            foreach (var line in ServerLog) Console.WriteLine("server: " + line);
            throw;
        }
        return page;
    }

    /// <summary>Fills in and sends the sign-in form; where it leads is the caller's to check.</summary>
    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Waits until the interactive circuit has taken over the page (before that, clicks go nowhere).</summary>
    public static async Task WaitForCircuitAsync(IPage page)
    {
        await page.Locator("[data-circuit=ready]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    }

    public async Task ScreenshotAsync(IPage page, string name)
        => await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>The serious and critical accessibility violations axe-core finds on the page, described.</summary>
    public static async Task<string[]> SeriousViolationsAsync(IPage page)
    {
        AxeResult result = await page.RunAxe();
        return [.. result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => $"{n.Target} {n.Html}"))}")];
    }

    public async Task<T> GetAsync<T>(string path) => (await Api.GetFromJsonAsync<T>(path))!;

    private static string ChromiumPath()
        => new[] { Environment.GetEnvironmentVariable("LOOPDESK_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => p is not null && File.Exists(p))
            ?? throw new InvalidOperationException("Chromium is not installed: scripts/test installs Debian's chromium package.");

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Loopdesk.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Loopdesk.slnx not found above the test binary");
    }

    /// <summary>Debug or Release: the same configuration the tests were built in.</summary>
    private static string Configuration() => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    public async ValueTask DisposeAsync()
    {
        // the server's warnings and errors, for reading after a failed run
        await File.WriteAllLinesAsync(Path.Combine(ScreenshotDirectory, "server-warnings.log"), ServerLog);
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A second server started by <see cref="WorkspaceHost.StartOtherAsync"/>: its address, an admin API client, and its own data.</summary>
public sealed class OtherHost(string baseUrl, Process server, string dir) : IAsyncDisposable
{
    public string BaseUrl { get; } = baseUrl;

    public HttpClient Api { get; } = new HttpClient { BaseAddress = new Uri(baseUrl), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", WorkspaceHost.AdminToken) } };

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        if (!server.HasExited)
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        server.Dispose();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
