using Microsoft.Playwright;
using static Loopdesk.E2E.ChatKit;

namespace Loopdesk.E2E;

/// <summary>
/// Silence in a live chat, in the browser, on a server whose clock the test moves (<see cref="ClockedHost"/>): a visitor
/// who goes quiet is asked whether they are still there (by the site, or by the agent when the console offers it) and the
/// chat ends with the site's closing words, its transcript on the ticket; a chat nobody takes in time is followed up by
/// email, caught by a real SMTP server; a visitor who leaves the queue leaves an abandoned chat.
/// </summary>
public sealed class ChatSilenceTests(WorkspaceHost host, ClockedHost app) : IClassFixture<ClockedHost>
{
    private const string StillThere = "Are you still there?";

    private readonly ChatKit _kit = new(host, app.Api);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// The admin's console on the clocked server and a visitor on a site of <paramref name="settings"/>; the visitor asks,
    /// the agent accepts in the console and answers, the visitor answers back, and a second later the agent writes last:
    /// from then on the chat waits on the visitor.
    /// </summary>
    private async Task<(IPage Visitor, IPage Console, string ChatId, string Question)> ChattingAsync(SiteServer site, Dictionary<string, object?> settings)
    {
        var key = await _kit.SiteAsync(site, staffed: true, settings);
        var console = await host.SignedInPageAsync(WorkspaceHost.AdminEmail, WorkspaceHost.AdminPassword, baseUrl: app.BaseUrl);
        await console.GotoAsync("/chats");
        await WorkspaceHost.WaitForCircuitAsync(console);

        var visitor = await _kit.VisitorPageAsync(site.Page(key, open: true));
        var question = Unique("Can I swap the sleeping bag for a longer one?");
        await StartChatAsync(visitor, "Lee Park", $"lee.{Guid.NewGuid():N}@example.net", question);
        // the clock stands still unless moved: a second between turns keeps the transcript in the order things were said
        await app.AdvanceAsync(TimeSpan.FromSeconds(1));

        await console.GetByRole(AriaRole.Button, new() { Name = "Accept the chat with Lee Park" }).ClickAsync();
        await console.WaitForURLAsync("**/chats/*");
        var chatId = console.Url[(console.Url.LastIndexOf('/') + 1)..];
        await app.AdvanceAsync(TimeSpan.FromSeconds(1));
        await AgentSaysAsync(console, "Hi Lee, of course. Which length would you like?");
        await Assertions.Expect(Log(visitor)).ToContainTextAsync("Which length would you like?");
        await app.AdvanceAsync(TimeSpan.FromSeconds(1));
        await SayAsync(visitor, "The long one, please.");
        await Assertions.Expect(console.Locator(".transcript .line.visitor .body").Last).ToHaveTextAsync("The long one, please.");
        await app.AdvanceAsync(TimeSpan.FromSeconds(1));
        await AgentSaysAsync(console, "Done: I have swapped it on your order. Anything else?");
        await Assertions.Expect(Log(visitor)).ToContainTextAsync("Anything else?");
        return (visitor, console, chatId, question);
    }

    private static async Task AgentSaysAsync(IPage console, string text)
    {
        await console.GetByLabel("Message to the visitor").FillAsync(text);
        await console.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
        await Assertions.Expect(console.Locator(".transcript .line.agent .body").Last).ToHaveTextAsync(text);
    }

