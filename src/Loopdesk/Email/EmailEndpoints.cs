using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Email;

public sealed record ImapSettingsDto(string Host, int Port, string Security, string Login, string? Username, string Folder, string? ProcessedFolder, bool HasSecret);

public sealed record SmtpSettingsDto(string Host, int Port, string Security, string Login, string? Username, bool HasSecret);

public sealed record MailboxDto(
    Guid Id, string Name, string Address, string? FromName, string? Signature, Guid? DefaultTeamId, bool Active, bool IsDefault,
    ImapSettingsDto? Imap, SmtpSettingsDto? Smtp, bool HasInboundSecret, IReadOnlyList<string> BlockedSenders,
    DateTimeOffset? LastPolledAt, string? LastError, int Version, string? InboundSecret = null);

/// <summary>IMAP settings. The secret (a password, or an OAuth2 access token when login is oauth2) is write-only; leave it out to keep the stored one.</summary>
public sealed class ImapSettings
{
    [Required, MaxLength(255)] public required string Host { get; init; }
    [Range(1, 65535)] public int Port { get; init; } = 993;
    /// <summary>tls (default), starttls, or none (only to a loopback address).</summary>
    public string Security { get; init; } = "tls";
    /// <summary>password (default) or oauth2 (XOAUTH2 with an access token as the secret).</summary>
    public string Login { get; init; } = "password";
    [MaxLength(254)] public string? Username { get; init; }
    [MaxLength(4096)] public string? Secret { get; init; }
    [MaxLength(255)] public string Folder { get; init; } = "INBOX";
    /// <summary>Move processed mail here; when empty it is flagged seen and $Loopdesk instead.</summary>
    [MaxLength(255)] public string? ProcessedFolder { get; init; }
}

/// <summary>SMTP settings. The secret is write-only; leave it out to keep the stored one. No username: no sign-in.</summary>
public sealed class SmtpSettings
{
    [Required, MaxLength(255)] public required string Host { get; init; }
    [Range(1, 65535)] public int Port { get; init; } = 587;
    public string Security { get; init; } = "starttls";
    public string Login { get; init; } = "password";
    [MaxLength(254)] public string? Username { get; init; }
    [MaxLength(4096)] public string? Secret { get; init; }
}

public sealed class MailboxRequest
{
    [MaxLength(Mailbox.NameMaxLength)] public string? Name { get; init; }
    [MaxLength(254)] public string? Address { get; init; }
    [MaxLength(100)] public string? FromName { get; init; }
    [MaxLength(4000)] public string? Signature { get; init; }
    public Guid? DefaultTeamId { get; init; }
    public bool? Active { get; init; }
    public bool? IsDefault { get; init; }
    public ImapSettings? Imap { get; init; }
    public SmtpSettings? Smtp { get; init; }
    /// <summary>Remove the IMAP (or SMTP) settings.</summary>
    public bool RemoveImap { get; init; }
    public bool RemoveSmtp { get; init; }
    /// <summary>The secret that authorizes /api/v1/inbound/mime for this mailbox (at least 16 characters); one is made when a mailbox is created without it.</summary>
    [MaxLength(200)] public string? InboundSecret { get; init; }
    [MaxLength(500)] public IReadOnlyList<string>? BlockedSenders { get; init; }
}

public sealed record ConnectionCheck(bool Ok, string Detail);

public sealed record MailboxTestDto(ConnectionCheck? Imap, ConnectionCheck? Smtp);

public sealed record InboundDto(
    Guid Id, Guid? MailboxId, string Source, string State, string? MailKey, string? From, string? Subject, string? Note, string? Reference,
    Guid? TicketId, Guid? MessageId, int Size, int Attempts, DateTimeOffset ReceivedAt, DateTimeOffset? ProcessedAt);

public sealed record InboundAcceptedDto(Guid InboundId, string State, string? Reference, Guid? TicketId, bool Duplicate, string? Note);

