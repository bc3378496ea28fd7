using System.Collections.Concurrent;
using System.Text;
using System.Threading.RateLimiting;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Chat;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Chat;

/// <summary>A refusal a visitor or an agent can act on: a stable code and words for a person.</summary>
public sealed class ChatException(string code, string message, int status = 422) : Exception(message)
{
    public string Code => code;
    public int Status => status;

    /// <summary>How a hub says it: "code: words" (a hub error carries one string).</summary>
    public HubException ToHub() => new($"{code}: {Message}");
}

public sealed record ChatMessageDto(Guid Id, string? ClientMessageId, ChatAuthor From, string? Author, string Body, DateTimeOffset SentAt, bool Internal = false);

public sealed record ChatAck(Guid Id, string? ClientMessageId, DateTimeOffset SentAt);

/// <summary>
/// What the widget shows of the visitor's chat. status is queued, active or ended. <c>Version</c> is the chat's, which
/// every change of its state raises; the pushes <c>Queue</c>, <c>Accepted</c> and <c>Ended</c> carry it too, so the widget
/// can tell a place in the queue worked out before an agent took the chat from one that came after.
/// </summary>
public sealed record ChatStateDto(Guid ChatId, string Status, int? Position, int? ExpectedWaitSeconds, bool LongerThanUsual, string? Agent, string? Email, IReadOnlyList<ChatMessageDto> Messages,
    int Version);

/// <summary>A queued visitor's place and honest wait, as of the chat's <c>Version</c>.</summary>
public sealed record QueueDto(int Position, int ExpectedWaitSeconds, bool LongerThanUsual, int Version);

/// <summary>A new chat. <c>Language</c> is the browser's (<c>navigator.language</c>), kept on the customer when they have none yet.</summary>
public sealed record StartChatRequest(string? Name, string? Email, string Question, string? Page, string? ClientMessageId, string? Language = null);

public sealed record SendChatRequest(string ClientMessageId, string Body);

public sealed record OfflineRequest(string? Name, string? Email, string Question, string? Page);

public sealed record OfflineResult(string Reference, string Acknowledgement);

/// <summary>Who the chat is with now and whether they can take it: the site is open and someone is online.</summary>
/// <summary>Whether a chat can be taken now (else when the hours open next), the room left, and how many agents are online.</summary>
public sealed record SiteAvailability(bool Online, DateTimeOffset? NextOpening, int FreeSlots, int OnlineCapacity, int AgentsOnline);

/// <summary>
/// The live chat use cases the visitor hub, the agent console and the API share. Every change is saved first and then
/// told: to the visitor's browsers through the hub group of the chat, to agents through the <see cref="ChatBus"/>.
/// </summary>
public sealed class ChatService(IHubContext<VisitorHub> visitors, ChatBus bus, TimeProvider clock, IServiceScopeFactory scopes, ILogger<ChatService> log) : IDisposable
{
    public const string WatchKind = "chat.watch";
    public const string StillThere = "Are you still there? If you need more time, just write; the chat stays open for a while.";
    public const string DefaultClosing = "Thank you for chatting with us. This chat has ended; you can start a new one at any time.";
    public const string MissedEvent = "chat.missed";
    public const string AbandonedEvent = "chat.abandoned";
    public const int MessagesPerSecond = 5;
    public const int Burst = 10;

    private readonly ConcurrentDictionary<Guid, TokenBucketRateLimiter> _limits = new();

    // the queue's broadcasts: one at a time, and one more for whatever moved the queue while one ran
    private readonly System.Threading.Channels.Channel<bool> _queueMoved = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentDictionary<Guid, QueueDto> _told = new();
    private int _broadcasting;

    public static string Group(Guid chatId) => "chat:" + chatId;

    /// <summary>The visitor's chat that is still going (queued, talking, or asked whether they are still there); one at most.</summary>
    private static IQueryable<ChatSession> LiveOf(IQueryable<ChatSession> chats, Guid visitorId)
        => chats.Where(c => c.VisitorId == visitorId && (c.State == ChatState.Queued || c.State == ChatState.Active || c.State == ChatState.IdleWarned));

    // ---- what a site offers now

    public async Task<SiteAvailability> AvailabilityAsync(LoopdeskDb db, ChatSite site, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var calendar = site.CalendarId is { } calendarId ? (await db.Calendars.AsNoTracking().FirstOrDefaultAsync(c => c.Id == calendarId, ct))?.ToCalendar() : null;
        if (calendar is not null && !calendar.IsOpen(now)) return new SiteAvailability(false, calendar.NextOpen(now), 0, 0, 0);
        return await AvailabilityForTeamAsync(db, site.TeamId, ct);
    }

    private sealed record OnlineAgent(Guid Id, int Capacity, int Busy);

    private static async Task<List<OnlineAgent>> OnlineAgentsAsync(LoopdeskDb db, Guid? teamId, CancellationToken ct)
    {
        var query = db.Agents.AsNoTracking().Where(a => a.Active && a.Presence == Presence.Online && a.Role != AgentRole.Collaborator);
        if (teamId is { } t) query = query.Where(a => a.TeamIds.Contains(t));
        var agents = await query.Select(a => new { a.Id, a.ChatCapacity }).ToListAsync(ct);
        if (agents.Count == 0) return [];
        var ids = agents.Select(a => a.Id).ToList();
        var busy = await db.Set<ChatSession>().AsNoTracking().Where(c => c.AgentId != null && ids.Contains(c.AgentId.Value) && (c.State == ChatState.Active || c.State == ChatState.IdleWarned))
            .GroupBy(c => c.AgentId!.Value).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return [.. agents.Select(a => new OnlineAgent(a.Id, a.ChatCapacity, busy.GetValueOrDefault(a.Id)))];
    }

