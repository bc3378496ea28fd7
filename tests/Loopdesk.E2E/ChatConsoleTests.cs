using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>The agent's live chat console in a real browser, with a visitor on the demo site talking through the real visitor hub.</summary>
public sealed class ChatConsoleTests(WorkspaceHost host)
{
    private const string Agent = "tom.becker@loopdesk.example";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Visitor : IAsyncDisposable
    {
        public required HubConnection Hub { get; init; }
        public ConcurrentQueue<JsonElement> Heard { get; } = new();

        public ValueTask DisposeAsync() => Hub.DisposeAsync();
    }

    private async Task<Visitor> VisitorAsync()
    {
        var registered = await (await host.Api.PostAsJsonAsync("/api/v1/chat/sites/demo/visitors", new { token = (string?)null }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var token = registered.GetProperty("token").GetString();
        var hub = new HubConnectionBuilder()
            .WithUrl($"{host.BaseUrl}/hubs/chat/visitor", o => { o.Transports = HttpTransportType.WebSockets; o.AccessTokenProvider = () => Task.FromResult(token); })
            .Build();
        var visitor = new Visitor { Hub = hub };
        hub.On<JsonElement>("Message", m => visitor.Heard.Enqueue(m));
        await hub.StartAsync(Ct);
        return visitor;
    }

    private async Task SetPresenceAsync(string email, string presence)
    {
        var agents = await host.GetAsync<JsonElement>("/api/v1/agents");
        var id = agents.EnumerateArray().First(a => a.GetProperty("email").GetString() == email).GetProperty("id").GetString();
        (await host.Api.PatchAsJsonAsync($"/api/v1/agents/{id}", new { presence }, Ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task An_agent_hears_a_waiting_chat_accepts_it_and_chats_both_ways_with_markup_shown_as_text()
    {
        await SetPresenceAsync(Agent, "online");
        try
        {
            var page = await host.SignedInPageAsync(Agent, WorkspaceHost.DemoPassword);
            await page.GetByRole(AriaRole.Link, new() { Name = "Live chats" }).ClickAsync();
            await page.WaitForURLAsync("**/chats");
            await WorkspaceHost.WaitForCircuitAsync(page);

            await using var visitor = await VisitorAsync();
            var name = "Robin " + Guid.NewGuid().ToString("N")[..4];
            var state = await visitor.Hub.InvokeAsync<JsonElement>("Start",
                new { name, email = $"robin.{Guid.NewGuid():N}@example.net", question = "Is the <b>blue</b> kettle back in stock?", page = "https://shop.example/kettles", clientMessageId = "q1" }, Ct);
            var chatId = state.GetProperty("chatId").GetString();

            // the waiting chat appears without a reload, the tab's title counts it
            var accept = page.GetByRole(AriaRole.Button, new() { Name = $"Accept the chat with {name}" });
            await Assertions.Expect(accept).ToBeVisibleAsync();
            await Assertions.Expect(page).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex(@"^\(\d+\) Chats"));
            await host.ScreenshotAsync(page, "chat-console-waiting");
            await accept.ClickAsync();
            await page.WaitForURLAsync($"**/chats/{chatId}");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Chat with {name}" })).ToBeVisibleAsync();
            // the visitor's markup is shown as the characters they typed
            await Assertions.Expect(page.Locator(".transcript .line.visitor .body").First).ToHaveTextAsync("Is the <b>blue</b> kettle back in stock?");
            Assert.Equal(0, await page.Locator(".transcript b").CountAsync());

            await page.GetByLabel("Message to the visitor").FillAsync("Hello! Yes, it came back this morning.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
            for (var i = 0; i < 100 && !visitor.Heard.Any(m => m.GetProperty("body").GetString() == "Hello! Yes, it came back this morning."); i++) await Task.Delay(100, Ct);
            Assert.Contains(visitor.Heard, m => m.GetProperty("body").GetString() == "Hello! Yes, it came back this morning." && m.GetProperty("from").GetString() == "agent");

            await visitor.Hub.InvokeAsync("Typing", true, Ct);
            await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "is typing" })).ToBeVisibleAsync();
            await visitor.Hub.InvokeAsync<JsonElement>("Send", new { clientMessageId = "m2", body = "Great, I'll order one now." }, Ct);
            await Assertions.Expect(page.Locator(".transcript .line.visitor .body").Last).ToHaveTextAsync("Great, I'll order one now.");
            await host.ScreenshotAsync(page, "chat-console");
            Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));

            await page.GetByRole(AriaRole.Button, new() { Name = "End chat" }).ClickAsync();
            await Assertions.Expect(page.Locator(".chat-thread .hint")).ToContainTextAsync("Ended");
            await Assertions.Expect(page.Locator(".chat-thread a[href^='/tickets/']")).ToBeVisibleAsync();
        }
        finally
        {
            await SetPresenceAsync(Agent, "offline");
        }
    }
}
