using System.Security.Claims;
using System.Text;
using Loopdesk.Core.Chat;
using Loopdesk.Core.Common;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Chat;

public sealed record ChatSiteConfig(string Key, string Name, string Greeting, string Colour, string TextColour, string Position, bool Online, DateTimeOffset? NextOpening,
    bool AskName, bool AskEmail, bool RequireEmail, int MaxMessageLength, IReadOnlyList<PublicInvitation> Invitations);

public sealed record PublicInvitation(string Id, string Message, int AfterSeconds, string? UrlPattern, bool ReturningOnly);

public sealed record ChatSiteDto(Guid Id, string Key, string Name, string Greeting, string ClosingMessage, string Colour, string TextColour, string Position,
    IReadOnlyList<string> AllowedOrigins, Guid? TeamId, Guid? CalendarId, bool AskName, bool AskEmail, bool RequireEmail, int PromptAfterSeconds, bool AutoPrompt,
    int EndAfterSeconds, int MissedAfterSeconds, bool AutoFollowUp, IReadOnlyList<ChatInvitation> Invitations, bool Enabled, int Version);

public sealed record VisitorRequest(string? Token);

public sealed record VisitorDto(string Token, Guid VisitorId, bool Returning);

public sealed record ChatSummaryDto(Guid Id, Guid SiteId, ChatState State, ChatEndReason? EndReason, string? Name, string? Email, string Question, string? Page,
    Guid CustomerId, Guid? TicketId, Guid? TeamId, Guid? AgentId, Guid? PreferredAgentId, DateTimeOffset QueuedAt, DateTimeOffset? AcceptedAt, DateTimeOffset? EndedAt,
    DateTimeOffset LastVisitorAt, int Version);

public sealed record ChatDto(ChatSummaryDto Chat, IReadOnlyList<ChatMessageDto> Messages);

public sealed record ChatPage(IReadOnlyList<ChatSummaryDto> Items);

public sealed class AgentChatMessageRequest
{
    [System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.MaxLength(ChatLine.BodyMaxLength * 2)]
    public required string Body { get; init; }
    public bool LexiconOverride { get; init; }
}

public sealed record TransferRequest(Guid? AgentId, Guid? TeamId, string? Note);

public sealed record LinkTicketRequest(string? Reference);

public sealed record InvitationToggle(bool Enabled);

public sealed record ChatHourRow(int Hour, int Chats, int Answered, int Missed, int Abandoned, double AbandonmentRate);

public sealed record ChatReport(DateTimeOffset From, DateTimeOffset To, int Chats, int Answered, int Missed, int Abandoned, double AbandonmentRate,
    double? MedianWaitSeconds, double? MedianHandleSeconds, IReadOnlyList<ChatHourRow> ByHour);

public static class ChatEndpoints
{
    public const string CorsPolicy = "chat-visitors";

