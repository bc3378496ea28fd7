using Loopdesk.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Chat;

/// <summary>
/// The visitor token: a browser's chat identity, signed by the server (ASP.NET Core data protection), naming the visitor
/// and the site. It opens only that visitor's own chats; a forged or altered one opens nothing.
/// </summary>
public sealed class VisitorTokens(IDataProtectionProvider protection)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Loopdesk.Chat.Visitor.v1");

    public string Issue(Guid visitorId, Guid siteId) => _protector.Protect($"{visitorId:N}.{siteId:N}");

    public (Guid VisitorId, Guid SiteId)? Read(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 1000) return null;
        try
        {
            var parts = _protector.Unprotect(token).Split('.');
            return parts.Length == 2 && Guid.TryParseExact(parts[0], "N", out var visitor) && Guid.TryParseExact(parts[1], "N", out var site) ? (visitor, site) : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }
}

/// <summary>
/// The hub the widget talks to. A connection carries the visitor token (<c>access_token</c>) and is refused without a
/// valid one, or from an origin the site does not allow. Every method acts on the caller's own chat only: no method
/// takes a chat id.
/// </summary>
public sealed class VisitorHub(ChatService chats, LoopdeskDb db, VisitorTokens tokens, Rules.Outbound outbound) : Hub
{
    private const string VisitorKey = "visitor";
    private const string SiteKey = "site";

    public override async Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();
        var token = http?.Request.Query["access_token"].ToString();
        if (string.IsNullOrEmpty(token) && http?.Request.Headers.Authorization.ToString() is { Length: > 7 } header && header.StartsWith("Bearer ", StringComparison.Ordinal))
            token = header[7..];
        var identity = tokens.Read(token);
        var site = identity is { } id ? await db.Set<ChatSite>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == id.SiteId && s.Enabled) : null;
        var origin = http?.Request.Headers.Origin.ToString();
        if (identity is null || site is null || (!string.IsNullOrEmpty(origin) && !site.Allows(origin)))
        {
            Context.Abort();
            return;
        }
        Context.Items[VisitorKey] = identity.Value.VisitorId;
        Context.Items[SiteKey] = site.Id;
        await base.OnConnectedAsync();
    }

    private Guid Visitor => Context.Items[VisitorKey] is Guid id ? id : throw new HubException("chat.unauthorized: Connect with a visitor token.");

    private async Task<ChatSite> SiteAsync()
    {
        var siteId = Context.Items[SiteKey] is Guid id ? id : throw new HubException("chat.unauthorized: Connect with a visitor token.");
        return await db.Set<ChatSite>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == siteId && s.Enabled) ?? throw new HubException("chat.site_unknown: This chat is switched off.");
    }

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (ChatException e)
        {
            throw e.ToHub();
        }
    }

    private async Task Join(ChatStateDto? state)
    {
        if (state is not null) await Groups.AddToGroupAsync(Context.ConnectionId, ChatService.Group(state.ChatId));
    }

    public Task<ChatStateDto?> Resume() => Guard(async () =>
    {
        var state = await chats.ResumeAsync(db, Visitor, Context.ConnectionAborted);
        await Join(state);
        return state;
    });

    public Task<ChatStateDto> Start(StartChatRequest request) => Guard(async () =>
    {
        var site = await SiteAsync();
        var state = await chats.StartAsync(db, site, Visitor, request, Context.ConnectionAborted);
        await Join(state);
        return state;
    });

    public Task<ChatAck> Send(SendChatRequest request) => Guard(() => chats.SendAsync(db, Visitor, request, Context.ConnectionAborted));

    public Task<bool> Navigate(string? page) => chats.NavigateAsync(db, Visitor, page, Context.ConnectionAborted);

    public Task Typing(bool typing) => chats.TypingAsync(db, Visitor, typing, Context.ConnectionAborted);

    public Task<bool> Leave() => Guard(async () =>
    {
        await chats.LeaveAsync(db, Visitor, Context.ConnectionAborted);
        return true;
    });

    public Task<object> EmailTranscript(string? email) => Guard(async () =>
        (object)new { sent = await chats.EmailTranscriptAsync(db, Visitor, email, outbound, Context.ConnectionAborted) });

    public Task<OfflineResult> Offline(OfflineRequest request) => Guard(async () =>
        await chats.OfflineAsync(db, await SiteAsync(), Visitor, request, Context.ConnectionAborted));
}
