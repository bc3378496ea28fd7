using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>
/// What the chat browser tests share: a chat site and its chats through a server's API (<paramref name="api"/>, signed in
/// as the admin), the visitor's own browser on the customer's site, and the widget's parts as a visitor finds them.
/// </summary>
public sealed class ChatKit(WorkspaceHost host, HttpClient api)
{
    public const string SiteName = "Northwind Outdoor";
    public const string ClosingMessage = "Thanks for chatting with Northwind Outdoor.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string Unique(string purpose) => $"{purpose} {Guid.NewGuid().ToString("N")[..6]}";

    public async Task<JsonElement> PostAsync(string path, object body)
    {
        var response = await api.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> GetAsync(string path) => await api.GetFromJsonAsync<JsonElement>(path, Ct);

    /// <summary>
    /// A team of its own (with the admin in it and online when <paramref name="staffed"/>) and a chat site on that team,
    /// with <paramref name="settings"/> over the defaults (<c>promptAfterSeconds</c>, <c>autoFollowUp</c>…).
    /// </summary>
    public async Task<string> SiteAsync(SiteServer site, bool staffed, IReadOnlyDictionary<string, object?>? settings = null)
    {
        var team = (await PostAsync("/api/v1/teams", new { name = Unique("Chat") })).GetProperty("id").GetString()!;
        if (staffed)
        {
            var agents = await GetAsync("/api/v1/agents");
            var admin = agents.EnumerateArray().First(a => a.GetProperty("email").GetString() == WorkspaceHost.AdminEmail);
            var teams = admin.GetProperty("teamIds").EnumerateArray().Select(t => t.GetString()!).Append(team).ToArray();
            var patched = await api.PatchAsJsonAsync($"/api/v1/agents/{admin.GetProperty("id").GetString()}", new { teamIds = teams }, Ct);
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync(Ct));
            var online = await api.PutAsJsonAsync("/api/v1/me/presence", new { presence = "online" }, Ct);
            Assert.True(online.IsSuccessStatusCode, await online.Content.ReadAsStringAsync(Ct));
        }
        var body = new Dictionary<string, object?>
        {
            ["name"] = SiteName,
            ["greeting"] = "Hi! Ask us anything about your order.",
            ["closingMessage"] = ClosingMessage,
            ["colour"] = "#2f4f3a",
            ["textColour"] = "#ffffff",
            ["allowedOrigins"] = new[] { site.Origin },
            ["teamId"] = team,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, object?>()) body[name] = value;
        return (await PostAsync("/api/v1/chat/sites", body)).GetProperty("key").GetString()!;
    }

    /// <summary>The id of the waiting chat that asks <paramref name="question"/>, once it waits.</summary>
    public async Task<string> QueuedChatAsync(string question)
    {
        for (var i = 0; i < 50; i++)
        {
            var page = await GetAsync("/api/v1/chats?state=queued");
            var chat = page.GetProperty("items").EnumerateArray().FirstOrDefault(c => c.GetProperty("question").GetString() == question);
            if (chat.ValueKind == JsonValueKind.Object) return chat.GetProperty("id").GetString()!;
            await Task.Delay(200, Ct);
        }
        throw new TimeoutException($"no queued chat asks \"{question}\"");
    }

    /// <summary>Waits (ten seconds at most) until <paramref name="probe"/> holds of the chat (GET /api/v1/chats/{id}); returns the chat.</summary>
    public async Task<JsonElement> ChatWhenAsync(string chatId, Func<JsonElement, bool> probe, string what)
    {
        JsonElement chat = default;
        for (var i = 0; i < 50; i++)
        {
            chat = await GetAsync($"/api/v1/chats/{chatId}");
            if (probe(chat)) return chat;
            await Task.Delay(200, Ct);
        }
        throw new Xunit.Sdk.XunitException($"The chat never came to {what}: {chat}");
    }

    /// <summary>A visitor's fresh browser on the site's page; <paramref name="before"/> prepares the page before it loads.</summary>
    public async Task<IPage> VisitorPageAsync(string url, Func<IPage, Task>? before = null, string? locale = null)
    {
        var context = await host.Browser.NewContextAsync(new() { ViewportSize = new ViewportSize { Width = 1100, Height = 760 }, Locale = locale });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        page.Console += (_, m) => { if (m.Type is "error" or "warning") Console.WriteLine($"browser {m.Type}: {m.Text}"); };
        if (before is not null) await before(page);
        await page.GotoAsync(url);
        return page;
    }

    /// <summary>Fills in the pre-chat form of the open panel and starts the chat; it waits in the queue.</summary>
    public static async Task StartChatAsync(IPage page, string? name, string? email, string question)
    {
        if (name is not null) await page.GetByLabel("Name (optional)").FillAsync(name);
        if (email is not null) await page.GetByLabel("Email (optional)").FillAsync(email);
        await page.GetByLabel("How can we help?").FillAsync(question);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Assertions.Expect(Log(page)).ToContainTextAsync(question);
    }

    public static ILocator Launcher(IPage page) => page.Locator("loopdesk-chat").Locator("button.launcher");

    public static ILocator Panel(IPage page) => page.GetByRole(AriaRole.Dialog, new() { Name = "Chat with " + SiteName });

    public static ILocator Log(IPage page) => page.GetByRole(AriaRole.Log);

    public static ILocator MessageBox(IPage page) => page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });

    /// <summary>The visitor writes and sends with Enter; the server acknowledges it.</summary>
    public static async Task SayAsync(IPage page, string text)
    {
        await MessageBox(page).FillAsync(text);
        await MessageBox(page).PressAsync("Enter");
        await Assertions.Expect(Log(page).Locator(".msg.visitor").Last).ToContainTextAsync(text);
        await Assertions.Expect(Log(page).Locator(".msg.sending, .msg.waiting")).ToHaveCountAsync(0);
    }

    /// <summary>A screenshot of the widget's state (chat-widget-STATE.png), and no serious or critical axe finding in it.</summary>
    public async Task CaptureAsync(IPage page, string state)
    {
        await host.ScreenshotAsync(page, "chat-widget-" + state);
        var violations = await WorkspaceHost.SeriousViolationsAsync(page);
        Assert.True(violations.Length == 0, $"{state}: " + string.Join("\n", violations));
    }
}