    public static void MapChat(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        app.MapHub<VisitorHub>("/hubs/chat/visitor", o => o.ApplicationMaxBufferSize = 64 * 1024).RequireCors(CorsPolicy).AllowAnonymous();
        app.MapHub<AgentHub>("/hubs/chat/agent");

        var sites = api.MapGroup("/chat/sites").WithTags("Chat");
        sites.MapGet("/{key}", ConfigAsync).WithName("GetChatSiteConfig").AllowAnonymous().RequireCors(CorsPolicy)
            .WithSummary("What the widget shows (public)")
            .WithDescription("Looks, greeting, whether someone can chat now (or the next opening), the pre-chat questions and the proactive invitations "
                + "that are on. Anonymous; 404 for an unknown or switched-off site, 403 from an origin the site does not allow.");
        sites.MapPost("/{key}/visitors", VisitorAsync).WithName("RegisterChatVisitor").AllowAnonymous().RequireCors(CorsPolicy).DisableAntiforgery()
            .WithSummary("A visitor token (public)")
            .WithDescription("Send back the token you hold to stay the same visitor (`returning: true`); without one, or with one that is not valid for "
                + "this site, you get a new visitor. The token opens the visitor hub `/hubs/chat/visitor` and only this visitor's own chats.");
        sites.MapGet("/", ListSitesAsync).WithName("ListChatSites").RequireAuthorization(Policies.Agent).WithSummary("Chat sites")
            .WithDescription("Agents, supervisors and admins. Every site the widget runs on, by name, with its key, allowed origins, hours, timers and invitations.");
        sites.MapPost("/", CreateSiteAsync).WithName("CreateChatSite").RequireAuthorization(Policies.Admin).WithSummary("Add a chat site")
            .WithDescription("A site the widget runs on: its key is made for you. allowedOrigins lists who may embed it (\"*\" for anyone).");
        sites.MapPut("/{key}", ReplaceSiteAsync).WithName("ReplaceChatSite").RequireAuthorization(Policies.Admin).WithSummary("Change a chat site")
            .WithDescription("Replaces its settings. Send If-Match with the ETag (\"vN\") you read: a stale one is 412.");
        sites.MapPut("/{key}/invitations/{invitationId}", ToggleInvitationAsync).WithName("ToggleChatInvitation").RequireAuthorization(Policies.Agent)
            .WithSummary("Turn a proactive invitation on or off").WithDescription("`{enabled: false}` stops it being offered to visitors.");

        var chats = api.MapGroup("/chats").WithTags("Chat").RequireAuthorization(Policies.Agent);
        chats.MapGet("/", ListAsync).WithName("ListChats").WithSummary("Chats")
            .WithDescription("Newest first, up to 200. Filters: state (queued, active, idle-warned, ended, abandoned, missed), customerId, from, to.");
        chats.MapGet("/{id:guid}", GetAsync).WithName("GetChat").WithSummary("A chat and its transcript")
            .WithDescription("Every line, staff notes (transfer notes) included and marked internal.");
        chats.MapGet("/{id:guid}/transcript", TranscriptAsync).WithName("ExportChatTranscript").WithSummary("Export a transcript")
            .WithDescription("Plain text, one line per message, as a download; staff notes left out unless `internal=true`.");
        chats.MapPost("/{id:guid}/accept", AcceptAsync).WithName("AcceptChat").WithSummary("Take a queued chat")
            .WithDescription("409 `chat.over_capacity` when you have as many chats as your chat capacity, 409 `chat.taken` when someone was quicker.");
        chats.MapPost("/{id:guid}/messages", MessageAsync).WithName("SendChatMessage").WithSummary("Write to the visitor")
            .WithDescription("The lexicon checks it like a reply: findings are 422 `lexicon.findings` unless `lexiconOverride: true`.");
        chats.MapPost("/{id:guid}/prompt", PromptAsync).WithName("PromptChatVisitor").WithSummary("Ask \"are you still there?\"")
            .WithDescription("Agents, supervisors and admins, on a chat they have taken: the visitor is asked and the chat is marked idle-warned; answers with the chat. "
                + "404 when there is none, 409 `chat.ended` once it has ended, 409 `chat.not_yours` when it is not yours.");
        chats.MapPost("/{id:guid}/transfer", TransferAsync).WithName("TransferChat").WithSummary("Pass the chat on")
            .WithDescription("To a colleague with room (`agentId`) or back to a team's queue (`teamId`), with a note only staff read.");
        chats.MapPost("/{id:guid}/end", EndAsync).WithName("EndChat").WithSummary("End the chat politely")
            .WithDescription("The visitor gets the site's closing message; the transcript goes on the chat's ticket (a new one unless it had one).");
        chats.MapPost("/{id:guid}/ticket", TicketAsync).WithName("LinkChatTicket").WithSummary("Convert to a ticket, or attach to one")
            .WithDescription("Without `reference`, opens the chat's ticket now; with one, attaches the chat to that ticket of the same customer.");

        api.MapGet("/reports/chat", ReportAsync).WithTags("Chat", "Reports").WithName("ChatReport").RequireAuthorization(Policies.Supervisor)
            .WithSummary("Chats, missed and abandoned, by hour of day")
            .WithDescription("Over [from, to) (default: the last 7 days): answered, missed (nobody took it in time) and abandoned (the visitor left the queue), "
                + "the abandonment rate ((missed + abandoned) / chats), median wait and handle times, and the same counts per hour of day (UTC).");
    }

    public static ProblemHttpResult Problem(ChatException e) => Problems.Create(e.Status, e.Status switch
    {
        404 => "not-found",
        403 => "forbidden",
        409 => "conflict",
        413 => "too-large",
        429 => "rate-limited",
        401 => "unauthorized",
        _ => "rule",
    }, "The chat did not allow that.", e.Message, null, e.Code);

