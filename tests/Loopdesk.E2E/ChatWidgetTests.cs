using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>
/// The chat widget embedded with its one script tag on a customer's page served from another origin, against the real
/// host: a visitor chats with an agent (who works through the API), keeps the chat across a reload, and leaves a message
/// when nobody is online. Each state is screenshot and scanned with axe-core.
/// </summary>
public sealed class ChatWidgetTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique(string purpose) => $"{purpose} {Guid.NewGuid().ToString("N")[..6]}";

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        var response = await host.Api.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>A team of its own (with the admin in it and online when <paramref name="staffed"/>) and a chat site on that team.</summary>
    private async Task<string> ChatSiteAsync(SiteServer site, bool staffed, object[]? invitations = null)
    {
        var team = (await PostAsync("/api/v1/teams", new { name = Unique("Chat") })).GetProperty("id").GetString()!;
        if (staffed)
        {
            var agents = await host.GetAsync<JsonElement>("/api/v1/agents");
            var admin = agents.EnumerateArray().First(a => a.GetProperty("email").GetString() == WorkspaceHost.AdminEmail);
            var teams = admin.GetProperty("teamIds").EnumerateArray().Select(t => t.GetString()!).Append(team).ToArray();
            var patched = await host.Api.PatchAsJsonAsync($"/api/v1/agents/{admin.GetProperty("id").GetString()}", new { teamIds = teams }, Ct);
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync(Ct));
            var online = await host.Api.PutAsJsonAsync("/api/v1/me/presence", new { presence = "online" }, Ct);
            Assert.True(online.IsSuccessStatusCode, await online.Content.ReadAsStringAsync(Ct));
        }
        var created = await PostAsync("/api/v1/chat/sites", new
        {
            name = "Northwind Outdoor",
            greeting = "Hi! Ask us anything about your order.",
            closingMessage = "Thanks for chatting with Northwind Outdoor.",
            colour = "#2f4f3a",
            textColour = "#ffffff",
            allowedOrigins = new[] { site.Origin },
            teamId = team,
            invitations = invitations ?? [],
        });
        return created.GetProperty("key").GetString()!;
    }

    private async Task<string> QueuedChatAsync(string question)
    {
        for (var i = 0; i < 50; i++)
        {
            var page = await host.GetAsync<JsonElement>("/api/v1/chats?state=queued");
            var chat = page.GetProperty("items").EnumerateArray().FirstOrDefault(c => c.GetProperty("question").GetString() == question);
            if (chat.ValueKind == JsonValueKind.Object) return chat.GetProperty("id").GetString()!;
            await Task.Delay(200, Ct);
        }
        throw new TimeoutException($"no queued chat asks \"{question}\"");
    }

    /// <summary>A visitor's fresh browser on the site's page; <paramref name="before"/> prepares the page before it loads.</summary>
    private async Task<IPage> VisitorPageAsync(string url, Func<IPage, Task>? before = null)
    {
        var context = await host.Browser.NewContextAsync(new() { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        page.Console += (_, m) => { if (m.Type is "error" or "warning") Console.WriteLine($"browser {m.Type}: {m.Text}"); };
        if (before is not null) await before(page);
        await page.GotoAsync(url);
        return page;
    }

    private static ILocator Launcher(IPage page) => page.Locator("loopdesk-chat").Locator("button.launcher");

    private static ILocator Panel(IPage page) => page.GetByRole(AriaRole.Dialog, new() { Name = "Chat with Northwind Outdoor" });

    private static ILocator Log(IPage page) => page.GetByRole(AriaRole.Log);

    private static ILocator MessageBox(IPage page) => page.GetByRole(AriaRole.Textbox, new() { Name = "Message", Exact = true });

    /// <summary>A screenshot of the widget's state (docs/screenshots/chat-widget-STATE.png), and no serious or critical axe finding in it.</summary>
    private async Task CaptureAsync(IPage page, string state)
    {
        await host.ScreenshotAsync(page, "chat-widget-" + state);
        var violations = await WorkspaceHost.SeriousViolationsAsync(page);
        Assert.True(violations.Length == 0, $"{state}: " + string.Join("\n", violations));
    }

    [Fact]
    public async Task A_visitor_on_another_site_chats_with_an_agent_keeps_the_chat_across_a_reload_and_ends_it()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var key = await ChatSiteAsync(site, staffed: true);
        var page = await VisitorPageAsync(site.Page(key));

        // closed: the launcher alone, in the site's colour
        await Assertions.Expect(Launcher(page)).ToBeVisibleAsync();
        await Assertions.Expect(Launcher(page)).ToHaveAttributeAsync("aria-label", "Chat with us");
        await CaptureAsync(page, "closed");

        // the pre-chat form, with the focus in it
        await Launcher(page).ClickAsync();
        await Assertions.Expect(Panel(page)).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Name (optional)")).ToBeFocusedAsync();
        await Assertions.Expect(page.GetByText("So we can follow up if we get cut off.")).ToBeVisibleAsync();
        await CaptureAsync(page, "form");

        // waiting: the question and the greeting, and the place in the queue
        var question = Unique("My tent pole snapped on the first night");
        await page.GetByLabel("Name (optional)").FillAsync("Sam Rivera");
        await page.GetByLabel("Email (optional)").FillAsync($"sam.{Guid.NewGuid():N}@example.net");
        await page.GetByLabel("How can we help?").FillAsync(question);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Assertions.Expect(Log(page)).ToContainTextAsync(question);
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("queue");
        await Assertions.Expect(MessageBox(page)).ToBeFocusedAsync();
        await CaptureAsync(page, "waiting");

        // an agent takes it and writes; the visitor answers on two lines (Shift+Enter), sent with Enter
        var chatId = await QueuedChatAsync(question);
        await PostAsync($"/api/v1/chats/{chatId}/accept", new { });
        await PostAsync($"/api/v1/chats/{chatId}/messages", new { body = "Hi Sam, I'm sorry about the pole. Which tent is it?\n<b>We'll sort it out.</b>" });
        await Assertions.Expect(page.GetByText("You're chatting with")).ToBeVisibleAsync();
        await Assertions.Expect(Log(page)).ToContainTextAsync("<b>We'll sort it out.</b>");
        var box = MessageBox(page);
        await box.FillAsync("The Ridge 2.");
        await box.PressAsync("Shift+Enter");
        await box.PressSequentiallyAsync("Bought in May.");
        await box.PressAsync("Enter");
        await Assertions.Expect(box).ToHaveValueAsync("");
        var mine = Log(page).Locator(".msg.visitor").Last;
        await Assertions.Expect(mine).ToContainTextAsync("The Ridge 2.\nBought in May.");
        await Assertions.Expect(Log(page).Locator(".msg.sending")).ToHaveCountAsync(0);
        await CaptureAsync(page, "chatting");

        // a reload mid-chat opens straight into the same transcript, each message once
        var before = await Log(page).Locator(".msg").AllInnerTextsAsync();
        await page.ReloadAsync();
        await Assertions.Expect(Panel(page)).ToBeVisibleAsync();
        await Assertions.Expect(Log(page).Locator(".msg")).ToHaveCountAsync(before.Count);
        Assert.Equal(before, await Log(page).Locator(".msg").AllInnerTextsAsync());

        // Escape hides the panel and gives the focus back to the launcher
        await MessageBox(page).FocusAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(Panel(page)).ToBeHiddenAsync();
        await Assertions.Expect(Launcher(page)).ToBeFocusedAsync();
        await Launcher(page).ClickAsync();

        // the agent ends it: the closing words once, the transcript by email, a new chat
        await PostAsync($"/api/v1/chats/{chatId}/end", new { });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Thanks for chatting with Northwind Outdoor.")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me the transcript" }).ClickAsync();
        await Assertions.Expect(page.GetByText("The transcript is on its way to your inbox.")).ToBeVisibleAsync();
        await CaptureAsync(page, "ended");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_message_written_while_the_connection_is_down_is_shown_as_waiting_and_arrives_once_when_it_is_back()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var key = await ChatSiteAsync(site, staffed: true);
        // the network between the page and the hub, which the test can cut (every transport SignalR may fall back to)
        var cut = false;
        IWebSocketRoute? socket = null;
        var page = await VisitorPageAsync(site.Page(key, open: true), async page =>
        {
            await page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/hubs/chat/visitor"), async ws =>
            {
                if (cut)
                {
                    await ws.CloseAsync();
                    return;
                }
                socket = ws;
                ws.ConnectToServer();
            });
            await page.RouteAsync("**/hubs/chat/visitor**", route => cut ? route.AbortAsync() : route.ContinueAsync());
        });

        var question = Unique("My stove will not light");
        await page.GetByLabel("How can we help?").FillAsync(question);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Assertions.Expect(Log(page)).ToContainTextAsync(question);
        var chatId = await QueuedChatAsync(question);
        await PostAsync($"/api/v1/chats/{chatId}/accept", new { });
        await Assertions.Expect(page.GetByText("You're chatting with")).ToBeVisibleAsync();

        cut = true;
        await socket!.CloseAsync();
        await Assertions.Expect(page.GetByText("Connection lost. Reconnecting…")).ToBeVisibleAsync();
        await MessageBox(page).FillAsync("Are you still there?");
        await MessageBox(page).PressAsync("Enter");
        await Assertions.Expect(Log(page).Locator(".msg.waiting")).ToContainTextAsync("Not sent yet");
        // said by the agent while the visitor was away
        await PostAsync($"/api/v1/chats/{chatId}/messages", new { body = "Try the spare igniter in the lid." });

        cut = false;
        await Assertions.Expect(Log(page)).ToContainTextAsync("Try the spare igniter in the lid.", new() { Timeout = 45_000 });
        await Assertions.Expect(Log(page).Locator(".msg.waiting, .msg.sending")).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        await Assertions.Expect(Log(page).GetByText("Are you still there?")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByText("You're chatting with")).ToBeVisibleAsync();

        var transcript = await host.GetAsync<JsonElement>($"/api/v1/chats/{chatId}");
        Assert.Single(transcript.GetProperty("messages").EnumerateArray(), m => m.GetProperty("body").GetString() == "Are you still there?");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task When_nobody_is_online_the_visitor_leaves_a_message_and_gets_a_reference()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var key = await ChatSiteAsync(site, staffed: false);
        var page = await VisitorPageAsync(site.Page(key, open: true));

        await Assertions.Expect(Panel(page)).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("We're not online right now")).ToBeVisibleAsync();
        // the email is required here: without it nothing is sent and the reason is given
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Ana Lima");
        await page.GetByLabel("How can we help?").FillAsync("Do you ship stoves to Portugal?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Please fill in Email.");
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync($"ana.{Guid.NewGuid():N}@example.net");
        await CaptureAsync(page, "offline");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Message sent" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Your reference:")).ToBeVisibleAsync();
        await CaptureAsync(page, "offline-sent");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_invitation_shows_on_the_pages_it_names_and_once_dismissed_stays_away()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var invitation = new { message = "Questions about sizes? We're here to help.", afterSeconds = 1, urlPattern = "/pricing", returningOnly = false };
        var key = await ChatSiteAsync(site, staffed: true, [invitation]);

        var page = await VisitorPageAsync(site.Page(key, "/help/returns"));
        await Assertions.Expect(Launcher(page)).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(1500);
        await Assertions.Expect(page.GetByText(invitation.message)).ToHaveCountAsync(0);

        await page.GotoAsync(site.Page(key, "/pricing"));
        var bubble = page.GetByRole(AriaRole.Region, new() { Name = "Message from Northwind Outdoor" });
        await Assertions.Expect(bubble).ToContainTextAsync(invitation.message);
        await CaptureAsync(page, "invitation");

        await bubble.GetByRole(AriaRole.Button, new() { Name = "Dismiss" }).ClickAsync();
        await Assertions.Expect(bubble).ToBeHiddenAsync();
        await Assertions.Expect(Launcher(page)).ToBeFocusedAsync();
        await page.ReloadAsync();
        await Assertions.Expect(Launcher(page)).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(1500);
        await Assertions.Expect(page.GetByText(invitation.message)).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