public static class EmailEndpoints
{
    public static void MapEmail(this IEndpointRouteBuilder app)
    {
        var mailboxes = app.MapGroup("/mailboxes").WithTags("Email").RequireAuthorization(Policies.Admin);
        mailboxes.MapGet("/", ListAsync).WithName("ListMailboxes").WithSummary("Mailboxes")
            .WithDescription("Every address customers write to, with its IMAP and SMTP settings. Secrets are never returned: hasSecret says one is stored.");
        mailboxes.MapGet("/{id:guid}", GetAsync).WithName("GetMailbox").WithSummary("A mailbox")
            .WithDescription("Admins only. Its settings without secrets (hasSecret says one is stored), the last poll and its error, and the ETag for If-Match. 404 when there is none.");
        mailboxes.MapPost("/", CreateAsync).WithName("CreateMailbox").WithSummary("Connect a mailbox")
            .WithDescription("Address and name are required. IMAP settings make Loopdesk fetch its mail; SMTP settings make replies go out from it. "
                + "An unencrypted connection (security none) is allowed only to a loopback address (422 mailbox.plaintext). "
                + "When no inboundSecret is given, one is made and returned once, in this answer, for /api/v1/inbound/mime. 409 when the name or address is taken.");
        mailboxes.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateMailbox").WithSummary("Change a mailbox")
            .WithDescription("Fields left out stay as they are; an imap or smtp section replaces that section (a secret left out keeps the stored one). If-Match with the ETag refuses a stale change (412).");
        mailboxes.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteMailbox").WithSummary("Remove a mailbox")
            .WithDescription("Its mail stays on the tickets; its stored raw messages keep no link to it.");
        mailboxes.MapPost("/{id:guid}/test", TestAsync).WithName("TestMailbox").WithSummary("Test the connection")
            .WithDescription("Connects and signs in to the IMAP server (and opens the folder) and to the SMTP server, and says what happened for each.");

        var inbound = app.MapGroup("/inbound").WithTags("Email");
        inbound.MapPost("/mime", PostMimeAsync).WithName("PostInboundMime").AllowAnonymous().DisableAntiforgery()
            .Accepts<byte[]>("message/rfc822")
            .WithSummary("Deliver a raw email")
            .WithDescription("For an MTA pipe or a provider's inbound webhook: the body is one raw RFC 5322 message (Content-Type message/rfc822). "
                + "The mailbox is the one the message is addressed to, or ?mailbox=ADDRESS. Authorized by that mailbox's secret (header X-Loopdesk-Mailbox-Secret, "
                + "or HTTP Basic with the secret as password) or an admin token. The message is stored before it is read; the answer is 202 with the ticket "
                + "reference, and the same answer again for a duplicate. A message that cannot be read is kept (state failed) for an admin to look at.")
            .Produces<InboundAcceptedDto>(StatusCodes.Status202Accepted);
        var admin = inbound.MapGroup("").RequireAuthorization(Policies.Admin);
        admin.MapGet("/", ListInboundAsync).WithName("ListInbound").WithSummary("Inbound mail")
            .WithDescription("Stored raw messages, newest first, optionally by state (pending, processed, duplicate, failed, held, ignored); at most 200 (limit), before= a time for the next page.");
        admin.MapGet("/{id:guid}", GetInboundAsync).WithName("GetInbound").WithSummary("One inbound message")
            .WithDescription("Admins only. Its state, sender, subject, note and the ticket and message it became, if any; 404 when there is none.");
        admin.MapGet("/{id:guid}/raw", RawAsync).WithName("GetInboundRaw").WithSummary("The raw message as it arrived (message/rfc822, as a download)")
            .WithDescription("Admins only. The stored bytes unchanged, as {id}.eml; 404 when there is none.");
        admin.MapPost("/{id:guid}/retry", RetryAsync).WithName("RetryInbound").WithSummary("Process a failed or held message again")
            .WithDescription("A held message (from a staff address) is posted when the admin retries it with ?accept=true; otherwise it is read again from the stored copy.");
        admin.MapPost("/{id:guid}/discard", DiscardAsync).WithName("DiscardInbound").WithSummary("Set a failed or held message aside")
            .WithDescription("The message is kept as ignored, with a note of who discarded it, and makes no ticket; a retry can still process it. 409 inbound.not_discardable for any other state.");

        app.MapGet("/tickets/{reference}/files/{key}", FileAsync).WithTags("Tickets").RequireAuthorization(Policies.Staff)
            .WithName("GetTicketFile").WithSummary("An attachment of a ticket's message")
            .WithDescription("The file's bytes. Images, PDF and plain text may be shown in the page; every other type, HTML and SVG above all, is only ever a download (application/octet-stream), never rendered.");
    }

