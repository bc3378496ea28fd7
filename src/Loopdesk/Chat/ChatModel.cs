using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using Loopdesk.Core.Chat;
using Loopdesk.Core.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Chat;

/// <summary>A website the chat widget runs on: its public key, looks, greeting, who may embed it, and how it treats silence.</summary>
public sealed class ChatSite
{
    public const int NameMaxLength = 100;
    public const int TextMaxLength = 500;
    public const int MaxOrigins = 20;
    public const int MaxInvitations = 10;

    private ChatSite() { }

    /// <summary>The key of the demo data's site.</summary>
    public const string DemoKey = "demo";

    public ChatSite(DateTimeOffset now, string? key = null)
    {
        Id = Ids.New(now);
        Key = key ?? NewKey();
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    /// <summary>The public key in the script tag's <c>data-site</c>.</summary>
    public string Key { get; private set; } = "";
    public string Name { get; private set; } = "";
    public string Greeting { get; private set; } = "";
    public string ClosingMessage { get; private set; } = "";
    public string Colour { get; private set; } = "#0b57d0";
    public string TextColour { get; private set; } = "#ffffff";
    public string Position { get; private set; } = "right";
    /// <summary>Origins (scheme://host[:port]) that may embed the widget; "*" for any.</summary>
    public List<string> AllowedOrigins { get; private set; } = [];
    public Guid? TeamId { get; private set; }
    /// <summary>The business hours chats are taken in; none means always (when someone is online).</summary>
    public Guid? CalendarId { get; private set; }
    public bool AskName { get; private set; } = true;
    public bool AskEmail { get; private set; } = true;
    public bool RequireEmail { get; private set; }
    /// <summary>Seconds of visitor silence before "are you still there?".</summary>
    public int PromptAfterSeconds { get; private set; } = 120;
    /// <summary>Send the prompt by itself (otherwise the agent's side offers it).</summary>
    public bool AutoPrompt { get; private set; } = true;
    /// <summary>Seconds of visitor silence before the chat ends politely.</summary>
    public int EndAfterSeconds { get; private set; } = 600;
    /// <summary>Seconds in the queue before a chat nobody took counts as missed.</summary>
    public int MissedAfterSeconds { get; private set; } = 300;
    /// <summary>Send the follow-up to a missed or abandoned chat by itself (otherwise it is drafted for an agent).</summary>
    public bool AutoFollowUp { get; private set; }
    public string InvitationsJson { get; private set; } = "[]";
    public bool Enabled { get; private set; } = true;
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }

    public string ETag => $"\"v{Version}\"";

    public IReadOnlyList<ChatInvitation> Invitations => Wire.Read<List<ChatInvitation>>(InvitationsJson);

    public static string NewKey() => "site_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));

    public bool Allows(string? origin)
        => AllowedOrigins.Contains("*") || (origin is not null && AllowedOrigins.Contains(origin.TrimEnd('/').ToLowerInvariant()));

    public Verdict Set(ChatSiteRequest r, DateTimeOffset now)
    {
        var name = r.Name.Trim();
        if (name.Length == 0 || TextRules.FindProblem(name) is not null) return Verdict.Deny("chat.site_invalid", "Give the site a name.", "name");
        var origins = new List<string>();
        foreach (var raw in r.AllowedOrigins ?? [])
        {
            var o = raw.Trim().TrimEnd('/').ToLowerInvariant();
            if (o == "*") { origins.Add(o); continue; }
            if (!Uri.TryCreate(o, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.PathAndQuery != "/")
                return Verdict.Deny("chat.site_invalid", $"\"{raw}\" is not an origin like https://www.example.com.", "allowedOrigins");
            origins.Add(o);
        }
        if (origins.Count > MaxOrigins) return Verdict.Deny("chat.site_invalid", $"At most {MaxOrigins} origins.", "allowedOrigins");
        foreach (var colour in new[] { r.Colour, r.TextColour })
            if (colour is not null && !System.Text.RegularExpressions.Regex.IsMatch(colour, "^#[0-9a-fA-F]{6}$"))
                return Verdict.Deny("chat.site_invalid", "Colours are written like #0b57d0.", "colour");
        if (r.Position is not null and not ("left" or "right")) return Verdict.Deny("chat.site_invalid", "position is left or right.", "position");
        var invitations = (r.Invitations ?? []).ToList();
        if (invitations.Count > MaxInvitations) return Verdict.Deny("chat.site_invalid", $"At most {MaxInvitations} invitations.", "invitations");
        if (invitations.Any(i => string.IsNullOrWhiteSpace(i.Message) || i.Message.Length > TextMaxLength || i.AfterSeconds is < 0 or > 3600))
            return Verdict.Deny("chat.site_invalid", "Each invitation has a message (up to 500 characters) and waits 0 to 3600 seconds.", "invitations");
        if (r.EndAfterSeconds <= r.PromptAfterSeconds) return Verdict.Deny("chat.site_invalid", "The chat ends after the prompt, not before.", "endAfterSeconds");

        Name = name;
        Greeting = (r.Greeting ?? "").Trim();
        ClosingMessage = (r.ClosingMessage ?? "").Trim();
        Colour = r.Colour ?? Colour;
        TextColour = r.TextColour ?? TextColour;
        Position = r.Position ?? Position;
        AllowedOrigins = origins;
        TeamId = r.TeamId;
        CalendarId = r.CalendarId;
        AskName = r.AskName;
        AskEmail = r.AskEmail || r.RequireEmail;
        RequireEmail = r.RequireEmail;
        PromptAfterSeconds = r.PromptAfterSeconds;
        AutoPrompt = r.AutoPrompt;
        EndAfterSeconds = r.EndAfterSeconds;
        MissedAfterSeconds = r.MissedAfterSeconds;
        AutoFollowUp = r.AutoFollowUp;
        InvitationsJson = Wire.Json(invitations.Select(i => i with { Id = i.Id is { Length: > 0 } ? i.Id : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) }).ToList());
        Enabled = r.Enabled;
        UpdatedAt = now;
        Version++;
        return Verdict.Ok;
    }