    private static async Task<ChatSite?> SiteByKeyAsync(LoopdeskDb db, string key, CancellationToken ct)
        => key.Length > 40 ? null : await db.Set<ChatSite>().AsNoTracking().FirstOrDefaultAsync(s => s.Key == key && s.Enabled, ct);

    private static bool OriginRefused(HttpContext http, ChatSite site)
        => http.Request.Headers.Origin.ToString() is { Length: > 0 } origin && !site.Allows(origin);

    private static async Task<Results<Ok<ChatSiteConfig>, ProblemHttpResult>> ConfigAsync(string key, LoopdeskDb db, ChatService chats, HttpContext http, CancellationToken ct)
    {
        var site = await SiteByKeyAsync(db, key, ct);
        if (site is null) return Problems.NotFound("chat site");
        if (OriginRefused(http, site)) return Problems.Forbidden("This site does not allow the chat on that page's origin.");
        var availability = await chats.AvailabilityAsync(db, site, ct);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new ChatSiteConfig(site.Key, site.Name, site.Greeting, site.Colour, site.TextColour, site.Position, availability.Online, availability.NextOpening,
            site.AskName, site.AskEmail, site.RequireEmail, ChatLine.BodyMaxLength,
            [.. site.Invitations.Where(i => i.Enabled).Select(i => new PublicInvitation(i.Id!, i.Message, i.AfterSeconds, i.UrlPattern, i.ReturningOnly))]));
    }

    private static async Task<Results<Ok<VisitorDto>, ProblemHttpResult>> VisitorAsync(
        string key, VisitorRequest? body, LoopdeskDb db, VisitorTokens tokens, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var site = await SiteByKeyAsync(db, key, ct);
        if (site is null) return Problems.NotFound("chat site");
        if (OriginRefused(http, site)) return Problems.Forbidden("This site does not allow the chat on that page's origin.");
        if (tokens.Read(body?.Token) is { } known && known.SiteId == site.Id && await db.Set<ChatVisitor>().AnyAsync(v => v.Id == known.VisitorId, ct))
            return TypedResults.Ok(new VisitorDto(body!.Token!, known.VisitorId, true));
        var visitor = new ChatVisitor(site.Id, clock.GetUtcNow());
        db.Add(visitor);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new VisitorDto(tokens.Issue(visitor.Id, site.Id), visitor.Id, false));
    }

    public static ChatSiteDto ToDto(ChatSite s) => new(s.Id, s.Key, s.Name, s.Greeting, s.ClosingMessage, s.Colour, s.TextColour, s.Position, s.AllowedOrigins, s.TeamId,
        s.CalendarId, s.AskName, s.AskEmail, s.RequireEmail, s.PromptAfterSeconds, s.AutoPrompt, s.EndAfterSeconds, s.MissedAfterSeconds, s.AutoFollowUp, s.Invitations, s.Enabled, s.Version);

    private static async Task<Ok<List<ChatSiteDto>>> ListSitesAsync(LoopdeskDb db, CancellationToken ct)
        => TypedResults.Ok((await db.Set<ChatSite>().AsNoTracking().OrderBy(s => s.Name).ToListAsync(ct)).Select(ToDto).ToList());

    /// <summary>Adds or replaces a site's settings; the API and the settings page share it.</summary>
    public static async Task<(ChatSite? Site, ProblemHttpResult? Problem)> SaveSiteAsync(LoopdeskDb db, string? key, ChatSiteRequest body, int? version, DateTimeOffset now, CancellationToken ct)
    {
        var site = key is null ? new ChatSite(now) : await db.Set<ChatSite>().FirstOrDefaultAsync(s => s.Key == key, ct);
        if (site is null) return (null, Problems.NotFound("chat site"));
        if (version is { } v && v != site.Version) return (null, Problems.PreconditionFailed(site.ETag));
        if (body.TeamId is { } teamId && !await db.Teams.AnyAsync(t => t.Id == teamId, ct)) return (null, Problems.Unprocessable("team.unknown", "No team with that id.", "teamId"));
        if (body.CalendarId is { } calendarId && !await db.Calendars.AnyAsync(c => c.Id == calendarId, ct))
            return (null, Problems.Unprocessable("calendar.unknown", "No calendar with that id.", "calendarId"));
        var verdict = site.Set(body, now);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        if (key is null) db.Add(site);
        await db.SaveChangesAsync(ct);
        return (site, null);
    }

    private static async Task<Results<Created<ChatSiteDto>, ProblemHttpResult>> CreateSiteAsync(ChatSiteRequest body, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var (site, problem) = await SaveSiteAsync(db, null, body, null, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = site!.ETag;
        return TypedResults.Created($"/api/v1/chat/sites/{site.Key}", ToDto(site));
    }

    private static async Task<Results<Ok<ChatSiteDto>, ProblemHttpResult>> ReplaceSiteAsync(
        string key, ChatSiteRequest body, [FromHeader(Name = "If-Match")] string? ifMatch, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (Problems.ReadIfMatch(ifMatch, out var version) is { } badIfMatch) return badIfMatch;
        var (site, problem) = await SaveSiteAsync(db, key, body, version, clock.GetUtcNow(), ct);
        if (problem is not null) return problem;
        http.Response.Headers.ETag = site!.ETag;
        return TypedResults.Ok(ToDto(site));
    }

    private static async Task<Results<Ok<ChatSiteDto>, ProblemHttpResult>> ToggleInvitationAsync(string key, string invitationId, InvitationToggle body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var site = await db.Set<ChatSite>().FirstOrDefaultAsync(s => s.Key == key, ct);
        if (site is null || !site.Toggle(invitationId, body.Enabled, clock.GetUtcNow())) return Problems.NotFound("invitation");
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToDto(site));
    }

    public static ChatSummaryDto ToSummary(ChatSession c) => new(c.Id, c.SiteId, c.State, c.EndReason, c.Name, c.Email, c.Question, c.Page, c.CustomerId, c.TicketId,
        c.TeamId, c.AgentId, c.PreferredAgentId, c.QueuedAt, c.AcceptedAt, c.EndedAt, c.LastVisitorAt, c.Version);

    private static async Task<Results<Ok<ChatPage>, ProblemHttpResult>> ListAsync(
        string? state, Guid? customerId, DateTimeOffset? from, DateTimeOffset? to, LoopdeskDb db, CancellationToken ct)
    {
        var query = db.Set<ChatSession>().AsNoTracking();
        if (state is not null)
        {
            if (!WireValues.TryParse<ChatState>(state, out var s)) return Problems.Validation("state", WireValues.Expected<ChatState>("state"));
            query = query.Where(c => c.State == s);
        }
        if (customerId is { } customer) query = query.Where(c => c.CustomerId == customer);
        if (from is { } f) query = query.Where(c => c.QueuedAt >= f);
        if (to is { } t) query = query.Where(c => c.QueuedAt < t);
        var items = await query.OrderByDescending(c => c.QueuedAt).Take(200).ToListAsync(ct);
        return TypedResults.Ok(new ChatPage([.. items.Select(ToSummary)]));
    }

    private static async Task<Results<Ok<ChatDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().AsNoTracking().Include(c => c.Lines).FirstOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null) return Problems.NotFound("chat");
        return TypedResults.Ok(new ChatDto(ToSummary(chat), [.. chat.Lines.OrderBy(l => l.SentAt).ThenBy(l => l.Id).Select(ChatService.ToDto)]));
    }

    private static async Task<IResult> TranscriptAsync(Guid id, bool? @internal, LoopdeskDb db, CancellationToken ct)
    {
        var chat = await db.Set<ChatSession>().AsNoTracking().Include(c => c.Lines).FirstOrDefaultAsync(c => c.Id == id, ct);
        if (chat is null) return Problems.NotFound("chat");
        return TypedResults.File(Encoding.UTF8.GetBytes(ChatService.Transcript(chat, @internal == true) + "\n"), "text/plain; charset=utf-8", $"chat-{chat.QueuedAt:yyyyMMdd-HHmm}-{chat.Id.ToString("N")[..8]}.txt");
    }

    private static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (ChatException e)
        {
            return Problem(e);
        }
    }

    private static async Task<ChatDto> LoadAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        db.ChangeTracker.Clear();
        var chat = await db.Set<ChatSession>().AsNoTracking().Include(c => c.Lines).FirstAsync(c => c.Id == id, ct);
        return new ChatDto(ToSummary(chat), [.. chat.Lines.OrderBy(l => l.SentAt).ThenBy(l => l.Id).Select(ChatService.ToDto)]);
    }

    private static Task<IResult> AcceptAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, ChatService chats, CancellationToken ct) => Run(async () =>
    {
        await chats.AcceptAsync(db, id, user.AgentId(), ct);
        return TypedResults.Ok(await LoadAsync(db, id, ct));
    });

    private static Task<IResult> MessageAsync(Guid id, AgentChatMessageRequest body, ClaimsPrincipal user, LoopdeskDb db, ChatService chats, Lexicon.LexiconService lexicon, CancellationToken ct)
        => Run(async () => TypedResults.Ok(ChatService.ToDto(await chats.AgentSendAsync(db, id, user.AgentId(), body.Body, body.LexiconOverride, lexicon, ct))));

    private static Task<IResult> PromptAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, ChatService chats, CancellationToken ct) => Run(async () =>
    {
        await chats.PromptByAgentAsync(db, id, user.AgentId(), ct);
        return TypedResults.Ok(await LoadAsync(db, id, ct));
    });

    private static Task<IResult> TransferAsync(Guid id, TransferRequest body, ClaimsPrincipal user, LoopdeskDb db, ChatService chats, CancellationToken ct) => Run(async () =>
    {
        await chats.TransferAsync(db, id, user.AgentId(), body.AgentId, body.TeamId, body.Note, ct);
        return TypedResults.Ok(await LoadAsync(db, id, ct));
    });

    private static Task<IResult> EndAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, ChatService chats, CancellationToken ct) => Run(async () =>
    {
        await chats.EndByAgentAsync(db, id, user.AgentId(), ct);
        return TypedResults.Ok(await LoadAsync(db, id, ct));
    });

    private static Task<IResult> TicketAsync(Guid id, LinkTicketRequest? body, ClaimsPrincipal user, LoopdeskDb db, ChatService chats, CancellationToken ct) => Run(async () =>
    {
        var ticket = await chats.LinkTicketAsync(db, id, user.AgentId(), body?.Reference, ct);
        return TypedResults.Ok(new { reference = ticket.Reference, chat = await LoadAsync(db, id, ct) });
    });

    public static async Task<ChatReport> BuildReportAsync(LoopdeskDb db, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var rows = await db.Set<ChatSession>().AsNoTracking().Where(c => c.QueuedAt >= from && c.QueuedAt < to)
            .Select(c => new { c.QueuedAt, c.AcceptedAt, c.EndedAt, c.State }).ToListAsync(ct);
        static double Rate(int lost, int all) => all == 0 ? 0 : Math.Round((double)lost / all, 4);
        static double? Median(IEnumerable<double> values) { var list = values.Order().ToList(); return list.Count == 0 ? null : list[list.Count / 2]; }
        var hours = Enumerable.Range(0, 24).Select(h =>
        {
            var inHour = rows.Where(r => r.QueuedAt.UtcDateTime.Hour == h).ToList();
            var missed = inHour.Count(r => r.State == ChatState.Missed);
            var abandoned = inHour.Count(r => r.State == ChatState.Abandoned);
            return new ChatHourRow(h, inHour.Count, inHour.Count(r => r.AcceptedAt != null), missed, abandoned, Rate(missed + abandoned, inHour.Count));
        }).ToList();
        var allMissed = rows.Count(r => r.State == ChatState.Missed);
        var allAbandoned = rows.Count(r => r.State == ChatState.Abandoned);
        return new ChatReport(from, to, rows.Count, rows.Count(r => r.AcceptedAt != null), allMissed, allAbandoned, Rate(allMissed + allAbandoned, rows.Count),
            Median(rows.Where(r => r.AcceptedAt != null).Select(r => (r.AcceptedAt!.Value - r.QueuedAt).TotalSeconds)),
            Median(rows.Where(r => r.AcceptedAt != null && r.EndedAt != null).Select(r => (r.EndedAt!.Value - r.AcceptedAt!.Value).TotalSeconds)),
            hours);
    }

    private static async Task<Results<Ok<ChatReport>, ProblemHttpResult>> ReportAsync(DateTimeOffset? from, DateTimeOffset? to, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var end = to ?? clock.GetUtcNow();
        var start = from ?? end.AddDays(-7);
        if (start >= end) return Problems.Validation("from", "from is before to.");
        if (end - start > TimeSpan.FromDays(366)) return Problems.Validation("from", "A report covers at most a year.");
        return TypedResults.Ok(await BuildReportAsync(db, start, end, ct));
    }
}