    /// <summary>The chat ended by silence: the closing words in the widget, "Ended" in the console, the transcript on the ticket.</summary>
    private async Task EndedBySilenceAsync(IPage visitor, IPage console, string chatId, string question)
    {
        await Assertions.Expect(Log(visitor)).ToContainTextAsync(ClosingMessage);
        await Assertions.Expect(visitor.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" })).ToBeVisibleAsync();
        await Assertions.Expect(console.Locator(".chat-thread .hint")).ToContainTextAsync("Ended");
        var chat = await _kit.GetAsync($"/api/v1/chats/{chatId}");
        Assert.Equal("idle", chat.GetProperty("chat").GetProperty("endReason").GetString());

        var link = console.Locator(".chat-thread a[href^='/tickets/']");
        await Assertions.Expect(link).ToBeVisibleAsync();
        var reference = await link.InnerTextAsync();
        var messages = await _kit.GetAsync($"/api/v1/tickets/{reference}/messages");
        var transcript = messages.EnumerateArray().Select(m => m.GetProperty("body").GetString() ?? "").Single(t => t.StartsWith("Chat of ", StringComparison.Ordinal));
        Assert.Contains("Lee Park: " + question, transcript);
        Assert.Contains("Lee Park: The long one, please.", transcript);
        Assert.Contains(ClosingMessage, transcript);

        await link.ClickAsync();
        await console.WaitForURLAsync($"**/tickets/{reference}");
        await Assertions.Expect(console.GetByText("The long one, please.").First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_silent_visitor_is_asked_whether_they_are_still_there_and_after_longer_the_chat_ends_with_the_closing_words_on_the_ticket()
    {
        await using var site = new SiteServer(app.BaseUrl);
        var (visitor, console, chatId, question) = await ChattingAsync(site, new()
        {
            ["promptAfterSeconds"] = 120, ["autoPrompt"] = true, ["endAfterSeconds"] = 600,
        });

        // not yet
        await app.AdvanceAsync(TimeSpan.FromSeconds(119));
        await Task.Delay(500, Ct);
        await Assertions.Expect(Log(visitor).GetByText(StillThere)).ToHaveCountAsync(0);

        await app.AdvanceAsync(TimeSpan.FromSeconds(2));
        await Assertions.Expect(Log(visitor)).ToContainTextAsync(StillThere);
        await Assertions.Expect(console.Locator(".chat-list.mine .badge")).ToHaveTextAsync("asked if still there");
        await Assertions.Expect(console.Locator(".transcript .line.system .body").Last).ToContainTextAsync(StillThere);
        await _kit.CaptureAsync(visitor, "still-there");
        await host.ScreenshotAsync(console, "chat-console-still-there");

        await app.AdvanceAsync(TimeSpan.FromSeconds(480));
        await EndedBySilenceAsync(visitor, console, chatId, question);
        await _kit.CaptureAsync(visitor, "ended-idle");
        await visitor.Context.CloseAsync();
        await console.Context.CloseAsync();
    }

    [Fact]
    public async Task When_the_site_leaves_the_prompt_to_the_agent_the_console_offers_it_and_the_chat_still_ends_after_the_silence()
    {
        await using var site = new SiteServer(app.BaseUrl);
        var (visitor, console, chatId, question) = await ChattingAsync(site, new()
        {
            ["promptAfterSeconds"] = 60, ["autoPrompt"] = false, ["endAfterSeconds"] = 300,
        });
        var offer = console.GetByRole(AriaRole.Button, new() { Name = "Ask \"are you still there?\"" });
        await Assertions.Expect(offer).ToHaveCountAsync(0);

        await app.AdvanceAsync(TimeSpan.FromSeconds(61));
        await Assertions.Expect(offer).ToBeVisibleAsync();
        await Assertions.Expect(console.GetByRole(AriaRole.Note)).ToContainTextAsync("The visitor has been quiet for 1 min.");
        // the site does not send it by itself
        await Assertions.Expect(Log(visitor).GetByText(StillThere)).ToHaveCountAsync(0);
        await host.ScreenshotAsync(console, "chat-console-quiet");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(console));

        await offer.ClickAsync();
        await Assertions.Expect(Log(visitor)).ToContainTextAsync(StillThere);
        await Assertions.Expect(offer).ToHaveCountAsync(0);
        await Assertions.Expect(console.Locator(".chat-list.mine .badge")).ToHaveTextAsync("asked if still there");

        await app.AdvanceAsync(TimeSpan.FromSeconds(240));
        await EndedBySilenceAsync(visitor, console, chatId, question);
        await visitor.Context.CloseAsync();
        await console.Context.CloseAsync();
    }

    [Fact]
    public async Task A_chat_nobody_takes_in_time_is_followed_up_by_email_and_a_visitor_who_leaves_the_queue_leaves_an_abandoned_chat()
    {
        await using var sink = await SmtpSink.StartAsync();
        await _kit.PostAsync("/api/v1/mailboxes", new
        {
            name = "Chat follow-ups", address = "help@northwind.example", isDefault = true,
            smtp = new { host = "127.0.0.1", port = sink.Port, security = "none" },
        });
        await using var site = new SiteServer(app.BaseUrl);
        var key = await _kit.SiteAsync(site, staffed: true, new Dictionary<string, object?> { ["missedAfterSeconds"] = 60, ["autoFollowUp"] = true });

        // nobody takes it: after a minute in the queue it is missed, and the visitor hears we will write
        var visitor = await _kit.VisitorPageAsync(site.Page(key, open: true));
        var email = $"lee.{Guid.NewGuid():N}@example.net";
        var question = Unique("Do you repair zips?");
        await StartChatAsync(visitor, "Lee Park", email, question);
        var chatId = await _kit.QueuedChatAsync(question);
        await app.AdvanceAsync(TimeSpan.FromSeconds(59));
        await Assertions.Expect(Log(visitor).GetByText("nobody could take your chat in time", new() { Exact = false })).ToHaveCountAsync(0);
        await app.AdvanceAsync(TimeSpan.FromSeconds(2));
        await Assertions.Expect(Log(visitor)).ToContainTextAsync("We are sorry: nobody could take your chat in time. We will write to you by email.");
        await _kit.CaptureAsync(visitor, "missed");

        var missed = (await _kit.ChatWhenAsync(chatId, c => c.GetProperty("chat").GetProperty("state").GetString() == "missed", "missed")).GetProperty("chat");
        var ticket = await _kit.GetAsync($"/api/v1/tickets/{await app.TicketReferenceAsync(missed.GetProperty("ticketId").GetGuid())}");
        var reference = ticket.GetProperty("reference").GetString()!;
        Assert.Contains("chat-missed", ticket.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        // the personal follow-up, sent at once (the site says so) through the real SMTP server
        var followUp = await sink.WaitForMessageAsync(email, "nobody answered you", TimeSpan.FromSeconds(30));
        var text = followUp.TextBody;
        Assert.StartsWith("Hello Lee,", text);                       // greets by name
        Assert.Contains("You started a chat with us on our website", text); // why we write
        Assert.Contains("I am sorry we kept you waiting", text);     // apology
        Assert.Contains(reference, text);                            // the chat's ticket
        Assert.Contains("If you still need help, just reply", text); // an offer
        Assert.Contains("Thank you for reaching out", text);         // thanks
        Assert.Contains("Kind regards", text);                       // signature
        Assert.Contains(reference, followUp.Subject);

        // another visitor gives up while waiting: an abandoned chat, followed up the same way
        var leaving = await _kit.VisitorPageAsync(site.Page(key, open: true));
        var leavingEmail = $"sam.{Guid.NewGuid():N}@example.net";
        var never = Unique("Never mind, found it");
        await StartChatAsync(leaving, "Sam Rivera", leavingEmail, never);
        var leftId = await _kit.QueuedChatAsync(never);
        await leaving.GetByRole(AriaRole.Button, new() { Name = "End chat" }).ClickAsync();
        await Assertions.Expect(Log(leaving)).ToContainTextAsync("You ended the chat. Thank you.");
        await Assertions.Expect(leaving.GetByRole(AriaRole.Button, new() { Name = "Start a new chat" })).ToBeVisibleAsync();
        var left = (await _kit.ChatWhenAsync(leftId, c => c.GetProperty("chat").GetProperty("state").GetString() == "abandoned", "abandoned")).GetProperty("chat");
        var leftTicket = await _kit.GetAsync($"/api/v1/tickets/{await app.TicketReferenceAsync(left.GetProperty("ticketId").GetGuid())}");
        Assert.Contains("chat-abandoned", leftTicket.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var abandonedFollowUp = await sink.WaitForMessageAsync(leavingEmail, "nobody answered you", TimeSpan.FromSeconds(30));
        Assert.StartsWith("Hello Sam,", abandonedFollowUp.TextBody);

        await visitor.Context.CloseAsync();
        await leaving.Context.CloseAsync();
    }
}
