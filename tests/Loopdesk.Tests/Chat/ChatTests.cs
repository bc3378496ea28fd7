using System.Collections.Concurrent;
using System.Net;
using Loopdesk.Chat;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Chat;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Chat;

/// <summary>
/// Live chat end to end through the real visitor hub (SignalR over long polling on the test server) and the agents' API:
/// the queue, both directions, idle handling on the fake clock, missed and abandoned chats and their follow-up, and the
/// bad input a public endpoint meets.
/// </summary>
public abstract class ChatTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A visitor's browser: its token and its hub connection, with everything the server pushed to it.</summary>
    private sealed class Visitor : IAsyncDisposable
    {
        public required HubConnection Hub { get; init; }
        public required string Token { get; init; }
        public required Guid Id { get; init; }
        public ConcurrentQueue<ChatMessageDto> Messages { get; } = new();
        public ConcurrentQueue<QueueDto> Queue { get; } = new();
        public ConcurrentQueue<EndedDto> Ended { get; } = new();
        public ConcurrentQueue<AcceptedDto> Accepted { get; } = new();

        public ValueTask DisposeAsync() => Hub.DisposeAsync();
    }

    private HttpClient Admin => app.CreateClient(AgentRole.Admin);

    /// <summary>A site of its own team (so each test has its own queue), whose members are online with the given chat capacity.</summary>
    private async Task<ChatSiteDto> NewSiteAsync(object? overrides = null, AgentRole[]? members = null, int capacity = 3)
    {
        // the tests share one server: what earlier tests left open must not fill the agents' capacity or the queue of this one
        await WithDbAsync(db => db.Chats.Where(c => c.State == ChatState.Queued || c.State == ChatState.Active || c.State == ChatState.IdleWarned)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.State, ChatState.Ended), Ct));
        using var admin = Admin;
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = "Chat " + Guid.NewGuid().ToString("N")[..8] }, Ct)).ReadAsync<TeamDto>(Ct);
        foreach (var role in members ?? [AgentRole.Agent])
        {
            var id = app.AgentId(role);
            var agent = await admin.GetJsonAsync<Agents.AgentDto>($"/api/v1/agents/{id}", Ct);
            (await admin.PatchJsonAsync($"/api/v1/agents/{id}", new { teamIds = agent.TeamIds.Append(team.Id).ToArray(), presence = "online", chatCapacity = capacity }, Ct)).EnsureSuccessStatusCode();
        }
        var body = new Dictionary<string, object?>
        {
            ["name"] = "Shop " + team.Name, ["greeting"] = "Hi! Thanks for reaching out.", ["allowedOrigins"] = new[] { "https://shop.example" },
            ["teamId"] = team.Id, ["promptAfterSeconds"] = 120, ["endAfterSeconds"] = 600, ["missedAfterSeconds"] = 300,
        };
        if (overrides is not null)
            foreach (var p in overrides.GetType().GetProperties()) body[p.Name] = p.GetValue(overrides);
        var response = await admin.PostJsonAsync("/api/v1/chat/sites", body, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<ChatSiteDto>(Ct);
    }

    private async Task<VisitorDto> RegisterAsync(ChatSiteDto site, string? token = null, string origin = "https://shop.example")
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/chat/sites/{site.Key}/visitors") { Content = System.Net.Http.Json.JsonContent.Create(new { token }) };
        request.Headers.Add("Origin", origin);
        return await (await client.SendAsync(request, Ct)).ReadAsync<VisitorDto>(Ct);
    }

    private HubConnection Connect(string? token, string origin = "https://shop.example") => new HubConnectionBuilder()
        .WithUrl(new Uri(app.Server.BaseAddress, "/hubs/chat/visitor"), o =>
        {
            o.Transports = HttpTransportType.LongPolling;
            o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult(token);
            o.Headers["Origin"] = origin;
        })
        .AddJsonProtocol(o => Json.Configure(o.PayloadSerializerOptions))
        .Build();

    private async Task<Visitor> VisitAsync(ChatSiteDto site, string? token = null)
    {
        var registered = await RegisterAsync(site, token);
        var hub = Connect(registered.Token);
        var visitor = new Visitor { Hub = hub, Token = registered.Token, Id = registered.VisitorId };
        hub.On<ChatMessageDto>("Message", m => visitor.Messages.Enqueue(m));
        hub.On<QueueDto>("Queue", q => visitor.Queue.Enqueue(q));
        hub.On<EndedDto>("Ended", visitor.Ended.Enqueue);
        hub.On<AcceptedDto>("Accepted", visitor.Accepted.Enqueue);
        await hub.StartAsync(Ct);
        return visitor;
    }

    private sealed record EndedDto(string Reason, string Message, int Version);

    private sealed record AcceptedDto(string Agent, int Version);

    private static Task<ChatStateDto> StartAsync(Visitor v, string question, string? email = null, string? name = "Dana Fox", string? clientId = null)
        => v.Hub.InvokeAsync<ChatStateDto>("Start", new StartChatRequest(name, email, question, "https://shop.example/pricing", clientId ?? Guid.NewGuid().ToString()), Ct);

    private static Task<ChatAck> SendAsync(Visitor v, string body, string? clientId = null)
        => v.Hub.InvokeAsync<ChatAck>("Send", new SendChatRequest(clientId ?? Guid.NewGuid().ToString(), body), Ct);

    /// <summary>The code of a hub refusal: the server words it "… HubException: code: words".</summary>
    private static string Code(HubException e) => e.Message[(e.Message.IndexOf("HubException: ", StringComparison.Ordinal) + 14)..].Split(':')[0];

    /// <summary>Waits (ten seconds at most) for something the server pushes.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<T?> probe, string what)
    {
        for (var i = 0; i < 200; i++)
        {
            if (probe() is { } found) return found;
            await Task.Delay(50, Ct);
        }
        throw new Xunit.Sdk.XunitException($"Never saw {what}.");
    }

    private async Task<T> WithDbAsync<T>(Func<LoopdeskDb, Task<T>> query)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }

    private Task<ChatSession> ChatAsync(Guid id) => WithDbAsync(db => db.Chats.AsNoTracking().Include(c => c.Lines).FirstAsync(c => c.Id == id, Ct));

    private Task<Ticket> TicketOfAsync(Guid chatId) => WithDbAsync(async db =>
    {
        var ticketId = await db.Chats.Where(c => c.Id == chatId).Select(c => c.TicketId).FirstAsync(Ct);
        Assert.NotNull(ticketId);
        return await db.Tickets.AsNoTracking().Include(t => t.Messages).Include(t => t.Contacts).FirstAsync(t => t.Id == ticketId, Ct);
    });

    private async Task<ChatDto> AcceptAsync(Guid chatId, AgentRole role = AgentRole.Agent)
    {
        using var agent = app.CreateClient(role);
        return await (await agent.PostJsonAsync($"/api/v1/chats/{chatId}/accept", new { }, Ct)).ReadAsync<ChatDto>(Ct);
    }

    private async Task AgentSaysAsync(Guid chatId, string body, AgentRole role = AgentRole.Agent)
    {
        using var agent = app.CreateClient(role);
        (await agent.PostJsonAsync($"/api/v1/chats/{chatId}/messages", new { body }, Ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_visitor_and_an_agent_chat_both_ways_and_the_transcript_lands_on_a_ticket()
    {
        var site = await NewSiteAsync();
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Where is my order 1042?", email: $"dana{Guid.NewGuid():N}@example.com");
        Assert.Equal("queued", state.Status);
        Assert.Equal(1, state.Position);
        Assert.NotNull(state.ExpectedWaitSeconds);
        Assert.Equal(ChatAuthor.Visitor, state.Messages[0].From);
        Assert.Equal("Hi! Thanks for reaching out.", state.Messages[1].Body);

        using var agent = app.CreateClient(AgentRole.Agent);
        var queued = await agent.GetJsonAsync<ChatPage>("/api/v1/chats?state=queued", Ct);
        Assert.Contains(queued.Items, c => c.Id == state.ChatId);

        await AcceptAsync(state.ChatId);
        Assert.Equal("Test agent", await EventuallyAsync(() => visitor.Accepted.FirstOrDefault()?.Agent, "the accepted notice"));
        await AgentSaysAsync(state.ChatId, "Hello Dana, let me look that up for you.");
        var fromAgent = await EventuallyAsync(() => visitor.Messages.FirstOrDefault(m => m.From == ChatAuthor.Agent), "the agent's message");
        Assert.Equal("Hello Dana, let me look that up for you.", fromAgent.Body);
        Assert.Equal("Test agent", fromAgent.Author);

        var ack = await SendAsync(visitor, "Thanks! It was ordered last Monday.");
        var chat = await agent.GetJsonAsync<ChatDto>($"/api/v1/chats/{state.ChatId}", Ct);
        Assert.Contains(chat.Messages, m => m.Id == ack.Id && m.From == ChatAuthor.Visitor && m.Body == "Thanks! It was ordered last Monday.");

        (await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/end", new { }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal("agent", await EventuallyAsync(() => visitor.Ended.FirstOrDefault()?.Reason, "the end"));
        var ticket = await TicketOfAsync(state.ChatId);
        Assert.Equal(Channel.Chat, ticket.Channel);
        Assert.Equal(app.AgentId(AgentRole.Agent), ticket.AssigneeId);
        var transcript = Assert.Single(ticket.Messages, m => m.Direction == MessageDirection.Inbound);
        Assert.Contains("Where is my order 1042?", transcript.Text);
        Assert.Contains("Test agent: Hello Dana, let me look that up for you.", transcript.Text);
        Assert.Contains("It was ordered last Monday.", transcript.Text);
        // a conversation that happened: one contact, by the agent, and no acknowledgement sent after it
        Assert.Equal(ActorKind.Agent, Assert.Single(ticket.Contacts).RecordedByKind);
        Assert.DoesNotContain(ticket.Messages, m => m.Direction == MessageDirection.Outbound && !m.Internal);

        var text = await agent.GetStringAsync($"/api/v1/chats/{state.ChatId}/transcript", Ct);
        Assert.Contains("Dana Fox: Thanks! It was ordered last Monday.", text);
    }

    [Fact]
    public async Task The_queue_tells_each_visitor_their_place_and_an_honest_wait_and_moves_when_a_chat_is_taken()
    {
        var site = await NewSiteAsync(capacity: 1);
        await using var first = await VisitAsync(site);
        await using var second = await VisitAsync(site);
        await using var third = await VisitAsync(site);
        var a = await StartAsync(first, "First question");
        var b = await StartAsync(second, "Second question");
        var c = await StartAsync(third, "Third question");
        Assert.Equal((1, 2, 3), (a.Position, b.Position, c.Position));
        // one agent with room for one chat: the first is picked up soon, the later ones wait for chats to end, longer than usual
        Assert.True(c.ExpectedWaitSeconds > a.ExpectedWaitSeconds, $"{c.ExpectedWaitSeconds} after {a.ExpectedWaitSeconds}");
        Assert.False(a.LongerThanUsual);
        Assert.True(c.LongerThanUsual);

        await AcceptAsync(a.ChatId);
        var moved = await EventuallyAsync(() => third.Queue.LastOrDefault(q => q.Position == 2), "the third visitor moving up");
        Assert.Equal(2, moved.Position);
        Assert.Equal(1, (await EventuallyAsync(() => second.Queue.LastOrDefault(q => q.Position == 1), "the second visitor moving up")).Position);

        // over capacity: the agent cannot take the next one until they end one
        using var agent = app.CreateClient(AgentRole.Agent);
        var refused = await agent.PostJsonAsync($"/api/v1/chats/{b.ChatId}/accept", new { }, Ct);
        Assert.Equal("chat.over_capacity", (await refused.ProblemAsync(HttpStatusCode.Conflict, Ct)).GetProperty("code").GetString());
        Assert.Equal(ChatState.Queued, (await ChatAsync(b.ChatId)).State);
    }

    [Fact]
    public async Task A_reload_or_reconnect_resumes_the_same_chat_and_a_resent_message_is_not_duplicated()
    {
        var site = await NewSiteAsync();
        var registered = await RegisterAsync(site);
        ChatStateDto state;
        var clientId = Guid.NewGuid().ToString();
        await using (var hub = Connect(registered.Token))
        {
            await hub.StartAsync(Ct);
            state = await hub.InvokeAsync<ChatStateDto>("Start", new StartChatRequest(null, null, "My parcel is late", null, Guid.NewGuid().ToString()), Ct);
            await hub.InvokeAsync<ChatAck>("Send", new SendChatRequest(clientId, "It was due on Friday."), Ct);
        }
        // the page reloads: the browser comes back with its token, gets the same visitor and the same chat
        var again = await RegisterAsync(site, registered.Token);
        Assert.True(again.Returning);
        Assert.Equal(registered.VisitorId, again.VisitorId);
        await using var reloaded = Connect(again.Token);
        await reloaded.StartAsync(Ct);
        var resumed = await reloaded.InvokeAsync<ChatStateDto?>("Resume", Ct);
        Assert.NotNull(resumed);
        Assert.Equal(state.ChatId, resumed.ChatId);
        Assert.Contains(resumed.Messages, m => m.ClientMessageId == clientId);

        // the message whose acknowledgement was lost is sent again with its id, and a stale one is replayed: one line each
        var first = resumed.Messages.Single(m => m.ClientMessageId == clientId);
        var resent = await reloaded.InvokeAsync<ChatAck>("Send", new SendChatRequest(clientId, "It was due on Friday."), Ct);
        Assert.Equal(first.Id, resent.Id);
        var replayed = await reloaded.InvokeAsync<ChatAck>("Send", new SendChatRequest(state.Messages[0].ClientMessageId!, "My parcel is late"), Ct);
        Assert.Equal(state.Messages[0].Id, replayed.Id);
        var lines = (await ChatAsync(state.ChatId)).Lines;
        Assert.Single(lines, l => l.ClientMessageId == clientId);
        Assert.Equal(2, lines.Count(l => l.Author == ChatAuthor.Visitor));

        // starting again while the chat is live gives the same chat, not a second one
        var restarted = await reloaded.InvokeAsync<ChatStateDto>("Start", new StartChatRequest(null, null, "Hello?", null, Guid.NewGuid().ToString()), Ct);
        Assert.Equal(state.ChatId, restarted.ChatId);
    }

    [Fact]
    public async Task A_silent_visitor_is_asked_whether_they_are_still_there_and_after_ten_minutes_the_chat_ends_politely()
    {
        var site = await NewSiteAsync(new { closingMessage = "Thanks for chatting with Shop!" });
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Can I change my delivery address?");
        await AcceptAsync(state.ChatId);
        await AgentSaysAsync(state.ChatId, "Yes: what is the new address?");

        await app.AdvanceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(ChatState.Active, (await ChatAsync(state.ChatId)).State);
        await app.AdvanceAsync(TimeSpan.FromSeconds(61));
        var prompt = await EventuallyAsync(() => visitor.Messages.FirstOrDefault(m => m.Body == ChatService.StillThere), "the are-you-still-there prompt");
        Assert.Equal(ChatAuthor.System, prompt.From);
        Assert.Equal(ChatState.IdleWarned, (await ChatAsync(state.ChatId)).State);

        await app.AdvanceAsync(TimeSpan.FromSeconds(300));
        Assert.Equal(ChatState.IdleWarned, (await ChatAsync(state.ChatId)).State);
        await app.AdvanceAsync(TimeSpan.FromSeconds(200));
        Assert.Equal("idle", await EventuallyAsync(() => visitor.Ended.FirstOrDefault()?.Reason, "the idle end"));
        Assert.Contains(visitor.Messages, m => m.Body.StartsWith("Thanks for chatting with Shop!", StringComparison.Ordinal));
        var chat = await ChatAsync(state.ChatId);
        Assert.Equal((ChatState.Ended, ChatEndReason.Idle), (chat.State, chat.EndReason));
        Assert.Contains("Are you still there?", (await TicketOfAsync(state.ChatId)).Messages.Single(m => m.Direction == MessageDirection.Inbound).Text);
    }

    [Fact]
    public async Task A_visitor_who_answers_the_prompt_keeps_the_chat_and_the_agent_can_prompt_by_hand()
    {
        var site = await NewSiteAsync(new { autoPrompt = false });
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Do you ship to Norway?");
        await AcceptAsync(state.ChatId);
        await AgentSaysAsync(state.ChatId, "We do. Which city?");
        await app.AdvanceAsync(TimeSpan.FromSeconds(130));
        // the site leaves the prompt to the agent: nothing is sent by itself
        Assert.DoesNotContain(visitor.Messages, m => m.Body == ChatService.StillThere);
        using var agent = app.CreateClient(AgentRole.Agent);
        (await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/prompt", new { }, Ct)).EnsureSuccessStatusCode();
        await EventuallyAsync(() => visitor.Messages.FirstOrDefault(m => m.Body == ChatService.StillThere), "the prompt");
        await SendAsync(visitor, "Yes, sorry! Bergen.");
        Assert.Equal(ChatState.Active, (await ChatAsync(state.ChatId)).State);
        // waiting on the agent is not the visitor's silence
        await app.AdvanceAsync(TimeSpan.FromSeconds(700));
        Assert.Equal(ChatState.Active, (await ChatAsync(state.ChatId)).State);
    }

    [Fact]
    public async Task A_chat_nobody_answers_is_missed_and_the_visitor_gets_a_personal_follow_up_by_email()
    {
        var site = await NewSiteAsync(new { autoFollowUp = true, missedAfterSeconds = 180 });
        await using var visitor = await VisitAsync(site);
        var email = $"lee{Guid.NewGuid():N}@example.com";
        var state = await StartAsync(visitor, "Is the blue jacket back in stock?", email: email, name: "Lee Park");
        await app.AdvanceAsync(TimeSpan.FromSeconds(179));
        Assert.Equal(ChatState.Queued, (await ChatAsync(state.ChatId)).State);
        await app.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal("missed", await EventuallyAsync(() => visitor.Ended.FirstOrDefault()?.Reason, "the missed end"));
        var chat = await ChatAsync(state.ChatId);
        Assert.Equal(ChatState.Missed, chat.State);

        var ticket = await TicketOfAsync(state.ChatId);
        Assert.Contains("chat-missed", ticket.Tags);
        var followUp = Assert.Single(ticket.Messages, m => m.Direction == MessageDirection.Outbound && !m.Internal);
        Assert.Equal(Channel.Email, followUp.Channel);
        Assert.StartsWith("Hello Lee,", followUp.Text);
        Assert.Contains("nobody answered you", followUp.Text);
        Assert.Contains(ticket.Reference, followUp.Text);
        Assert.Contains("I am sorry", followUp.Text);
        Assert.Contains("Thank you", followUp.Text);
        Assert.Equal(ActorKind.System, Assert.Single(ticket.Contacts).RecordedByKind);
    }

    [Fact]
    public async Task A_missed_chat_is_drafted_for_the_team_lead_to_send_when_the_site_says_so_and_one_without_email_is_only_recorded()
    {
        var site = await NewSiteAsync(new { autoFollowUp = false });
        using (var admin = Admin)
            (await admin.PatchJsonAsync($"/api/v1/teams/{site.TeamId}", new { leadId = app.AgentId(AgentRole.Supervisor) }, Ct)).EnsureSuccessStatusCode();
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Do you price-match?", email: $"kim{Guid.NewGuid():N}@example.com", name: "Kim");
        await using var anonymous = await VisitAsync(site);
        var nameless = await StartAsync(anonymous, "hello?", name: null);
        await app.AdvanceAsync(TimeSpan.FromSeconds(301));

        var ticket = await TicketOfAsync(state.ChatId);
        // routed to someone of the team (the lead when the team's routing leaves it unassigned), with the draft to send
        Assert.Contains(ticket.AssigneeId, new Guid?[] { app.AgentId(AgentRole.Agent), app.AgentId(AgentRole.Supervisor) });
        var draft = Assert.Single(ticket.Messages, m => m.Internal);
        Assert.Contains("Hello Kim,", draft.Text);
        Assert.DoesNotContain(ticket.Messages, m => m.Direction == MessageDirection.Outbound && !m.Internal);

        var quiet = await TicketOfAsync(nameless.ChatId);
        Assert.Equal(ChatState.Missed, (await ChatAsync(nameless.ChatId)).State);
        Assert.DoesNotContain(quiet.Messages, m => m.Direction == MessageDirection.Outbound);
    }

    [Fact]
    public async Task A_visitor_who_leaves_the_queue_is_abandoned_and_the_report_counts_missed_and_abandoned_per_hour()
    {
        var site = await NewSiteAsync();
        var from = app.Clock.GetUtcNow().AddMinutes(-1);
        await using var leaving = await VisitAsync(site);
        var left = await StartAsync(leaving, "Never mind");
        await leaving.Hub.InvokeAsync<bool>("Leave", Ct);
        Assert.Equal(ChatState.Abandoned, (await ChatAsync(left.ChatId)).State);
        Assert.Contains("chat-abandoned", (await TicketOfAsync(left.ChatId)).Tags);

        await using var answered = await VisitAsync(site);
        var taken = await StartAsync(answered, "Quick one");
        await AcceptAsync(taken.ChatId);
        var hour = app.Clock.GetUtcNow().Hour;

        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var report = await supervisor.GetJsonAsync<ChatReport>($"/api/v1/reports/chat?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(app.Clock.GetUtcNow().AddMinutes(1).ToString("O"))}", Ct);
        Assert.True(report.Chats >= 2);
        Assert.True(report.Abandoned >= 1);
        Assert.True(report.Answered >= 1);
        Assert.Equal(24, report.ByHour.Count);
        Assert.True(report.ByHour[hour].Abandoned >= 1);
        Assert.InRange(report.AbandonmentRate, 0.0001, 1);

        using var agent = app.CreateClient(AgentRole.Agent);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/v1/reports/chat", Ct)).StatusCode);
    }

    [Fact]
    public async Task With_nobody_online_the_widget_takes_an_offline_message_that_becomes_an_acknowledged_ticket()
    {
        var site = await NewSiteAsync(members: []);
        using var anonymous = app.CreateClient();
        var config = await anonymous.GetJsonAsync<ChatSiteConfig>($"/api/v1/chat/sites/{site.Key}", Ct);
        Assert.False(config.Online);
        await using var visitor = await VisitAsync(site);
        var refused = await Assert.ThrowsAsync<HubException>(() => StartAsync(visitor, "Anyone there?"));
        Assert.Equal("chat.offline", Code(refused));

        var result = await visitor.Hub.InvokeAsync<OfflineResult>("Offline", new OfflineRequest("Ana", $"ana{Guid.NewGuid():N}@example.com", "Please call me about my invoice.", null), Ct);
        Assert.Matches("^[A-Z0-9-]+$", result.Reference);
        Assert.Contains(result.Reference, result.Acknowledgement);
        var ticket = await WithDbAsync(db => db.Tickets.AsNoTracking().Include(t => t.Messages).FirstAsync(t => t.Reference == result.Reference, Ct));
        Assert.Equal(Channel.Chat, ticket.Channel);
        Assert.Contains(ticket.Messages, m => m.Direction == MessageDirection.Outbound && m.Text == result.Acknowledgement);
    }

    [Fact]
    public async Task A_returning_visitor_lands_on_their_unresolved_ticket_with_the_same_agent()
    {
        var site = await NewSiteAsync();
        await using var visitor = await VisitAsync(site);
        var first = await StartAsync(visitor, "My refund has not arrived", email: $"sam{Guid.NewGuid():N}@example.com");
        await AcceptAsync(first.ChatId);
        await visitor.Hub.InvokeAsync<bool>("Leave", Ct);
        var ticket = await TicketOfAsync(first.ChatId);

        var second = await StartAsync(visitor, "Still no refund");
        var chat = await ChatAsync(second.ChatId);
        Assert.Equal(ticket.Id, chat.TicketId);
        Assert.Equal(app.AgentId(AgentRole.Agent), chat.PreferredAgentId);
        Assert.Equal((await ChatAsync(first.ChatId)).CustomerId, chat.CustomerId);
    }

    [Fact]
    public async Task Every_push_to_the_visitor_says_which_version_of_the_chat_it_tells_so_a_late_place_in_the_queue_is_known_as_older()
    {
        var site = await NewSiteAsync();
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Is the shop open on Sunday?");

        await AcceptAsync(state.ChatId);
        var accepted = await EventuallyAsync(() => visitor.Accepted.FirstOrDefault(), "the accepted notice");
        Assert.True(accepted.Version > state.Version, $"accepted at {accepted.Version}, queued at {state.Version}");
        // whatever place the visitor was told while waiting is older than the acceptance
        Assert.All(visitor.Queue, q => Assert.Equal(state.Version, q.Version));
        Assert.Equal(accepted.Version, (await visitor.Hub.InvokeAsync<ChatStateDto?>("Resume", Ct))!.Version);

        // passed back to the team, the chat is queued again at a newer version, and the visitor is told so
        using var agent = app.CreateClient(AgentRole.Agent);
        (await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/transfer", new { teamId = site.TeamId }, Ct)).EnsureSuccessStatusCode();
        var requeued = await EventuallyAsync(() => visitor.Queue.FirstOrDefault(q => q.Version > accepted.Version), "the place after the transfer");
        Assert.Equal(1, requeued.Position);

        await AcceptAsync(state.ChatId);
        var again = await EventuallyAsync(() => visitor.Accepted.FirstOrDefault(a => a.Version > requeued.Version), "the second acceptance");
        (await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/end", new { }, Ct)).EnsureSuccessStatusCode();
        Assert.True((await EventuallyAsync(() => visitor.Ended.FirstOrDefault(), "the end")).Version > again.Version);
    }

    [Fact]
    public async Task An_agent_transfers_a_chat_with_a_note_the_visitor_never_sees_and_attaches_it_to_a_ticket()
    {
        var site = await NewSiteAsync(members: [AgentRole.Agent, AgentRole.Supervisor]);
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Billing question", email: $"jo{Guid.NewGuid():N}@example.com");
        await AcceptAsync(state.ChatId);
        using var agent = app.CreateClient(AgentRole.Agent);
        (await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/transfer", new { agentId = app.AgentId(AgentRole.Supervisor), note = "VIP, handle with care" }, Ct)).EnsureSuccessStatusCode();
        await EventuallyAsync(() => visitor.Messages.FirstOrDefault(m => m.Body.Contains("passed this chat", StringComparison.Ordinal)), "the transfer notice");
        // the visitor's widget names the colleague now with them, at a newer version than the first agent's acceptance
        var first = await EventuallyAsync(() => visitor.Accepted.FirstOrDefault(), "the first acceptance");
        var passed = await EventuallyAsync(() => visitor.Accepted.FirstOrDefault(a => a.Version > first.Version), "the colleague's acceptance");
        Assert.NotEqual(first.Agent, passed.Agent);
        Assert.DoesNotContain(visitor.Messages, m => m.Body.Contains("VIP", StringComparison.Ordinal));
        var resumed = await visitor.Hub.InvokeAsync<ChatStateDto?>("Resume", Ct);
        Assert.DoesNotContain(resumed!.Messages, m => m.Body.Contains("VIP", StringComparison.Ordinal));
        Assert.Equal(app.AgentId(AgentRole.Supervisor), (await ChatAsync(state.ChatId)).AgentId);
        // the old agent no longer speaks in it
        var notYours = await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/messages", new { body = "hi" }, Ct);
        Assert.Equal("chat.not_yours", (await notYours.ProblemAsync(HttpStatusCode.Conflict, Ct)).GetProperty("code").GetString());

        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var existing = await supervisor.CreateTicketAsync("Earlier invoice question", Ct, email: state.Email);
        var other = await supervisor.CreateTicketAsync("Someone else's", Ct);
        var foreign = await supervisor.PostJsonAsync($"/api/v1/chats/{state.ChatId}/ticket", new { reference = other.Reference }, Ct);
        Assert.Equal("ticket.other_customer", (await foreign.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        (await supervisor.PostJsonAsync($"/api/v1/chats/{state.ChatId}/ticket", new { reference = existing.Reference }, Ct)).EnsureSuccessStatusCode();
        (await supervisor.PostJsonAsync($"/api/v1/chats/{state.ChatId}/end", new { }, Ct)).EnsureSuccessStatusCode();
        var onTicket = await TicketOfAsync(state.ChatId);
        Assert.Equal(existing.Id, onTicket.Id);
        Assert.Contains(onTicket.Messages, m => m.Text.Contains("Billing question", StringComparison.Ordinal));
        Assert.DoesNotContain(onTicket.Messages, m => m.Text.Contains("VIP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agents_tools_hear_every_chat_on_the_agent_hub_and_nobody_else_connects()
    {
        var site = await NewSiteAsync();
        var signals = new ConcurrentQueue<System.Text.Json.JsonElement>();
        await using var agentHub = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Server.BaseAddress, "/hubs/chat/agent"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(app.TokenOf(AgentRole.Agent));
            })
            .Build();
        agentHub.On<System.Text.Json.JsonElement>("Signal", s => signals.Enqueue(s));
        await agentHub.StartAsync(Ct);
        // The server answers the handshake before it runs OnConnectedAsync (which joins the agents' group), and reads
        // invocations only after it: an answer to any call, here one the hub does not have, means the group is joined.
        await Assert.ThrowsAsync<HubException>(() => agentHub.InvokeAsync("Ready", Ct));

        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Hello from the shop");
        await EventuallyAsync(() => signals.FirstOrDefault(s => s.GetProperty("kind").GetString() == "queued" && s.GetProperty("chatId").GetGuid() == state.ChatId) is { ValueKind: System.Text.Json.JsonValueKind.Object } x ? (object)x : null, "the queued signal");
        await AcceptAsync(state.ChatId);
        await SendAsync(visitor, "Are you there?");
        var line = await EventuallyAsync(() => signals.FirstOrDefault(s => s.GetProperty("kind").GetString() == "line") is { ValueKind: System.Text.Json.JsonValueKind.Object } x ? (object)x : null, "the line signal");
        Assert.Equal("Are you there?", ((System.Text.Json.JsonElement)line).GetProperty("data").GetProperty("body").GetString());

        foreach (var token in new[] { null, app.TokenOf(AgentRole.Collaborator), "ldk_made_up_token_0123456789abcdef" })
        {
            await using var stranger = new HubConnectionBuilder()
                .WithUrl(new Uri(app.Server.BaseAddress, "/hubs/chat/agent"), o =>
                {
                    o.Transports = HttpTransportType.LongPolling;
                    o.HttpMessageHandlerFactory = _ => app.Server.CreateHandler();
                    o.AccessTokenProvider = () => Task.FromResult(token);
                })
                .Build();
            await Assert.ThrowsAsync<HttpRequestException>(() => stranger.StartAsync(Ct));
        }
    }

    // ---- bad input

    [Fact]
    public async Task Oversized_messages_are_refused_and_a_flood_is_rate_limited_while_the_chat_stays_usable()
    {
        var site = await NewSiteAsync();
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "Hi");
        var tooLong = await Assert.ThrowsAsync<HubException>(() => SendAsync(visitor, new string('x', ChatLine.BodyMaxLength + 1)));
        Assert.Equal("chat.too_long", Code(tooLong));
        var huge = await Assert.ThrowsAsync<HubException>(() => StartAsync(visitor, new string('y', 5000)));
        Assert.Equal("chat.too_long", Code(huge));

        var results = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
        {
            try { await SendAsync(visitor, $"spam {i}"); return "ok"; }
            catch (HubException e) { return Code(e); }
        }));
        Assert.Contains("chat.rate_limited", results);
        Assert.InRange(results.Count(r => r == "ok"), 1, 30);
        await Task.Delay(1200, Ct);
        var ack = await SendAsync(visitor, "Sorry, my keyboard got stuck.");
        Assert.Contains((await ChatAsync(state.ChatId)).Lines, l => l.Id == ack.Id);
    }

    [Fact]
    public async Task Markup_in_messages_and_names_is_kept_as_text_never_as_markup()
    {
        var site = await NewSiteAsync();
        await using var visitor = await VisitAsync(site);
        var state = await StartAsync(visitor, "<img src=x onerror=alert(1)>", name: "<script>alert('x')</script>");
        await SendAsync(visitor, "<b>bold</b> & <a href=\"javascript:alert(1)\">link</a>");
        using var agent = app.CreateClient(AgentRole.Agent);
        var chat = await agent.GetJsonAsync<ChatDto>($"/api/v1/chats/{state.ChatId}", Ct);
        Assert.Contains(chat.Messages, m => m.Body == "<b>bold</b> & <a href=\"javascript:alert(1)\">link</a>");
        Assert.Equal("<script>alert('x')</script>", chat.Chat.Name);
        await AcceptAsync(state.ChatId);
        (await agent.PostJsonAsync($"/api/v1/chats/{state.ChatId}/end", new { }, Ct)).EnsureSuccessStatusCode();
        var transcript = (await TicketOfAsync(state.ChatId)).Messages.Single(m => m.Direction == MessageDirection.Inbound);
        Assert.Null(transcript.Html);
        Assert.Contains("<img src=x onerror=alert(1)>", transcript.Text);
    }

    [Fact]
    public async Task A_forged_token_opens_nothing_and_a_visitor_token_never_reads_another_chat()
    {
        var site = await NewSiteAsync();
        await using var owner = await VisitAsync(site);
        var state = await StartAsync(owner, "Private: my account number is 12345");

        // a made-up or altered token is a new visitor, never the owner
        var forged = await RegisterAsync(site, owner.Token[..^4] + "AAAA");
        Assert.False(forged.Returning);
        Assert.NotEqual(owner.Id, forged.VisitorId);
        await using var stranger = Connect(forged.Token);
        await stranger.StartAsync(Ct);
        Assert.Null(await stranger.InvokeAsync<ChatStateDto?>("Resume", Ct));
        var ack = await Assert.ThrowsAsync<HubException>(() => stranger.InvokeAsync<ChatAck>("Send", new SendChatRequest("x1", "let me in"), Ct));
        Assert.Equal("chat.ended", Code(ack));
        Assert.DoesNotContain((await ChatAsync(state.ChatId)).Lines, l => l.Body == "let me in");

        // a connection with a broken token is closed before it can do anything
        await using var broken = Connect("not-a-token");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await broken.StartAsync(Ct);
            await broken.InvokeAsync<ChatStateDto?>("Resume", Ct);
        });

        // the visitor token is no key to the agents' API
        using var withVisitorToken = app.ClientWithToken(owner.Token);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withVisitorToken.GetAsync($"/api/v1/chats/{state.ChatId}", Ct)).StatusCode);
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/chats/{state.ChatId}/transcript", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_page_on_an_origin_the_site_does_not_allow_gets_no_chat()
    {
        var site = await NewSiteAsync();
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/chat/sites/{site.Key}");
        request.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(request, Ct)).StatusCode);
        using var allowed = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/chat/sites/{site.Key}");
        allowed.Headers.Add("Origin", "https://shop.example");
        var ok = await client.SendAsync(allowed, Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("https://shop.example", ok.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var register = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/chat/sites/{site.Key}/visitors") { Content = System.Net.Http.Json.JsonContent.Create(new { token = (string?)null }) };
        register.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(register, Ct)).StatusCode);

        var visitor = await RegisterAsync(site);
        await using var hub = Connect(visitor.Token, origin: "https://evil.example");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await hub.StartAsync(Ct);
            await hub.InvokeAsync<ChatStateDto?>("Resume", Ct);
        });
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/chat/sites/site_unknown", Ct)).StatusCode);
    }

    [Fact]
    public async Task Site_settings_are_checked_and_only_admins_change_them_while_agents_toggle_invitations()
    {
        var site = await NewSiteAsync(new { invitations = new[] { new { message = "Need a hand with pricing?", afterSeconds = 20, urlPattern = "/pricing*", returningOnly = false } } });
        using var admin = Admin;
        var bad = await admin.PostJsonAsync("/api/v1/chat/sites", new { name = "x", allowedOrigins = new[] { "javascript:alert(1)" } }, Ct);
        Assert.Equal("chat.site_invalid", (await bad.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        using var agent = app.CreateClient(AgentRole.Agent);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.PostJsonAsync("/api/v1/chat/sites", new { name = "mine" }, Ct)).StatusCode);

        var invitation = Assert.Single(site.Invitations);
        using (var put = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/chat/sites/{site.Key}/invitations/{invitation.Id}") { Content = System.Net.Http.Json.JsonContent.Create(new { enabled = false }) })
            (await agent.SendAsync(put, Ct)).EnsureSuccessStatusCode();
        using var anonymous = app.CreateClient();
        Assert.Empty((await anonymous.GetJsonAsync<ChatSiteConfig>($"/api/v1/chat/sites/{site.Key}", Ct)).Invitations);

        using var stale = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/chat/sites/{site.Key}") { Content = System.Net.Http.Json.JsonContent.Create(new { name = "Renamed" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", "\"v1\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await admin.SendAsync(stale, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_agent_learns_the_visitors_browser_language_and_each_page_they_move_to_while_the_chat_is_live()
    {
        var site = await NewSiteAsync();
        await using var visitor = await VisitAsync(site);
        // nothing to tell before a chat
        Assert.False(await visitor.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/early", Ct));
        var state = await visitor.Hub.InvokeAsync<ChatStateDto>("Start",
            new StartChatRequest("Noor", null, "Is the tent waterproof?", "https://shop.example/tents", "n1", "de-CH"), Ct);
        var chat = await ChatAsync(state.ChatId);
        Assert.Equal("https://shop.example/tents", chat.Page);
        Assert.Equal("de-CH", await WithDbAsync(db => db.Customers.Where(c => c.Id == chat.CustomerId).Select(c => c.Language).FirstAsync(Ct)));

        Assert.True(await visitor.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/tents/ridge-2", Ct));
        Assert.False(await visitor.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/tents/ridge-2", Ct));
        Assert.False(await visitor.Hub.InvokeAsync<bool>("Navigate", "   ", Ct));
        Assert.True(await visitor.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/" + new string('a', 3000), Ct));
        Assert.Equal(2000, (await ChatAsync(state.ChatId)).Page!.Length);
        Assert.True(await visitor.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/tents/ridge-2", Ct));
        using (var agent = app.CreateClient(AgentRole.Agent))
            Assert.Equal("https://shop.example/tents/ridge-2", (await agent.GetJsonAsync<ChatDto>($"/api/v1/chats/{state.ChatId}", Ct)).Chat.Page);
        // a flood of moves is cut off by the visitor's rate limit; the chat stays usable
        var moves = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => visitor.Hub.InvokeAsync<bool>("Navigate", $"https://shop.example/flood/{i}", Ct)));
        Assert.Contains(true, moves);
        Assert.Contains(false, moves);
        await Task.Delay(2100, Ct);
        await SendAsync(visitor, "Sorry, clicked around a lot.");
        Assert.True(await visitor.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/tents/ridge-2", Ct));

        // a language already on the profile stays; a value that is no language tag is left out, the chat goes on
        await visitor.Hub.InvokeAsync<bool>("Leave", Ct);
        var again = await visitor.Hub.InvokeAsync<ChatStateDto>("Start", new StartChatRequest("Noor", null, "One more thing", null, "n2", "fr-FR"), Ct);
        Assert.Equal("de-CH", await WithDbAsync(db => db.Customers.Where(c => c.Id == chat.CustomerId).Select(c => c.Language).FirstAsync(Ct)));
        await visitor.Hub.InvokeAsync<bool>("Leave", Ct);
        await using var other = await VisitAsync(site);
        var junk = await other.Hub.InvokeAsync<ChatStateDto>("Start", new StartChatRequest(null, null, "Hello?", null, "o1", "<script>alert(1)</script>"), Ct);
        var otherCustomer = (await ChatAsync(junk.ChatId)).CustomerId;
        Assert.Null(await WithDbAsync(db => db.Customers.Where(c => c.Id == otherCustomer).Select(c => c.Language).FirstAsync(Ct)));
        Assert.Equal("queued", again.Status);
        // after the chat, a move is nobody's business
        await other.Hub.InvokeAsync<bool>("Leave", Ct);
        Assert.False(await other.Hub.InvokeAsync<bool>("Navigate", "https://shop.example/later", Ct));
    }
}

public sealed class ChatOnSqlite(SqliteApp app) : ChatTests(app), IClassFixture<SqliteApp>;

public sealed class ChatOnPostgres(PostgresApp app) : ChatTests(app), IClassFixture<PostgresApp>;