    private static MailboxDto ToDto(Mailbox m, string? inboundSecret = null) => new(
        m.Id, m.Name, m.Address, m.FromName, m.Signature, m.DefaultTeamId, m.Active, m.IsDefault,
        m.ImapHost is null ? null : new ImapSettingsDto(m.ImapHost, m.ImapPort, Wire.Name(m.ImapSecurity), Wire.Name(m.ImapLogin), m.ImapUsername, m.ImapFolder, m.ProcessedFolder, m.ImapSecret is not null),
        m.SmtpHost is null ? null : new SmtpSettingsDto(m.SmtpHost, m.SmtpPort, Wire.Name(m.SmtpSecurity), Wire.Name(m.SmtpLogin), m.SmtpUsername, m.SmtpSecret is not null),
        m.InboundSecretHash is not null, m.BlockedSenders, m.LastPolledAt, m.LastError, m.Version, inboundSecret);

    private static string ETag(Mailbox m) => ETag(m.Version);

    private static async Task<Ok<List<MailboxDto>>> ListAsync(LoopdeskDb db, CancellationToken ct) => TypedResults.Ok(await ListMailboxesAsync(db, ct));

    /// <summary>The mailboxes by name, without their secrets.</summary>
    public static async Task<List<MailboxDto>> ListMailboxesAsync(LoopdeskDb db, CancellationToken ct)
        => (await db.Mailboxes.AsNoTracking().OrderBy(m => m.Name).ToListAsync(ct)).Select(m => ToDto(m)).ToList();