    // ---- the visitor's side

    public async Task<ChatStateDto?> ResumeAsync(LoopdeskDb db, Guid visitorId, CancellationToken ct)
    {
        var recent = clock.GetUtcNow().AddMinutes(-30);
        var chat = await db.Set<ChatSession>().AsNoTracking().Include(c => c.Lines).Where(c => c.VisitorId == visitorId)
            .OrderByDescending(c => c.QueuedAt).FirstOrDefaultAsync(ct);
        if (chat is null || (!chat.IsLive && (chat.EndedAt ?? chat.QueuedAt) < recent)) return null;
        return await StateAsync(db, chat, ct);
    }

    public async Task<ChatStateDto> StartAsync(LoopdeskDb db, ChatSite site, Guid visitorId, StartChatRequest r, CancellationToken ct)
    {
        var question = (r.Question ?? "").Trim();
        if (question.Length == 0) throw new ChatException("chat.invalid", "Write your question first.");
        CheckLength(question);
        var live = await LiveOf(db.Set<ChatSession>().Include(c => c.Lines), visitorId).FirstOrDefaultAsync(ct);
        if (live is not null) return await StateAsync(db, live, ct);

        var availability = await AvailabilityAsync(db, site, ct);
        if (!availability.Online) throw new ChatException("chat.offline", "Nobody can take a chat right now; leave us a message instead and we will answer by email.");
        var now = clock.GetUtcNow();
        var (visitor, customer, email) = await IdentifyAsync(db, site, visitorId, r.Name, r.Email, now, ct);
        // the browser's language, unless the profile already says which one (an agent's word wins over a browser setting)
        if (customer.Language is null && LanguageTag(r.Language) is { } language) customer.Update(new CustomerChange { Language = new Optional<string?>(true, language) }, now);

        var chat = new ChatSession(site, visitor, customer.Id, Clean(r.Name, Customer.NameMaxLength), email, Clean(r.Page, 2000), question, now);
        // a returning visitor with an unresolved ticket from an earlier chat lands on that ticket, and with the agent who had it
        var earlier = await db.Set<ChatSession>().AsNoTracking().Where(c => c.CustomerId == customer.Id && c.TicketId != null)
            .OrderByDescending(c => c.QueuedAt).Select(c => new { c.TicketId, c.AgentId }).FirstOrDefaultAsync(ct);
        if (earlier?.TicketId is { } ticketId && await db.Tickets.AnyAsync(t => t.Id == ticketId
                && (t.Status == TicketStatus.New || t.Status == TicketStatus.Open || t.Status == TicketStatus.Pending || t.Status == TicketStatus.OnHold), ct))
        {
            chat.TicketId = ticketId;
            chat.PreferredAgentId = earlier.AgentId;
        }
        else chat.PreferredAgentId = earlier?.AgentId;
        var first = new ChatLine(chat.Id, ChatAuthor.Visitor, null, chat.Name, question, ClientId(r.ClientMessageId), now);
        chat.Lines.Add(first);
        var greeting = string.IsNullOrWhiteSpace(site.Greeting) ? "Thanks for your message. Someone will be with you shortly." : site.Greeting;
        chat.Lines.Add(new ChatLine(chat.Id, ChatAuthor.System, null, site.Name, greeting, null, now.AddTicks(1)));
        db.Add(chat);
        await db.ScheduleAsync(WatchKey(chat.Id), WatchKind, new ChatWatch(chat.Id), now.AddSeconds(site.MissedAfterSeconds), now, null, ct);
        await db.SaveChangesAsync(ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Queued, chat.TeamId, null));
        QueueMoved();
        return await StateAsync(db, chat, ct);
    }

    /// <summary>The visitor and their customer: by the email they gave, else the customer this browser was before, else a new one.</summary>
    private static async Task<(ChatVisitor Visitor, Customer Customer, string? Email)> IdentifyAsync(
        LoopdeskDb db, ChatSite site, Guid visitorId, string? name, string? email, DateTimeOffset now, CancellationToken ct)
    {
        var visitor = await db.Set<ChatVisitor>().FirstOrDefaultAsync(v => v.Id == visitorId, ct) ?? throw new ChatException("chat.visitor_unknown", "Start again: this browser's chat identity is unknown.", 401);
        string? normalized = null;
        if (!string.IsNullOrWhiteSpace(email))
        {
            normalized = EmailAddress.Normalize(email, out var problem);
            if (normalized is null) throw new ChatException("chat.invalid_email", $"The email {problem}.");
        }
        var cleanName = Clean(name, Customer.NameMaxLength);
        if (cleanName is not null && TextRules.FindProblem(cleanName) is { } bad) throw new ChatException("chat.invalid_name", $"The name {bad}.");
        Customer? customer = normalized is null ? null : await db.FindByEmailAsync(normalized, ct);
        if (customer is null && visitor.CustomerId is { } known)
        {
            customer = await db.Customers.Include(c => c.Identities).FirstOrDefaultAsync(c => c.Id == known, ct);
            while (customer?.MergedIntoId is { } into) customer = await db.Customers.Include(c => c.Identities).FirstOrDefaultAsync(c => c.Id == into, ct);
        }
        if (customer is null)
        {
            customer = Customer.Create(cleanName ?? normalized ?? "Website visitor", now);
            db.Customers.Add(customer);
        }
        customer.AddIdentity(IdentityKind.Handle, "chat:" + visitor.Id.ToString("N"), now);
        if (normalized is not null) customer.AddIdentity(IdentityKind.Email, normalized, now);
        visitor.CustomerId = customer.Id;
        return (visitor, customer, normalized ?? customer.PrimaryEmail);
    }

    public async Task<ChatAck> SendAsync(LoopdeskDb db, Guid visitorId, SendChatRequest r, CancellationToken ct)
    {
        var clientId = ClientId(r.ClientMessageId) ?? throw new ChatException("chat.invalid", "Each message carries the id the browser gave it.");
        var body = (r.Body ?? "").Trim();
        if (body.Length == 0) throw new ChatException("chat.invalid", "The message is empty.");
        CheckLength(body);
        var chat = await LiveOf(db.Set<ChatSession>(), visitorId).FirstOrDefaultAsync(ct)
            ?? throw new ChatException("chat.ended", "This chat has ended; start a new one.", 409);
        // a resend after a reconnect: the same line, acknowledged again
        if (await db.Set<ChatLine>().AsNoTracking().FirstOrDefaultAsync(l => l.ChatId == chat.Id && l.ClientMessageId == clientId, ct) is { } seen)
            return new ChatAck(seen.Id, seen.ClientMessageId, seen.SentAt);
        if (!Allow(visitorId)) throw new ChatException("chat.rate_limited", "You are sending messages very fast; wait a moment and send again.", 429);
        var now = clock.GetUtcNow();
        var line = new ChatLine(chat.Id, ChatAuthor.Visitor, null, chat.Name, body, clientId, now);
        db.Add(line);
        chat.LastVisitorAt = now;
        if (chat.State == ChatState.IdleWarned) chat.State = ChatState.Active;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // the same message raced in from another connection: answer with the one that won
            db.ChangeTracker.Clear();
            var won = await db.Set<ChatLine>().AsNoTracking().FirstAsync(l => l.ChatId == chat.Id && l.ClientMessageId == clientId, ct);
            return new ChatAck(won.Id, won.ClientMessageId, won.SentAt);
        }
        var dto = ToDto(line);
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Message", dto, ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Line, chat.TeamId, chat.AgentId, dto));
        return new ChatAck(line.Id, line.ClientMessageId, line.SentAt);
    }

    /// <summary>
    /// The visitor moved to another page of the site (a link, or history.pushState on a single-page site): the agent sees
    /// where they are. Nothing happens without a live chat; the same page again changes nothing. Moves share the visitor's
    /// rate limit with their messages: one past it is dropped (the next move or reload tells the page again).
    /// </summary>
    public async Task<bool> NavigateAsync(LoopdeskDb db, Guid visitorId, string? page, CancellationToken ct)
    {
        var url = Clean(page, 2000);
        if (url is null) return false;
        var chat = await LiveOf(db.Set<ChatSession>(), visitorId).FirstOrDefaultAsync(ct);
        if (chat is null || chat.Page == url || !Allow(visitorId)) return false;
        chat.Page = url;
        chat.Version++;
        await db.SaveChangesAsync(ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Changed, chat.TeamId, chat.AgentId));
        return true;
    }

    public async Task TypingAsync(LoopdeskDb db, Guid visitorId, bool typing, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().AsNoTracking().Where(c => c.VisitorId == visitorId && (c.State == ChatState.Active || c.State == ChatState.IdleWarned))
            .Select(c => new { c.Id, c.TeamId, c.AgentId }).FirstOrDefaultAsync(ct);
        if (chat is not null) bus.Publish(new ChatSignal(chat.Id, ChatSignal.VisitorTyping, chat.TeamId, chat.AgentId, typing));
    }

    public async Task LeaveAsync(LoopdeskDb db, Guid visitorId, CancellationToken ct)
    {
        var chat = await LiveOf(db.Set<ChatSession>().Include(c => c.Lines), visitorId).FirstOrDefaultAsync(ct);
        if (chat is null) return;
        await EndAsync(db, chat, chat.State == ChatState.Queued ? ChatEndReason.Abandoned : ChatEndReason.Visitor, null, ct);
    }

    /// <summary>Emails the transcript of the visitor's latest chat to them (to the address given, remembered, or on file).</summary>
    public async Task<bool> EmailTranscriptAsync(LoopdeskDb db, Guid visitorId, string? email, Rules.Outbound outbound, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().Include(c => c.Lines).Where(c => c.VisitorId == visitorId).OrderByDescending(c => c.QueuedAt).FirstOrDefaultAsync(ct);
        if (chat is null || chat.IsLive || chat.TicketId is null) return false;
        var now = clock.GetUtcNow();
        var customer = await db.Customers.Include(c => c.Identities).FirstAsync(c => c.Id == chat.CustomerId, ct);
        if (!string.IsNullOrWhiteSpace(email))
        {
            var normalized = EmailAddress.Normalize(email, out var problem) ?? throw new ChatException("chat.invalid_email", $"The email {problem}.");
            if (customer.PrimaryEmail is null)
            {
                if (await db.FindByEmailAsync(normalized, ct) is not null) throw new ChatException("chat.invalid_email", "Use the address you gave at the start of the chat.");
                customer.AddIdentity(IdentityKind.Email, normalized, now);
            }
            else if (!customer.Identities.Any(i => i.Kind == IdentityKind.Email && i.Value == normalized))
                throw new ChatException("chat.invalid_email", "Use the address you gave at the start of the chat.");
        }
        if (customer.PrimaryEmail is null && !customer.Identities.Any(i => i.Kind == IdentityKind.Email)) return false;
        var ticket = await db.Tickets.FirstAsync(t => t.Id == chat.TicketId, ct);
        var text = "Here is the transcript of your chat with us.\n\n" + Transcript(chat, includeInternal: false);
        var message = outbound.SendToCustomer(db, ticket, text, Channel.Email, Actor.System, now);
        await db.SaveChangesAsync(ct);
        return message is not null;
    }

    /// <summary>A message left while nobody can chat: a ticket on the chat channel, acknowledged (by email) like any contact.</summary>
    public async Task<OfflineResult> OfflineAsync(LoopdeskDb db, ChatSite site, Guid visitorId, OfflineRequest r, CancellationToken ct)
    {
        var question = (r.Question ?? "").Trim();
        if (question.Length == 0) throw new ChatException("chat.invalid", "Write your message first.");
        CheckLength(question);
        if (string.IsNullOrWhiteSpace(r.Email)) throw new ChatException("chat.invalid_email", "Give your email so we can answer you.");
        var now = clock.GetUtcNow();
        var (_, customer, _) = await IdentifyAsync(db, site, visitorId, r.Name, r.Email, now, ct);
        var ticket = Ticket.Open(new NewTicket(TicketReference.New(), Subject(question), Channel.Chat, customer.Id, customer.OrganizationId, TeamId: site.TeamId, Tags: ["chat-offline"]),
            Actor.Customer(customer.Id), now, now);
        ticket.AddMessage(new NewMessage(MessageDirection.Inbound, Channel.Chat, question + (r.Page is { Length: > 0 } page ? $"\n\n(sent from {Clean(page, 500)})" : "")),
            Actor.Customer(customer.Id), now, now, out _);
        ticket.RecordContact(Channel.Chat, "offline message from the chat widget", Actor.Customer(customer.Id), now, now);
        db.Tickets.Add(ticket);
        await db.SaveChangesAsync(ct);
        var ack = ticket.Messages.Where(m => m.Direction == MessageDirection.Outbound && !m.Internal).OrderBy(m => m.RecordedAt).Select(m => m.Text).FirstOrDefault()
            ?? $"Thank you, we have your message. Your reference is {ticket.Reference}; we will answer by email.";
        return new OfflineResult(ticket.Reference, ack);
    }

    // ---- the agent's side

    public async Task<ChatSession> AcceptAsync(LoopdeskDb db, Guid chatId, Guid agentId, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().Include(c => c.Lines).FirstOrDefaultAsync(c => c.Id == chatId, ct) ?? throw NotFound();
        if (chat.State != ChatState.Queued)
            throw new ChatException("chat.taken", chat.AgentId == agentId ? "You have this chat already." : "Someone else took this chat, or it ended.", 409);
        var agent = await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => new { a.Name, a.ChatCapacity, a.Role }).FirstAsync(ct);
        if (agent.Role == AgentRole.Collaborator) throw new ChatException("chat.forbidden", "Collaborators do not take chats.", 403);
        var busy = await db.Set<ChatSession>().CountAsync(c => c.AgentId == agentId && (c.State == ChatState.Active || c.State == ChatState.IdleWarned), ct);
        if (busy >= agent.ChatCapacity)
            throw new ChatException("chat.over_capacity", $"You have {busy} chats open, your capacity is {agent.ChatCapacity}; end one first or ask a supervisor to raise it.", 409);
        var now = clock.GetUtcNow();
        chat.State = ChatState.Active;
        chat.AgentId = agentId;
        chat.AcceptedAt = now;
        chat.LastAgentAt = now;
        chat.Version++;
        var joined = new ChatLine(chat.Id, ChatAuthor.System, null, null, $"{agent.Name} joined the chat.", null, now);
        db.Add(joined);
        var site = await db.Set<ChatSite>().AsNoTracking().FirstAsync(s => s.Id == chat.SiteId, ct);
        await db.ScheduleAsync(WatchKey(chat.Id), WatchKind, new ChatWatch(chat.Id), now.AddSeconds(site.PromptAfterSeconds), now, null, ct);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw new ChatException("chat.taken", "Someone else took this chat a moment ago.", 409);
        }
        await TellAcceptedAsync(chat, agent.Name, ct);
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Message", ToDto(joined), ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Changed, chat.TeamId, agentId));
        QueueMoved();
        return chat;
    }

    /// <summary>Tells the visitor who is with them now, as of the chat's version.</summary>
    private Task TellAcceptedAsync(ChatSession chat, string agent, CancellationToken ct)
        => visitors.Clients.Group(Group(chat.Id)).SendAsync("Accepted", new { agent, version = chat.Version }, ct);

    public async Task<ChatLine> AgentSendAsync(LoopdeskDb db, Guid chatId, Guid agentId, string body, bool lexiconOverride, Lexicon.LexiconService lexicon, CancellationToken ct)
    {
        body = (body ?? "").Trim();
        if (body.Length == 0) throw new ChatException("chat.invalid", "The message is empty.");
        CheckLength(body);
        var chat = await LiveForAgentAsync(db, chatId, agentId, ct);
        if (!lexiconOverride)
        {
            var ticket = chat.TicketId is { } t ? await db.Tickets.AsNoTracking().FirstOrDefaultAsync(x => x.Id == t, ct) : null;
            var findings = await lexicon.CheckAsync(db, body, ticket, ct);
            if (findings.Count > 0)
                throw new ChatException("lexicon.findings", $"The message has {findings.Count} lexicon finding(s): {string.Join("; ", findings.Select(f => $"\"{f.Text}\" ({f.Why})"))}. Change the words, or send it anyway.");
        }
        var name = await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.Name).FirstAsync(ct);
        var now = clock.GetUtcNow();
        var line = new ChatLine(chat.Id, ChatAuthor.Agent, agentId, name, body, null, now);
        db.Add(line);
        chat.LastAgentAt = now;
        await db.SaveChangesAsync(ct);
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Message", ToDto(line), ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Line, chat.TeamId, chat.AgentId, ToDto(line)));
        return line;
    }

    public async Task AgentTypingAsync(Guid chatId, bool typing, CancellationToken ct)
        => await visitors.Clients.Group(Group(chatId)).SendAsync("Typing", new { typing }, ct);

    /// <summary>"Are you still there?" from the agent's side (or the watch, when the site sends it by itself).</summary>
    public async Task PromptAsync(LoopdeskDb db, ChatSession chat, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var line = new ChatLine(chat.Id, ChatAuthor.System, null, null, StillThere, null, now);
        db.Add(line);
        chat.State = ChatState.IdleWarned;
        chat.IdleWarnedAt = now;
        chat.Version++;
        await db.SaveChangesAsync(ct);
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Message", ToDto(line), ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Line, chat.TeamId, chat.AgentId, ToDto(line)));
    }

    public async Task PromptByAgentAsync(LoopdeskDb db, Guid chatId, Guid agentId, CancellationToken ct)
        => await PromptAsync(db, await LiveForAgentAsync(db, chatId, agentId, ct), ct);

    /// <summary>Hands a chat to a colleague (who must have room) or back to a team's queue, with a note only staff read.</summary>
    public async Task TransferAsync(LoopdeskDb db, Guid chatId, Guid agentId, Guid? toAgentId, Guid? toTeamId, string? note, CancellationToken ct)
    {
        if (toAgentId is null == toTeamId is null) throw new ChatException("chat.invalid", "Transfer to one colleague or one team.");
        var chat = await LiveForAgentAsync(db, chatId, agentId, ct);
        var now = clock.GetUtcNow();
        var from = await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.Name).FirstAsync(ct);
        string to;
        if (toAgentId is { } target)
        {
            var colleague = await db.Agents.AsNoTracking().Where(a => a.Id == target && a.Active && a.Role != AgentRole.Collaborator)
                .Select(a => new { a.Name, a.ChatCapacity }).FirstOrDefaultAsync(ct) ?? throw new ChatException("agent.unknown", "No active agent with that id takes chats.");
            var busy = await db.Set<ChatSession>().CountAsync(c => c.AgentId == target && (c.State == ChatState.Active || c.State == ChatState.IdleWarned), ct);
            if (busy >= colleague.ChatCapacity) throw new ChatException("chat.over_capacity", $"{colleague.Name} has no room for another chat.", 409);
            chat.AgentId = target;
            to = colleague.Name;
        }
        else
        {
            var team = await db.Teams.AsNoTracking().Where(t => t.Id == toTeamId).Select(t => t.Name).FirstOrDefaultAsync(ct) ?? throw new ChatException("team.unknown", "No team with that id.");
            chat.TeamId = toTeamId;
            chat.AgentId = null;
            chat.State = ChatState.Queued;
            to = team;
        }
        chat.Version++;
        var told = new ChatLine(chat.Id, ChatAuthor.System, null, null, $"{from} passed this chat to {to}.", null, now);
        db.Add(told);
        if (!string.IsNullOrWhiteSpace(note)) db.Add(new ChatLine(chat.Id, ChatAuthor.Agent, agentId, from, Clean(note, ChatLine.BodyMaxLength)!, null, now.AddTicks(1), @internal: true));
        await db.SaveChangesAsync(ct);
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Message", ToDto(told), ct);
        // passed to a colleague: the visitor's widget names who is with them now (and whose typing it shows)
        if (toAgentId is not null) await TellAcceptedAsync(chat, to, ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Changed, chat.TeamId, chat.AgentId));
        if (chat.State == ChatState.Queued)
        {
            _told.TryRemove(chat.Id, out _);
            QueueMoved();
        }
    }

    public async Task EndByAgentAsync(LoopdeskDb db, Guid chatId, Guid agentId, CancellationToken ct)
        => await EndAsync(db, await LiveForAgentAsync(db, chatId, agentId, ct), ChatEndReason.Agent, agentId, ct);

    /// <summary>Puts the chat on a ticket now: a new one, or an existing one of the same customer.</summary>
    public async Task<Ticket> LinkTicketAsync(LoopdeskDb db, Guid chatId, Guid agentId, string? reference, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().Include(c => c.Lines).FirstOrDefaultAsync(c => c.Id == chatId, ct) ?? throw NotFound();
        var now = clock.GetUtcNow();
        if (reference is not null)
        {
            var parsed = TicketReference.Parse(reference);
            var ticket = parsed is null ? null : await db.Tickets.FirstOrDefaultAsync(t => t.Reference == parsed, ct);
            if (ticket is null) throw new ChatException("ticket.unknown", "No ticket with that reference.");
            if (ticket.CustomerId != chat.CustomerId) throw new ChatException("ticket.other_customer", "That ticket is another customer's.");
            if (!chat.IsLive && chat.TicketId is not null) throw new ChatException("chat.ended", "This chat is on its ticket already.", 409);
            chat.TicketId = ticket.Id;
            chat.Version++;
            if (!chat.IsLive) WriteTranscript(chat, ticket, now);
            await db.SaveChangesAsync(ct);
            bus.Publish(new ChatSignal(chat.Id, ChatSignal.Changed, chat.TeamId, chat.AgentId));
            return ticket;
        }
        if (chat.TicketId is { } existing) return await db.Tickets.FirstAsync(t => t.Id == existing, ct);
        var created = OpenTicket(db, chat, agentId, now);
        chat.Version++;
        await db.SaveChangesAsync(ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Changed, chat.TeamId, chat.AgentId));
        return created;
    }

    private static async Task<ChatSession> LiveForAgentAsync(LoopdeskDb db, Guid chatId, Guid agentId, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().Include(c => c.Lines).FirstOrDefaultAsync(c => c.Id == chatId, ct) ?? throw NotFound();
        if (!chat.IsLive) throw new ChatException("chat.ended", "This chat has ended.", 409);
        if (chat.AgentId != agentId) throw new ChatException("chat.not_yours", "Accept the chat first; it is not yours.", 409);
        return chat;
    }

    private static ChatException NotFound() => new("chat.unknown", "No chat with that id.", 404);

    // ---- ending, and what stays of a chat

    /// <summary>
    /// Ends a live chat: the closing words go to the visitor, and the transcript goes on the ticket (a new one unless the
    /// chat had one). A chat answered by an agent is a conversation that happened; one nobody answered is recorded as
    /// missed or abandoned on its ticket, where the "silence is noticed" rule follows it up.
    /// </summary>
    public async Task EndAsync(LoopdeskDb db, ChatSession chat, ChatEndReason reason, Guid? byAgent, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var site = await db.Set<ChatSite>().AsNoTracking().FirstAsync(s => s.Id == chat.SiteId, ct);
        chat.State = reason switch { ChatEndReason.Missed => ChatState.Missed, ChatEndReason.Abandoned => ChatState.Abandoned, _ => ChatState.Ended };
        chat.EndReason = reason;
        chat.EndedAt = now;
        chat.Version++;
        var words = reason switch
        {
            ChatEndReason.Missed => "We are sorry: nobody could take your chat in time. " + (chat.Email is null ? "Please try again later." : "We will write to you by email."),
            ChatEndReason.Idle => (string.IsNullOrWhiteSpace(site.ClosingMessage) ? DefaultClosing : site.ClosingMessage) + " (It closed after a while without messages.)",
            ChatEndReason.Visitor or ChatEndReason.Abandoned => "You ended the chat. Thank you.",
            _ => string.IsNullOrWhiteSpace(site.ClosingMessage) ? DefaultClosing : site.ClosingMessage,
        };
        var closing = new ChatLine(chat.Id, ChatAuthor.System, null, null, words, null, now);
        chat.Lines.Add(closing);
        db.Add(closing);
        Ticket ticket;
        if (chat.TicketId is { } ticketId) ticket = await db.Tickets.FirstAsync(t => t.Id == ticketId, ct);
        else ticket = OpenTicket(db, chat, chat.AgentId ?? byAgent, now);
        WriteTranscript(chat, ticket, now);
        if (reason is ChatEndReason.Missed or ChatEndReason.Abandoned)
        {
            ticket.Remark(reason == ChatEndReason.Missed ? MissedEvent : AbandonedEvent,
                new { chatId = chat.Id, email = chat.Email, autoSend = site.AutoFollowUp, waitedSeconds = (int)(now - chat.QueuedAt).TotalSeconds }, Actor.System, now);
        }
        await db.CancelAsync(WatchKey(chat.Id), ct);
        await db.SaveChangesAsync(ct);
        _limits.TryRemove(chat.VisitorId, out var limiter);
        limiter?.Dispose();
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Message", ToDto(closing), ct);
        await visitors.Clients.Group(Group(chat.Id)).SendAsync("Ended", new { reason = Wire.Name(reason), message = words, version = chat.Version }, ct);
        bus.Publish(new ChatSignal(chat.Id, ChatSignal.Changed, chat.TeamId, chat.AgentId));
        QueueMoved();
    }

    private static Ticket OpenTicket(LoopdeskDb db, ChatSession chat, Guid? agentId, DateTimeOffset now)
    {
        var tags = chat.State switch { ChatState.Missed => new[] { "chat-missed" }, ChatState.Abandoned => ["chat-abandoned"], _ => [] };
        var ticket = Ticket.Open(new NewTicket(TicketReference.New(), Subject(chat.Question), Channel.Chat, chat.CustomerId, null, TeamId: chat.TeamId, Tags: tags),
            Actor.Customer(chat.CustomerId), chat.QueuedAt, now);
        if (agentId is { } a) ticket.Apply(new TicketChange { AssigneeId = new Optional<Guid?>(true, a) }, Actor.Agent(a), now);
        db.Tickets.Add(ticket);
        chat.TicketId = ticket.Id;
        return ticket;
    }

    /// <summary>
    /// The transcript, as one message in the customer's words on the ticket, and the chat as one contact: recorded by the
    /// agent who talked (a conversation that happened needs no acknowledgement), or by the system when nobody did.
    /// </summary>
    private static void WriteTranscript(ChatSession chat, Ticket ticket, DateTimeOffset now)
    {
        ticket.AddMessage(new NewMessage(MessageDirection.Inbound, Channel.Chat, Transcript(chat, includeInternal: false)), Actor.Customer(chat.CustomerId), chat.QueuedAt, now, out _);
        var recordedBy = chat.AcceptedAt is not null && chat.AgentId is { } agent ? Actor.Agent(agent) : Actor.System;
        ticket.RecordContact(Channel.Chat, $"chat {Wire.Name(chat.State)}", recordedBy, chat.QueuedAt, now);
    }

    public static string Transcript(ChatSession chat, bool includeInternal)
    {
        var text = new StringBuilder();
        text.Append("Chat of ").Append(chat.QueuedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture)).Append(chat.Page is null ? "" : " on " + chat.Page).Append('\n');
        foreach (var line in chat.Lines.Where(l => includeInternal || !l.Internal).OrderBy(l => l.SentAt).ThenBy(l => l.Id))
        {
            var who = line.Author switch { ChatAuthor.Visitor => line.AuthorName ?? "Visitor", ChatAuthor.Agent => line.AuthorName ?? "Agent", _ => "—" };
            text.Append('[').Append(line.SentAt.ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)).Append("] ").Append(line.Internal ? "(note) " : "").Append(who).Append(": ").Append(line.Body).Append('\n');
        }
        return text.ToString().TrimEnd();
    }

    // ---- the watch: silence in the queue and in the chat

    public static string WatchKey(Guid chatId) => $"chat:{chatId}:watch";

    /// <summary>
    /// Runs when the chat's next moment comes: a queued chat nobody took is missed; a visitor silent (while we wait on
    /// them) is asked whether they are still there, and after longer the chat ends politely. Otherwise it looks again
    /// when the next moment can come, so a message never has to move the timer.
    /// </summary>
    public async Task WatchAsync(LoopdeskDb db, Guid chatId, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().Include(c => c.Lines).FirstOrDefaultAsync(c => c.Id == chatId, ct);
        if (chat is null || !chat.IsLive) return;
        var site = await db.Set<ChatSite>().AsNoTracking().FirstAsync(s => s.Id == chat.SiteId, ct);
        var now = clock.GetUtcNow();
        if (chat.State == ChatState.Queued)
        {
            var missedAt = chat.QueuedAt.AddSeconds(site.MissedAfterSeconds);
            if (now >= missedAt) await EndAsync(db, chat, ChatEndReason.Missed, null, ct);
            else await RescheduleAsync(db, chat, missedAt, ct);
            return;
        }
        // silence counts only while we wait on the visitor: after our last word, not after theirs
        if (chat.LastAgentAt is not { } agentAt || agentAt < chat.LastVisitorAt)
        {
            await RescheduleAsync(db, chat, now.AddSeconds(site.PromptAfterSeconds), ct);
            return;
        }
        var endAt = agentAt.AddSeconds(site.EndAfterSeconds);
        var promptAt = agentAt.AddSeconds(site.PromptAfterSeconds);
        if (now >= endAt) await EndAsync(db, chat, ChatEndReason.Idle, null, ct);
        else if (now >= promptAt && chat.State == ChatState.Active && site.AutoPrompt)
        {
            await PromptAsync(db, chat, ct);
            await RescheduleAsync(db, chat, endAt, ct);
        }
        else
        {
            if (now >= promptAt && chat.State == ChatState.Active) bus.Publish(new ChatSignal(chat.Id, ChatSignal.Idle, chat.TeamId, chat.AgentId));
            await RescheduleAsync(db, chat, now >= promptAt ? endAt : promptAt, ct);
        }
    }

    private async Task RescheduleAsync(LoopdeskDb db, ChatSession chat, DateTimeOffset at, CancellationToken ct)
    {
        await db.ScheduleAsync(WatchKey(chat.Id), WatchKind, new ChatWatch(chat.Id), at, clock.GetUtcNow(), null, ct);
        await db.SaveChangesAsync(ct);
    }

    // ---- the queue

    /// <summary>
    /// The queue moved (a chat joined, was taken, ended or came back): every queued visitor hears their place and honest
    /// wait again, soon. One broadcast runs at a time, and whatever moves the queue while it runs (or in the pause after
    /// it) is told by a single next one, so a burst of chats costs a few passes over the queue instead of one pass per
    /// chat (which grew with the square of the queue: 5,000 chats starting together meant 12 million messages).
    /// </summary>
    private void QueueMoved()
    {
        _queueMoved.Writer.TryWrite(true);
        if (Interlocked.Exchange(ref _broadcasting, 1) == 0) _ = Task.Run(BroadcastLoopAsync);
    }

    private async Task BroadcastLoopAsync()
    {
        await foreach (var _ in _queueMoved.Reader.ReadAllAsync())
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await BroadcastQueueAsync(scope.ServiceProvider.GetRequiredService<LoopdeskDb>(), CancellationToken.None);
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or ObjectDisposedException or System.Data.Common.DbException or IOException)
            {
                log.LogWarning(e, "The queue's places could not be told to the waiting visitors");
            }
            // a pass reads the whole queue: with thousands waiting, passes back to back would take a core from the chats
            // themselves, so the next one waits three times as long as this one took (a few milliseconds for a short queue)
            var pause = System.Diagnostics.Stopwatch.GetElapsedTime(started) * 3;
            if (pause > TimeSpan.FromMilliseconds(1)) await Task.Delay(pause < MaxQueuePause ? pause : MaxQueuePause);
        }
    }

    private static readonly TimeSpan MaxQueuePause = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Tells every queued visitor their place and honest wait (each team's queue on its own): only those for whom it
    /// changed since this process last told them.
    /// </summary>
    public async Task BroadcastQueueAsync(LoopdeskDb db, CancellationToken ct)
    {
        var queued = await db.Set<ChatSession>().AsNoTracking().Where(c => c.State == ChatState.Queued).OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.TeamId, c.Version }).ToListAsync(ct);
        if (!_told.IsEmpty)
        {
            var waiting = queued.Select(c => c.Id).ToHashSet();
            foreach (var id in _told.Keys) if (!waiting.Contains(id)) _told.TryRemove(id, out _);
        }
        if (queued.Count == 0) return;
        var stats = await StatsAsync(db, ct);
        foreach (var team in queued.GroupBy(c => c.TeamId))
        {
            var availability = await AvailabilityForTeamAsync(db, team.Key, ct);
            var position = 0;
            foreach (var chat in team)
            {
                position++;
                var estimate = WaitEstimate.Compute(position, availability.FreeSlots, availability.OnlineCapacity, stats.PickUp, stats.Handle, stats.UsualWait);
                var told = new QueueDto(estimate.Position, estimate.ExpectedWaitSeconds, estimate.LongerThanUsual, chat.Version);
                if (_told.TryGetValue(chat.Id, out var before) && before == told) continue;
                _told[chat.Id] = told;
                await visitors.Clients.Group(Group(chat.Id)).SendAsync("Queue", told, ct);
            }
        }
    }

    public void Dispose() => _queueMoved.Writer.TryComplete();

    /// <summary>The online agents of a team (of every team when null) and their room for chats, whatever the hours.</summary>
    public static async Task<SiteAvailability> AvailabilityForTeamAsync(LoopdeskDb db, Guid? teamId, CancellationToken ct)
    {
        var agents = await OnlineAgentsAsync(db, teamId, ct);
        return new SiteAvailability(agents.Count > 0, null, agents.Sum(a => Math.Max(0, a.Capacity - a.Busy)), agents.Sum(a => a.Capacity), agents.Count);
    }

    private sealed record QueueStats(double? PickUp, double? Handle, double? UsualWait);

    /// <summary>Medians over the last week's chats: how long until an agent took one, and how long one lasted.</summary>
    private async Task<QueueStats> StatsAsync(LoopdeskDb db, CancellationToken ct)
    {
        var since = clock.GetUtcNow().AddDays(-7);
        var recent = await db.Set<ChatSession>().AsNoTracking().Where(c => c.QueuedAt >= since && c.AcceptedAt != null)
            .OrderByDescending(c => c.QueuedAt).Take(200).Select(c => new { c.QueuedAt, c.AcceptedAt, c.EndedAt }).ToListAsync(ct);
        static double? Median(List<double> values) => values.Count == 0 ? null : values.Order().ElementAt(values.Count / 2);
        var waits = recent.Select(c => (c.AcceptedAt!.Value - c.QueuedAt).TotalSeconds).ToList();
        var handles = recent.Where(c => c.EndedAt != null).Select(c => (c.EndedAt!.Value - c.AcceptedAt!.Value).TotalSeconds).ToList();
        return new QueueStats(Median(waits.Take(20).ToList()), Median(handles), Median(waits));
    }

    public async Task<ChatStateDto> StateAsync(LoopdeskDb db, ChatSession chat, CancellationToken ct)
    {
        int? position = null, wait = null;
        var longer = false;
        if (chat.State == ChatState.Queued)
        {
            // ids are time-ordered and strictly increasing, in the database too: first come, first served
            var id = chat.Id;
            var teamId = chat.TeamId;
            position = 1 + await db.Set<ChatSession>().CountAsync(c => c.State == ChatState.Queued && c.TeamId == teamId && c.Id.CompareTo(id) < 0, ct);
            var availability = await AvailabilityForTeamAsync(db, teamId, ct);
            var stats = await StatsAsync(db, ct);
            var estimate = WaitEstimate.Compute(position.Value, availability.FreeSlots, availability.OnlineCapacity, stats.PickUp, stats.Handle, stats.UsualWait);
            (wait, longer) = (estimate.ExpectedWaitSeconds, estimate.LongerThanUsual);
        }
        var agent = chat.AgentId is { } a ? await db.Agents.AsNoTracking().Where(x => x.Id == a).Select(x => x.Name).FirstOrDefaultAsync(ct) : null;
        var status = chat.State switch { ChatState.Queued => "queued", ChatState.Active or ChatState.IdleWarned => "active", _ => "ended" };
        var lines = chat.Lines.Count > 0 ? chat.Lines : await db.Set<ChatLine>().AsNoTracking().Where(l => l.ChatId == chat.Id).ToListAsync(ct);
        return new ChatStateDto(chat.Id, status, position, wait, longer, agent, chat.Email,
            [.. lines.Where(l => !l.Internal).OrderBy(l => l.SentAt).ThenBy(l => l.Id).Select(ToDto)], chat.Version);
    }

    public static ChatMessageDto ToDto(ChatLine l) => new(l.Id, l.ClientMessageId, l.Author, l.AuthorName, l.Body, l.SentAt, l.Internal);

    // ---- small rules

    private static void CheckLength(string body)
    {
        if (body.Length > ChatLine.BodyMaxLength) throw new ChatException("chat.too_long", $"Messages can be at most {ChatLine.BodyMaxLength} characters.", 413);
    }

    private static string? ClientId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        id = id.Trim();
        return id.Length > ChatLine.ClientIdMaxLength ? throw new ChatException("chat.invalid", "The message id is too long.") : id;
    }

    private static string? Clean(string? text, int max)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        return text.Length > max ? text[..max] : text;
    }

    /// <summary>A well-formed BCP 47 tag as browsers give it (<c>de-CH</c>, <c>zh-Hant-TW</c>), else null: a browser's setting, never a reason to refuse a chat.</summary>
    private static string? LanguageTag(string? tag)
    {
        tag = tag?.Trim();
        return tag is { Length: > 0 and <= 35 } && System.Text.RegularExpressions.Regex.IsMatch(tag, "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$") ? tag : null;
    }

    private static string Subject(string question)
    {
        var first = question.Split('\n', 2)[0].Trim();
        return "Chat: " + (first.Length > 80 ? first[..80] + "…" : first);
    }

    /// <summary>
    /// The visitor's token bucket. It refills by the time elapsed when asked, not by a timer of its own: with thousands of
    /// chats open, a timer per visitor meant thousands of timer callbacks every second on the threads that carry the messages.
    /// </summary>
    private bool Allow(Guid visitorId)
    {
        var limiter = _limits.GetOrAdd(visitorId, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = MessagesPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = false,
        }));
        limiter.TryReplenish();
        using var lease = limiter.AttemptAcquire();
        return lease.IsAcquired;
    }
}

/// <summary>The watch job's payload.</summary>
public sealed record ChatWatch(Guid ChatId);

public sealed class ChatWatchHandler(ChatService chats) : IJobHandler
{
    public string Kind => ChatService.WatchKind;

    public Task HandleAsync(JobContext context, CancellationToken ct) => chats.WatchAsync(context.Db, Wire.Read<ChatWatch>(context.Job.Payload).ChatId, ct);
}