    /// <summary>Turns one proactive invitation on or off (agents may).</summary>
    public bool Toggle(string invitationId, bool enabled, DateTimeOffset now)
    {
        var list = Invitations.ToList();
        var index = list.FindIndex(i => i.Id == invitationId);
        if (index < 0) return false;
        list[index] = list[index] with { Enabled = enabled };
        InvitationsJson = Wire.Json(list);
        UpdatedAt = now;
        Version++;
        return true;
    }
}

/// <summary>A proactive invitation: after some time on a page (matching a path pattern), or for returning visitors only.</summary>
public sealed record ChatInvitation(string? Id, string Message, int AfterSeconds, string? UrlPattern, bool ReturningOnly, bool Enabled = true);

public sealed class ChatSiteRequest
{
    [Required, MaxLength(ChatSite.NameMaxLength)]
    public required string Name { get; init; }
    [MaxLength(ChatSite.TextMaxLength)]
    public string? Greeting { get; init; }
    [MaxLength(ChatSite.TextMaxLength)]
    public string? ClosingMessage { get; init; }
    [MaxLength(7)]
    public string? Colour { get; init; }
    [MaxLength(7)]
    public string? TextColour { get; init; }
    /// <summary>left or right.</summary>
    public string? Position { get; init; }
    public IReadOnlyList<string>? AllowedOrigins { get; init; }
    public Guid? TeamId { get; init; }
    public Guid? CalendarId { get; init; }
    public bool AskName { get; init; } = true;
    public bool AskEmail { get; init; } = true;
    public bool RequireEmail { get; init; }
    [Range(30, 3600)]
    public int PromptAfterSeconds { get; init; } = 120;
    public bool AutoPrompt { get; init; } = true;
    [Range(60, 86_400)]
    public int EndAfterSeconds { get; init; } = 600;
    [Range(30, 86_400)]
    public int MissedAfterSeconds { get; init; } = 300;
    public bool AutoFollowUp { get; init; }
    public IReadOnlyList<ChatInvitation>? Invitations { get; init; }
    public bool Enabled { get; init; } = true;
}

/// <summary>A browser that chatted with us: the signed visitor token names it; it becomes a customer when it chats.</summary>
public sealed class ChatVisitor
{
    private ChatVisitor() { }

    public ChatVisitor(Guid siteId, DateTimeOffset now)
    {
        Id = Ids.New(now);
        SiteId = siteId;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid SiteId { get; private set; }
    public Guid? CustomerId { get; set; }
    public DateTimeOffset CreatedAt { get; private set; }
}

/// <summary>One live chat: a visitor's question, the queue, the agent, the transcript, and how it ended.</summary>
public sealed class ChatSession
{
    public const int QuestionMaxLength = 2000;

    private ChatSession() { }

    public ChatSession(ChatSite site, ChatVisitor visitor, Guid customerId, string? name, string? email, string? page, string question, DateTimeOffset now)
    {
        Id = Ids.New(now);
        SiteId = site.Id;
        VisitorId = visitor.Id;
        CustomerId = customerId;
        TeamId = site.TeamId;
        Name = name;
        Email = email;
        Page = page;
        Question = question;
        State = ChatState.Queued;
        QueuedAt = now;
        LastVisitorAt = now;
    }