    private static async Task<Results<Ok<MailboxDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, HttpContext http, CancellationToken ct)
    {
        var m = await db.Mailboxes.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (m is null) return Problems.NotFound("mailbox");
        http.Response.Headers.ETag = ETag(m);
        return TypedResults.Ok(ToDto(m));
    }

    private static async Task<Results<Created<MailboxDto>, ProblemHttpResult>> CreateAsync(
        MailboxRequest request, LoopdeskDb db, MailSecrets secrets, TimeProvider clock, MailboxPoller poller, HttpContext http, CancellationToken ct)
    {
        var (mailbox, problem) = await CreateMailboxAsync(db, secrets, poller, request, clock.GetUtcNow(), ct);
        if (mailbox is null) return problem!;
        http.Response.Headers.ETag = ETag(mailbox.Version);
        return TypedResults.Created($"/api/v1/mailboxes/{mailbox.Id}", mailbox);
    }

    private static async Task<Results<Ok<MailboxDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, MailboxRequest request, LoopdeskDb db, MailSecrets secrets, TimeProvider clock, MailboxPoller poller, HttpContext http,
        [FromHeader(Name = "If-Match")] string? ifMatch, CancellationToken ct)
    {
        var (mailbox, problem) = await UpdateMailboxAsync(db, secrets, poller, id, request, ifMatch, clock.GetUtcNow(), ct);
        if (mailbox is null) return problem!;
        http.Response.Headers.ETag = ETag(mailbox.Version);
        return TypedResults.Ok(mailbox);
    }

    /// <summary>
    /// Connects a mailbox (the request already validated). Without an inbound secret one is made and is in the answer, this
    /// once. The problem says why not.
    /// </summary>
    public static async Task<(MailboxDto? Mailbox, ProblemHttpResult? Problem)> CreateMailboxAsync(
        LoopdeskDb db, MailSecrets secrets, MailboxPoller poller, MailboxRequest request, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Name)) return (null, Problems.Validation("name", "A mailbox needs a name."));
        if (EmailAddress.Normalize(request.Address, out var problem) is not { } address) return (null, Problems.Validation("address", $"The address {problem ?? "is missing"}."));
        var mailbox = new Mailbox(request.Name.Trim(), address, now);
        string? generated = null;
        if (request.InboundSecret is null)
        {
            generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            mailbox.InboundSecretHash = MailSecrets.Hash(generated);
        }
        if (await ApplyAsync(mailbox, request, db, secrets, ct) is { } refused) return (null, refused);
        db.Mailboxes.Add(mailbox);
        if (await SaveAsync(db, mailbox, ct) is { } conflict) return (null, conflict);
        poller.MailboxesChanged();
        return (ToDto(mailbox, generated), null);
    }

    /// <summary>
    /// Changes a mailbox (the request already validated): fields left out stay, a section given replaces that section, a
    /// secret left out keeps the stored one. A stale <paramref name="ifMatch"/> is refused; null does not check.
    /// </summary>
    public static async Task<(MailboxDto? Mailbox, ProblemHttpResult? Problem)> UpdateMailboxAsync(
        LoopdeskDb db, MailSecrets secrets, MailboxPoller poller, Guid id, MailboxRequest request, string? ifMatch, DateTimeOffset now, CancellationToken ct)
    {
        var mailbox = await db.Mailboxes.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (mailbox is null) return (null, Problems.NotFound("mailbox"));
        if (ifMatch is not null && ifMatch != "*" && ifMatch != ETag(mailbox)) return (null, Problems.PreconditionFailed(ETag(mailbox)));
        if (request.Name is { } name)
        {
            if (string.IsNullOrWhiteSpace(name)) return (null, Problems.Validation("name", "A mailbox needs a name."));
            mailbox.Name = name.Trim();
        }
        if (request.Address is not null)
        {
            if (EmailAddress.Normalize(request.Address, out var problem) is not { } address) return (null, Problems.Validation("address", $"The address {problem}."));
            mailbox.Address = address;
        }
        if (await ApplyAsync(mailbox, request, db, secrets, ct) is { } refused) return (null, refused);
        mailbox.UpdatedAt = now;
        mailbox.Version++;
        if (await SaveAsync(db, mailbox, ct) is { } conflict) return (null, conflict);
        poller.MailboxesChanged();
        return (ToDto(mailbox), null);
    }

    public static string ETag(int version) => $"\"v{version}\"";

    private static async Task<ProblemHttpResult?> SaveAsync(LoopdeskDb db, Mailbox mailbox, CancellationToken ct)
    {
        var name = mailbox.Name;
        var address = mailbox.Address;
        var id = mailbox.Id;
        if (await db.Mailboxes.AnyAsync(m => m.Id != id && (m.Name == name || m.Address == address), ct))
            return Problems.Conflict("mailbox.taken", "Another mailbox has this name or address.");
        if (mailbox.IsDefault)
        {
            foreach (var other in await db.Mailboxes.Where(m => m.Id != id && m.IsDefault).ToListAsync(ct)) other.IsDefault = false;
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.Conflict("stale", "The mailbox changed meanwhile; read it again.");
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict("mailbox.taken", "Another mailbox has this name or address.");
        }
        return null;
    }

    private static async Task<ProblemHttpResult?> ApplyAsync(Mailbox m, MailboxRequest r, LoopdeskDb db, MailSecrets secrets, CancellationToken ct)
    {
        if (r.FromName is not null) m.FromName = r.FromName.Trim().Length == 0 ? null : r.FromName.Trim();
        if (r.Signature is not null) m.Signature = r.Signature.Trim().Length == 0 ? null : r.Signature.Trim();
        if (r.Active is { } active) m.Active = active;
        if (r.IsDefault is { } isDefault) m.IsDefault = isDefault;
        if (r.DefaultTeamId is { } teamId)
        {
            if (!await db.Teams.AnyAsync(t => t.Id == teamId, ct)) return Problems.Unprocessable("mailbox.team", "No team with that id.", "defaultTeamId");
            m.DefaultTeamId = teamId;
        }
        if (r.InboundSecret is { } inboundSecret)
        {
            if (inboundSecret.Length < 16) return Problems.Validation("inboundSecret", "The inbound secret must be at least 16 characters.");
            m.InboundSecretHash = MailSecrets.Hash(inboundSecret);
        }
        if (r.BlockedSenders is { } blocked)
        {
            var list = new List<string>();
            foreach (var b in blocked)
            {
                var v = b.Trim().ToLowerInvariant();
                var ok = v.StartsWith('@') ? v.Length > 3 && v.Contains('.', StringComparison.Ordinal) && !v[1..].Contains('@', StringComparison.Ordinal) : EmailAddress.Normalize(v, out _) is not null;
                if (!ok) return Problems.Validation("blockedSenders", $"\"{b}\" is neither an address nor an @domain.");
                list.Add(v);
            }
            m.BlockedSenders = [.. list.Distinct()];
        }
        if (r.RemoveImap) { m.ImapHost = null; m.ImapSecret = null; m.ImapUsername = null; }
        if (r.Imap is { } imap)
        {
            if (!TryParse<MailSecurity>(imap.Security, out var security)) return Problems.Validation("imap.security", "Security is tls, starttls or none.");
            if (!TryParse<MailLogin>(imap.Login, out var login)) return Problems.Validation("imap.login", "Login is password or oauth2.");
            if (security == MailSecurity.None && !MailConnections.IsLoopback(imap.Host.Trim()))
                return Problems.Unprocessable("mailbox.plaintext", "An unencrypted IMAP connection is only allowed to this machine (a loopback address); use tls or starttls.", "imap.security");
            if (imap.Secret is null && m.ImapSecret is null) return Problems.Validation("imap.secret", "IMAP needs a password or an access token.");
            m.ImapHost = imap.Host.Trim();
            m.ImapPort = imap.Port;
            m.ImapSecurity = security;
            m.ImapLogin = login;
            m.ImapUsername = string.IsNullOrWhiteSpace(imap.Username) ? null : imap.Username.Trim();
            if (imap.Secret is not null) m.ImapSecret = secrets.Protect(imap.Secret);
            m.ImapFolder = string.IsNullOrWhiteSpace(imap.Folder) ? "INBOX" : imap.Folder.Trim();
            m.ProcessedFolder = string.IsNullOrWhiteSpace(imap.ProcessedFolder) ? null : imap.ProcessedFolder.Trim();
            m.UidValidity = null;
        }
        if (r.RemoveSmtp) { m.SmtpHost = null; m.SmtpSecret = null; m.SmtpUsername = null; }
        if (r.Smtp is { } smtp)
        {
            if (!TryParse<MailSecurity>(smtp.Security, out var security)) return Problems.Validation("smtp.security", "Security is tls, starttls or none.");
            if (!TryParse<MailLogin>(smtp.Login, out var login)) return Problems.Validation("smtp.login", "Login is password or oauth2.");
            if (security == MailSecurity.None && !MailConnections.IsLoopback(smtp.Host.Trim()))
                return Problems.Unprocessable("mailbox.plaintext", "An unencrypted SMTP connection is only allowed to this machine (a loopback address); use tls or starttls.", "smtp.security");
            var username = string.IsNullOrWhiteSpace(smtp.Username) ? null : smtp.Username.Trim();
            if (username is not null && smtp.Secret is null && m.SmtpSecret is null) return Problems.Validation("smtp.secret", "An SMTP username needs a password or an access token.");
            m.SmtpHost = smtp.Host.Trim();
            m.SmtpPort = smtp.Port;
            m.SmtpSecurity = security;
            m.SmtpLogin = login;
            m.SmtpUsername = username;
            if (smtp.Secret is not null) m.SmtpSecret = secrets.Protect(smtp.Secret);
            if (username is null) m.SmtpSecret = null;
        }
        return null;
    }

    private static bool TryParse<T>(string? value, out T result) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
        {
            if (string.Equals(Wire.Name(v), value, StringComparison.OrdinalIgnoreCase)) { result = v; return true; }
        }
        result = default;
        return false;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, LoopdeskDb db, MailboxPoller poller, CancellationToken ct)
        => await DeleteMailboxAsync(db, poller, id, ct) is { } problem ? problem : TypedResults.NoContent();

    /// <summary>Removes a mailbox; its mail stays on the tickets.</summary>
    public static async Task<ProblemHttpResult?> DeleteMailboxAsync(LoopdeskDb db, MailboxPoller poller, Guid id, CancellationToken ct)
    {
        var mailbox = await db.Mailboxes.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (mailbox is null) return Problems.NotFound("mailbox");
        db.Mailboxes.Remove(mailbox);
        await db.SaveChangesAsync(ct);
        poller.MailboxesChanged();
        return null;
    }

    private static async Task<Results<Ok<MailboxTestDto>, ProblemHttpResult>> TestAsync(Guid id, LoopdeskDb db, MailSecrets secrets, CancellationToken ct)
        => await TestMailboxAsync(db, secrets, id, ct) is { } test ? TypedResults.Ok(test) : Problems.NotFound("mailbox");

    /// <summary>Connects and signs in to the mailbox's IMAP and SMTP servers and says what happened for each; null when there is no such mailbox.</summary>
    public static async Task<MailboxTestDto?> TestMailboxAsync(LoopdeskDb db, MailSecrets secrets, Guid id, CancellationToken ct)
    {
        var m = await db.Mailboxes.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (m is null) return null;
        ConnectionCheck? imap = null, smtp = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        if (m.Receives)
        {
            try
            {
                using var client = new ImapClient { Timeout = 15_000 };
                await MailboxPoller.OpenAsync(client, m, secrets, timeout.Token);
                var folder = await client.GetFolderAsync(m.ImapFolder, timeout.Token);
                await folder.OpenAsync(MailKit.FolderAccess.ReadOnly, timeout.Token);
                imap = new ConnectionCheck(true, $"Signed in; {m.ImapFolder} holds {folder.Count} messages; IDLE {(client.Capabilities.HasFlag(ImapCapabilities.Idle) ? "supported" : "not supported, polling")}.");
                await client.DisconnectAsync(true, timeout.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                imap = new ConnectionCheck(false, e.Message);
            }
        }
        if (m.Sends)
        {
            try
            {
                using var client = new SmtpClient { Timeout = 15_000 };
                await MailConnections.ConnectAsync(client, m.SmtpHost!, m.SmtpPort, m.SmtpSecurity, timeout.Token);
                if (m.SmtpUsername is { } user)
                {
                    var secret = secrets.Unprotect(m.SmtpSecret) ?? throw new InvalidOperationException("The SMTP secret cannot be read; enter it again.");
                    await MailConnections.AuthenticateAsync(client, m.SmtpLogin, user, secret, timeout.Token);
                }
                smtp = new ConnectionCheck(true, m.SmtpUsername is null ? "Connected (no sign-in configured)." : "Connected and signed in.");
                await client.DisconnectAsync(true, timeout.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                smtp = new ConnectionCheck(false, e.Message);
            }
        }
        return new MailboxTestDto(imap, smtp);
    }

    private static async Task<Results<Accepted<InboundAcceptedDto>, ProblemHttpResult>> PostMimeAsync(
        HttpContext http, MailboxCache mailboxes, MailIngest ingest, IOptions<LoopdeskOptions> options, [FromQuery] string? mailbox, CancellationToken ct)
    {
        var limit = options.Value.Email.MaxMessageBytes;
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.StartsWith("message/rfc822", StringComparison.OrdinalIgnoreCase) && !contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)
            && !contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, "media-type", "Unsupported media type.", "Send the raw message as message/rfc822.", null, "mail.media_type");
        }
        byte[] raw;
        var declared = http.Request.ContentLength;
        using (var buffer = new MemoryStream(declared is > 0 and < int.MaxValue ? (int)Math.Min(declared.Value, limit) : 16 * 1024))
        {
            var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int read;
                while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
                {
                    if (buffer.Length + read > limit)
                        return Problems.Create(StatusCodes.Status413PayloadTooLarge, "too-large", "Too large.", $"The message is larger than {limit} bytes.", null, "mail.too_large");
                    buffer.Write(chunk, 0, read);
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
            }
            raw = buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
        }
        if (raw.Length == 0) return Problems.Validation("body", "The body is empty; send one raw message.");

        // which mailbox: the one named, else the first of ours the message is addressed to
        var user = http.User;
        var isAdmin = user.Identity?.IsAuthenticated == true && user.IsAtLeast(AgentRole.Admin);
        var secret = isAdmin ? null : http.Request.Headers["X-Loopdesk-Mailbox-Secret"].FirstOrDefault() ?? BasicPassword(http);
        // the mailboxes as kept in memory; read again once when the one asked for is not there or its secret changed
        var target = FindTarget(mailboxes.All, raw, mailbox);
        if (target is null || (!isAdmin && !MailSecrets.Matches(target.InboundSecretHash, secret)))
        {
            mailboxes.Invalidate();
            target = FindTarget(mailboxes.All, raw, mailbox);
        }
        if (mailbox is not null && target is null) return Problems.NotFound("mailbox");
        if (!isAdmin && (target is null || !MailSecrets.Matches(target.InboundSecretHash, secret)))
        {
            return user.Identity?.IsAuthenticated == true
                ? Problems.Forbidden("Only an admin, or the caller with the mailbox's secret, may deliver mail.")
                : Problems.Create(StatusCodes.Status401Unauthorized, "unauthorized", "Not signed in.", "Give the mailbox's secret (X-Loopdesk-Mailbox-Secret) or an admin token.", null, "unauthorized");
        }
        var outcome = await ingest.IngestAsync(target?.Id, "http", raw, ct);
        return TypedResults.Accepted($"/api/v1/inbound/{outcome.InboundId}",
            new InboundAcceptedDto(outcome.InboundId, Wire.Name(outcome.State), outcome.Reference, outcome.TicketId, outcome.Duplicate, outcome.Note));
    }

    /// <summary>The mailbox named (by address or name), else the first of ours the message is addressed to.</summary>
    private static Mailbox? FindTarget(IReadOnlyList<Mailbox> all, byte[] raw, string? mailbox)
    {
        if (mailbox is not null)
        {
            var address = EmailAddress.Normalize(mailbox, out _);
            return all.FirstOrDefault(m => m.Address == address || string.Equals(m.Name, mailbox, StringComparison.OrdinalIgnoreCase));
        }
        var recipients = Recipients(raw);
        return all.FirstOrDefault(m => recipients.Contains(m.Address));
    }

    /// <summary>The addresses a raw message is for (To, Cc, Delivered-To, X-Original-To), read from its headers only.</summary>
    public static HashSet<string> Recipients(byte[] raw)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            var headers = MimeKit.HeaderList.Load(stream);
            foreach (var name in new[] { "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To" })
            {
                foreach (var h in headers.Where(h => string.Equals(h.Field, name, StringComparison.OrdinalIgnoreCase)))
                {
                    if (MimeKit.InternetAddressList.TryParse(h.Value, out var list))
                        foreach (var m in list.Mailboxes) found.Add(m.Address.ToLowerInvariant());
                }
            }
        }
        catch (FormatException) { }
        return found;
    }

    private static string? BasicPassword(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon >= 0 ? decoded[(colon + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static InboundDto ToDto(InboundMail m) => new(m.Id, m.MailboxId, m.Source, Wire.Name(m.State), m.MailKey, m.FromAddress, m.Subject, m.Note, m.Reference,
        m.TicketId, m.MessageId, m.Size, m.Attempts, m.ReceivedAt, m.ProcessedAt);

    private static async Task<Results<Ok<List<InboundDto>>, ProblemHttpResult>> ListInboundAsync(
        LoopdeskDb db, string? state, DateTimeOffset? before, int? limit, CancellationToken ct)
    {
        var query = db.InboundMails.AsNoTracking();
        if (state is not null)
        {
            if (!TryParse<InboundState>(state, out var s)) return Problems.Validation("state", "State is pending, processed, duplicate, failed, held or ignored.");
            query = query.Where(m => m.State == s);
        }
        if (before is { } b) query = query.Where(m => m.ReceivedAt < b);
        var rows = await query.OrderByDescending(m => m.ReceivedAt).Take(Math.Clamp(limit ?? 50, 1, 200))
            .Select(m => new { m.Id, m.MailboxId, m.Source, m.State, m.MailKey, m.FromAddress, m.Subject, m.Note, m.Reference, m.TicketId, m.MessageId, m.Size, m.Attempts, m.ReceivedAt, m.ProcessedAt })
            .ToListAsync(ct);
        return TypedResults.Ok(rows.Select(m => new InboundDto(m.Id, m.MailboxId, m.Source, Wire.Name(m.State), m.MailKey, m.FromAddress, m.Subject, m.Note, m.Reference,
            m.TicketId, m.MessageId, m.Size, m.Attempts, m.ReceivedAt, m.ProcessedAt)).ToList());
    }

    private static async Task<Results<Ok<InboundDto>, ProblemHttpResult>> GetInboundAsync(Guid id, LoopdeskDb db, CancellationToken ct)
        => await db.InboundMails.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct) is { } m ? TypedResults.Ok(ToDto(m)) : Problems.NotFound("inbound message");

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> RawAsync(Guid id, LoopdeskDb db, HttpContext http, CancellationToken ct)
    {
        var raw = await db.InboundMails.AsNoTracking().Where(m => m.Id == id).Select(m => m.Raw).FirstOrDefaultAsync(ct);
        if (raw is null) return Problems.NotFound("inbound message");
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(raw, "message/rfc822", $"{id}.eml");
    }

    private static async Task<Results<Ok<InboundAcceptedDto>, ProblemHttpResult>> RetryAsync(Guid id, LoopdeskDb db, MailIngest ingest, CancellationToken ct)
    {
        var (outcome, problem) = await ingest.RetryAsync(db, id, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(new InboundAcceptedDto(outcome!.InboundId, Wire.Name(outcome.State), outcome.Reference, outcome.TicketId, outcome.Duplicate, outcome.Note));
    }

    private static async Task<Results<Ok<InboundDto>, ProblemHttpResult>> DiscardAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, MailIngest ingest, CancellationToken ct)
    {
        var (mail, problem) = await ingest.DiscardAsync(db, id, user.Identity?.Name ?? "an admin", ct);
        return problem ?? (Results<Ok<InboundDto>, ProblemHttpResult>)TypedResults.Ok(ToDto(mail!));
    }

    private static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> FileAsync(
        string reference, string key, LoopdeskDb db, FileStore files, ClaimsPrincipal user, HttpContext http, CancellationToken ct)
    {
        var t = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (t is null) return Problems.NotFound("ticket");
        var ticketId = t.Id;
        var attachment = (await db.Messages.AsNoTracking().Where(m => m.TicketId == ticketId).Select(m => m.Attachments).ToListAsync(ct))
            .SelectMany(a => a).FirstOrDefault(a => a.StorageKey == key);
        if (attachment is null || files.Open(key) is not { } stream) return Problems.NotFound("file");
        var inline = FileSniffer.SafeInline(attachment.ContentType);
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        return TypedResults.Stream(stream, inline ? attachment.ContentType : "application/octet-stream", inline ? null : attachment.FileName);
    }
}
