using System.Text.Json;
using Microsoft.Playwright;
using static Loopdesk.E2E.ChatKit;

namespace Loopdesk.E2E;

/// <summary>
/// The chat widget embedded with its one script tag on a customer's page served from another origin, against the real
/// host: a visitor chats with an agent (who works through the API), keeps the chat across a reload, and leaves a message
/// when nobody is online. Each state is screenshot and scanned with axe-core.
/// </summary>
public sealed class ChatWidgetTests(WorkspaceHost host)
{
    private readonly ChatKit _kit = new(host, host.Api);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The network between a visitor's page and the hub, which a test cuts and mends (every transport SignalR may fall back to).</summary>
    private sealed class HubLink
    {
        private IWebSocketRoute? _socket;

        /// <summary>While true, the page's tries to reach the hub fail.</summary>
        public bool Cut { get; set; }

        public async Task RouteAsync(IPage page)
        {
            await page.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/hubs/chat/visitor"), async ws =>
            {
                if (Cut)
                {
                    await ws.CloseAsync();
                    return;
                }
                _socket = ws;
                ws.ConnectToServer();
            });
            await page.RouteAsync("**/hubs/chat/visitor**", route => Cut ? route.AbortAsync() : route.ContinueAsync());
        }

        /// <summary>Cuts the link: the open connection closes, and every try fails until <see cref="Cut"/> is false again.</summary>
        public async Task CutOffAsync()
        {
            Cut = true;
            await _socket!.CloseAsync();
        }
    }

    /// <summary>A visitor on a staffed site chats with the admin (who took it through the API), then the link to the hub is cut.</summary>
    private async Task<(IPage Page, HubLink Link, string Key, string ChatId)> ChattingThenCutOffAsync(SiteServer site, string question)
    {
        var key = await _kit.SiteAsync(site, staffed: true);
        var link = new HubLink();
        var page = await _kit.VisitorPageAsync(site.Page(key, open: true), link.RouteAsync);
        await StartChatAsync(page, null, null, question);
        var chatId = await _kit.QueuedChatAsync(question);
        await _kit.PostAsync($"/api/v1/chats/{chatId}/accept", new { });
        await Assertions.Expect(page.GetByText("You're chatting with")).ToBeVisibleAsync();
        await link.CutOffAsync();
        await Assertions.Expect(page.GetByText("Connection lost. Reconnecting…")).ToBeVisibleAsync();
        return (page, link, key, chatId);
    }

    [Fact]
    public async Task A_visitor_on_another_site_chats_with_an_agent_keeps_the_chat_across_a_reload_and_ends_it()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var key = await _kit.SiteAsync(site, staffed: true);
        var page = await _kit.VisitorPageAsync(site.Page(key));

        // closed: the launcher alone, in the site's colour
        await Assertions.Expect(Launcher(page)).ToBeVisibleAsync();
        await Assertions.Expect(Launcher(page)).ToHaveAttributeAsync("aria-label", "Chat with us");
        await _kit.CaptureAsync(page, "closed");

        // the pre-chat form, with the focus in it
        await Launcher(page).ClickAsync();
        await Assertions.Expect(Panel(page)).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Name (optional)")).ToBeFocusedAsync();
        await Assertions.Expect(page.GetByText("So we can follow up if we get cut off.")).ToBeVisibleAsync();
        await _kit.CaptureAsync(page, "form");

        // waiting: the question and the greeting, and the place in the queue
        var question = Unique("My tent pole snapped on the first night");
        await page.GetByLabel("Name (optional)").FillAsync("Sam Rivera");
        await page.GetByLabel("Email (optional)").FillAsync($"sam.{Guid.NewGuid():N}@example.net");
        await page.GetByLabel("How can we help?").FillAsync(question);
        await page.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Assertions.Expect(Log(page)).ToContainTextAsync(question);
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("queue");
        await Assertions.Expect(MessageBox(page)).ToBeFocusedAsync();
        await _kit.CaptureAsync(page, "waiting");

        // an agent takes it and writes; the visitor answers on two lines (Shift+Enter), sent with Enter
        var chatId = await _kit.QueuedChatAsync(question);
        await _kit.PostAsync($"/api/v1/chats/{chatId}/accept", new { });
        await _kit.PostAsync($"/api/v1/chats/{chatId}/messages", new { body = "Hi Sam, I'm sorry about the pole. Which tent is it?\n<b>We'll sort it out.</b>" });
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
        await _kit.CaptureAsync(page, "chatting");

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
        await _kit.PostAsync($"/api/v1/chats/{chatId}/end", new { });
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Thanks for chatting with Northwind Outdoor.")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me the transcript" }).ClickAsync();
        await Assertions.Expect(page.GetByText("The transcript is on its way to your inbox.")).ToBeVisibleAsync();
        await _kit.CaptureAsync(page, "ended");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_message_written_while_the_connection_is_down_is_shown_as_waiting_and_arrives_once_when_it_is_back()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var (page, link, _, chatId) = await ChattingThenCutOffAsync(site, Unique("My stove will not light"));
        await MessageBox(page).FillAsync("Are you still there?");
        await MessageBox(page).PressAsync("Enter");
        await Assertions.Expect(Log(page).Locator(".msg.waiting")).ToContainTextAsync("Not sent yet");
        // said by the agent while the visitor was away
        await _kit.PostAsync($"/api/v1/chats/{chatId}/messages", new { body = "Try the spare igniter in the lid." });

        link.Cut = false;
        await Assertions.Expect(Log(page)).ToContainTextAsync("Try the spare igniter in the lid.", new() { Timeout = 45_000 });
        await Assertions.Expect(Log(page).Locator(".msg.waiting, .msg.sending")).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        await Assertions.Expect(Log(page).GetByText("Are you still there?")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByText("You're chatting with")).ToBeVisibleAsync();

        var transcript = await host.GetAsync<JsonElement>($"/api/v1/chats/{chatId}");
        Assert.Single(transcript.GetProperty("messages").EnumerateArray(), m => m.GetProperty("body").GetString() == "Are you still there?");
        await _kit.PostAsync($"/api/v1/chats/{chatId}/end", new { });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_message_sent_while_offline_is_kept_through_a_reload_and_arrives_once_on_both_sides()
    {
        await using var site = new SiteServer(host.BaseUrl);
        // offline: the message waits in the page and in localStorage, not on the server
        var (page, link, key, chatId) = await ChattingThenCutOffAsync(site, Unique("My headlamp flickers"));
        const string unsent = "It flickers only on the brightest setting.";
        await MessageBox(page).FillAsync(unsent);
        await MessageBox(page).PressAsync("Enter");
        await Assertions.Expect(Log(page).Locator(".msg.waiting")).ToContainTextAsync("Not sent yet");
        Assert.Contains(unsent, await page.EvaluateAsync<string?>($"localStorage.getItem('loopdesk.chat.{key}.pending')") ?? "");
        await _kit.PostAsync($"/api/v1/chats/{chatId}/messages", new { body = "Which batteries are in it?" });
        await host.ScreenshotAsync(page, "chat-widget-unsent");

        // back online and reloaded at once, before the widget's next try to reconnect (a second away at the soonest): the
        // reloaded page finds the message in localStorage and sends it
        link.Cut = false;
        await page.ReloadAsync();
        await Assertions.Expect(Panel(page)).ToBeVisibleAsync();
        await Assertions.Expect(Log(page)).ToContainTextAsync("Which batteries are in it?");
        await Assertions.Expect(Log(page).Locator(".msg.waiting, .msg.sending")).ToHaveCountAsync(0);
        await Assertions.Expect(Log(page).GetByText(unsent)).ToHaveCountAsync(1);
        Assert.Null(await page.EvaluateAsync<string?>($"localStorage.getItem('loopdesk.chat.{key}.pending')"));
        var chat = await _kit.ChatWhenAsync(chatId, c => c.GetProperty("messages").EnumerateArray().Any(m => m.GetProperty("body").GetString() == unsent), "the unsent message");
        Assert.Single(chat.GetProperty("messages").EnumerateArray(), m => m.GetProperty("body").GetString() == unsent);
        // and again: a second reload shows everything once
        var lines = await Log(page).Locator(".msg").AllInnerTextsAsync();
        await page.ReloadAsync();
        await Assertions.Expect(Log(page).Locator(".msg")).ToHaveCountAsync(lines.Count);
        await _kit.PostAsync($"/api/v1/chats/{chatId}/end", new { });
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_agent_sees_the_page_the_visitor_moves_to_on_a_single_page_site_and_their_browser_language()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var key = await _kit.SiteAsync(site, staffed: true);
        // a Swiss German browser on an English-speaking page: the widget speaks the page's language, the agent learns the browser's
        var page = await _kit.VisitorPageAsync(site.Page(key, "/tents", lang: "en", open: true), locale: "de-CH");
        var question = Unique("Is the Ridge 2 waterproof?");
        await StartChatAsync(page, "Noor Meier", null, question);
        var chatId = await _kit.QueuedChatAsync(question);
        await _kit.PostAsync($"/api/v1/chats/{chatId}/accept", new { });
        await Assertions.Expect(page.GetByText("You're chatting with")).ToBeVisibleAsync();

        var console = await host.SignedInPageAsync(WorkspaceHost.AdminEmail, WorkspaceHost.AdminPassword);
        await console.GotoAsync($"/chats/{chatId}");
        await WorkspaceHost.WaitForCircuitAsync(console);
        var where = console.Locator(".chat-thread .hint .page");
        await Assertions.Expect(where).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("/tents\\?key="));
        await Assertions.Expect(console.Locator(".chat-thread .hint .language")).ToHaveTextAsync("de-CH");

        // the shop moves to another page without loading one: the console follows, and back again
        await page.EvaluateAsync("history.pushState({}, '', '/tents/ridge-2#sizes')");
        await Assertions.Expect(where).ToHaveTextAsync($"{site.Origin}/tents/ridge-2#sizes");
        await host.ScreenshotAsync(console, "chat-console-page");
        await page.EvaluateAsync("history.back()");
        await Assertions.Expect(where).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("/tents\\?key="));
        var chat = await _kit.GetAsync($"/api/v1/chats/{chatId}");
        Assert.StartsWith($"{site.Origin}/tents?key=", chat.GetProperty("chat").GetProperty("page").GetString());
        await _kit.PostAsync($"/api/v1/chats/{chatId}/end", new { });
        await page.Context.CloseAsync();
        await console.Context.CloseAsync();
    }

    [Fact]
    public async Task When_nobody_is_online_the_visitor_leaves_a_message_and_gets_a_reference()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var key = await _kit.SiteAsync(site, staffed: false);
        var page = await _kit.VisitorPageAsync(site.Page(key, open: true));

        await Assertions.Expect(Panel(page)).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("We're not online right now")).ToBeVisibleAsync();
        // the email is required here: without it nothing is sent and the reason is given
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Ana Lima");
        await page.GetByLabel("How can we help?").FillAsync("Do you ship stoves to Portugal?");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Please fill in Email.");
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync($"ana.{Guid.NewGuid():N}@example.net");
        await _kit.CaptureAsync(page, "offline");

        await page.GetByRole(AriaRole.Button, new() { Name = "Send message" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Message sent" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Your reference:")).ToBeVisibleAsync();
        await _kit.CaptureAsync(page, "offline-sent");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_invitation_shows_on_the_pages_it_names_and_once_dismissed_stays_away()
    {
        await using var site = new SiteServer(host.BaseUrl);
        var invitation = new { message = "Questions about sizes? We're here to help.", afterSeconds = 1, urlPattern = "/pricing", returningOnly = false };
        var key = await _kit.SiteAsync(site, staffed: true, new Dictionary<string, object?> { ["invitations"] = new[] { invitation } });

        var page = await _kit.VisitorPageAsync(site.Page(key, "/help/returns"));
        await Assertions.Expect(Launcher(page)).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(1500);
        await Assertions.Expect(page.GetByText(invitation.message)).ToHaveCountAsync(0);

        await page.GotoAsync(site.Page(key, "/pricing"));
        var bubble = page.GetByRole(AriaRole.Region, new() { Name = "Message from Northwind Outdoor" });
        await Assertions.Expect(bubble).ToContainTextAsync(invitation.message);
        await _kit.CaptureAsync(page, "invitation");

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