    public Guid Id { get; private set; }
    public Guid SiteId { get; private set; }
    public Guid VisitorId { get; private set; }
    public Guid CustomerId { get; private set; }
    public Guid? TicketId { get; set; }
    public Guid? TeamId { get; set; }
    public Guid? AgentId { get; set; }
    /// <summary>The agent this visitor talked to last time, offered the chat first.</summary>
    public Guid? PreferredAgentId { get; set; }
    public string? Name { get; private set; }
    public string? Email { get; set; }
    /// <summary>The page the visitor is on: where they started, then each page they move to while the chat is live.</summary>
    public string? Page { get; set; }
    public string Question { get; private set; } = "";
    public ChatState State { get; set; }
    public ChatEndReason? EndReason { get; set; }
    public DateTimeOffset QueuedAt { get; private set; }
    public DateTimeOffset? AcceptedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public DateTimeOffset LastVisitorAt { get; set; }
    public DateTimeOffset? LastAgentAt { get; set; }
    public DateTimeOffset? IdleWarnedAt { get; set; }
    public bool FollowedUp { get; set; }
    public int Version { get; set; }
    public List<ChatLine> Lines { get; private set; } = [];

    public bool IsLive => State is ChatState.Queued or ChatState.Active or ChatState.IdleWarned;
}

/// <summary>One line of a transcript; the visitor's carry the id their browser gave them, so a resend is not a second line.</summary>
public sealed class ChatLine
{
    public const int BodyMaxLength = 2000;
    public const int ClientIdMaxLength = 64;

    private ChatLine() { }

    public ChatLine(Guid chatId, ChatAuthor author, Guid? authorId, string? authorName, string body, string? clientMessageId, DateTimeOffset now, bool @internal = false)
    {
        Internal = @internal;
        Id = Ids.New(now);
        ChatId = chatId;
        Author = author;
        AuthorId = authorId;
        AuthorName = authorName;
        Body = body;
        ClientMessageId = clientMessageId;
        SentAt = now;
    }

    public Guid Id { get; private set; }
    public Guid ChatId { get; private set; }
    public ChatAuthor Author { get; private set; }
    public Guid? AuthorId { get; private set; }
    public string? AuthorName { get; private set; }
    public string Body { get; private set; } = "";
    public string? ClientMessageId { get; private set; }
    /// <summary>A note between staff (a transfer note): never shown to the visitor.</summary>
    public bool Internal { get; private set; }
    public DateTimeOffset SentAt { get; private set; }
}

internal sealed class ChatConfiguration : IEntityTypeConfiguration<ChatSite>, IEntityTypeConfiguration<ChatVisitor>, IEntityTypeConfiguration<ChatSession>, IEntityTypeConfiguration<ChatLine>
{
    public void Configure(EntityTypeBuilder<ChatSite> b)
    {
        b.ToTable("ChatSites");
        b.HasKey(s => s.Id);
        b.HasIndex(s => s.Key).IsUnique();
        b.Property(s => s.Key).HasMaxLength(40);
        b.Property(s => s.Name).HasMaxLength(ChatSite.NameMaxLength);
        b.Property(s => s.Greeting).HasMaxLength(ChatSite.TextMaxLength);
        b.Property(s => s.ClosingMessage).HasMaxLength(ChatSite.TextMaxLength);
        b.Property(s => s.Colour).HasMaxLength(7);
        b.Property(s => s.TextColour).HasMaxLength(7);
        b.Property(s => s.Position).HasMaxLength(5);
        b.PrimitiveCollection(s => s.AllowedOrigins);
        b.Property(s => s.Version).IsConcurrencyToken();
        b.Ignore(s => s.Invitations);
    }

    public void Configure(EntityTypeBuilder<ChatVisitor> b)
    {
        b.ToTable("ChatVisitors");
        b.HasKey(v => v.Id);
        b.HasIndex(v => v.CustomerId);
    }

    public void Configure(EntityTypeBuilder<ChatSession> b)
    {
        b.ToTable("Chats");
        b.HasKey(c => c.Id);
        b.Property(c => c.Name).HasMaxLength(Core.Customers.Customer.NameMaxLength);
        b.Property(c => c.Email).HasMaxLength(Core.Customers.EmailAddress.MaxLength);
        b.Property(c => c.Page).HasMaxLength(2000);
        b.Property(c => c.Question).HasMaxLength(ChatSession.QuestionMaxLength);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.HasMany(c => c.Lines).WithOne().HasForeignKey(l => l.ChatId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(c => new { c.State, c.QueuedAt });
        b.HasIndex(c => new { c.VisitorId, c.QueuedAt });
        b.HasIndex(c => new { c.CustomerId, c.QueuedAt });
        b.HasIndex(c => new { c.AgentId, c.State });
        b.HasIndex(c => c.QueuedAt);
        b.Ignore(c => c.IsLive);
    }

    public void Configure(EntityTypeBuilder<ChatLine> b)
    {
        b.ToTable("ChatLines");
        b.HasKey(l => l.Id);
        b.Property(l => l.Body).HasMaxLength(ChatLine.BodyMaxLength);
        b.Property(l => l.AuthorName).HasMaxLength(Core.Customers.Customer.NameMaxLength);
        b.Property(l => l.ClientMessageId).HasMaxLength(ChatLine.ClientIdMaxLength);
        b.HasIndex(l => new { l.ChatId, l.ClientMessageId }).IsUnique();
        b.HasIndex(l => new { l.ChatId, l.SentAt });
    }
}
