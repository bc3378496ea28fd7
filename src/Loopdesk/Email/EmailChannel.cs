using System.Net;
using Loopdesk.Core.Common;
using Loopdesk.Core.Email;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Rules;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Loopdesk.Email;

/// <summary>
/// The mailboxes, kept in memory for the hot paths (is there a mailbox that sends? which one is the default?) and read
/// again when one changes or every half minute, so a change made by another process is seen soon.
/// </summary>
public sealed class MailboxCache(IServiceScopeFactory scopes)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);
    private volatile Snapshot? _snapshot;

    private sealed record Snapshot(IReadOnlyList<Mailbox> All, long LoadedAt);

    /// <summary>Whether some active mailbox sends mail (as last read).</summary>
    public bool AnySends => (_snapshot ?? Load()).All.Any(m => m.Active && m.Sends);

    public IReadOnlyList<Mailbox> All
    {
        get
        {
            var s = _snapshot;
            return (s is null || System.Diagnostics.Stopwatch.GetElapsedTime(s.LoadedAt) > MaxAge ? Load() : s).All;
        }
    }

    public void Invalidate() => _snapshot = null;

    private Snapshot Load()
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var all = db.Mailboxes.AsNoTracking().OrderBy(m => m.Name).ToList();
        var s = new Snapshot(all, System.Diagnostics.Stopwatch.GetTimestamp());
        _snapshot = s;
        return s;
    }
}

/// <summary>
/// Sends outbound email messages (agents' replies, rules' words) by SMTP through the outbox. Each mail carries a
/// Message-ID made from the message's id, In-Reply-To and References naming the conversation, the reference in the
/// subject, Outlook's Thread-Index, and Auto-Submitted when a rule wrote it. A rule's mail to an address that had
/// too many automatic messages this hour is suppressed, not sent. Deliveries due together read what they need in one
/// query each and are sent over a few connections at once.
/// </summary>
public sealed class EmailChannel(MailboxCache mailboxes, SmtpPool smtp, IOptions<LoopdeskOptions> options, Tickets.FileStore files, ILogger<EmailChannel> log) : IChannelBatchAdapter
{
    /// <summary>Mails of one batch sent at the same time, each on a connection of its own (as many as the pool keeps).</summary>
    private const int SendsAtOnce = 4;

    public Channel Channel => Channel.Email;

    public bool Ready => mailboxes.AnySends;

    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest r, CancellationToken ct)
    {
        var (result, error) = (await DeliverAllAsync([r], ct))[0];
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        return result!;
    }

    public async Task<IReadOnlyList<(DeliveryResult? Result, Exception? Error)>> DeliverAllAsync(IReadOnlyList<DeliveryRequest> requests, CancellationToken ct)
    {
        var results = new (DeliveryResult? Result, Exception? Error)[requests.Count];
        if (requests.Count == 0) return results;
        var db = requests[0].Db;
        var known = await ReadAsync(db, requests, ct);
        var all = mailboxes.All;
        var outgoing = new List<(int Index, Mailbox Mailbox, MimeMessage Mail, string To)>(requests.Count);
        // oldest first, so that each automatic message is counted against those made before it, as the limit says
        foreach (var i in Enumerable.Range(0, requests.Count).OrderBy(i => requests[i].Message.RecordedAt).ThenBy(i => Key(requests[i].Message.Id), StringComparer.Ordinal))
        {
            var r = requests[i];
            try
            {
                var lastInbound = known.LastInbound.GetValueOrDefault(r.Ticket.Id);
                var mailbox = all.FirstOrDefault(m => m.Id == lastInbound?.MailboxId && m.Active && m.Sends)
                    ?? all.FirstOrDefault(m => m.IsDefault && m.Active && m.Sends)
                    ?? all.FirstOrDefault(m => m.Active && m.Sends);
                var to = r.Ticket.CustomerId == r.Customer.Id && lastInbound?.FromAddress is { } from && r.Customer.Identities.Any(i => i.Value == from) ? from : r.Customer.PrimaryEmail;
                var automatic = r.Message.AuthorKind == ActorKind.System;
                if (mailbox is null) results[i] = (new DeliveryResult(DeliveryState.Failed, "No active mailbox sends mail."), null);
                else if (to is null) results[i] = (new DeliveryResult(DeliveryState.Failed, "The customer has no email address."), null);
                else if (automatic && TooManyAutomatic(known.Automatic, r))
                    results[i] = (new DeliveryResult(DeliveryState.Suppressed, $"Not sent: {to} had {options.Value.Email.AutoRepliesPerHour} automatic messages in the last hour."), null);
                else
                {
                    outgoing.Add((i, mailbox, await ComposeAsync(r, known, mailbox, to, automatic, ct), to));
                    continue;
                }
                // neither sent nor to be: it no longer counts against the hour's limit
                known.Automatic.RemoveAll(m => m.Id == r.Message.Id);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                results[i] = (null, e);
            }
        }
        await Parallel.ForEachAsync(outgoing, new ParallelOptions { MaxDegreeOfParallelism = SendsAtOnce, CancellationToken = ct }, async (o, token) =>
        {
            var r = requests[o.Index];
            try
            {
                var answer = await smtp.SendAsync(o.Mailbox, o.Mail, token);
                log.LogInformation("Sent message {MessageId} of {Reference} to {To}", r.Message.Id, r.Ticket.Reference, o.To);
                results[o.Index] = (DeliveryResult.Sent(answer), null);
            }
            catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
            {
                results[o.Index] = (null, e);
            }
        });
        return results;
    }

    /// <summary>
    /// Whether this automatic message would be one too many for the hour: counted over the customer's automatic email
    /// messages made before it (by when they were made, so deliveries running side by side agree), not suppressed.
    /// </summary>
    private bool TooManyAutomatic(List<AutomaticMail> automatic, DeliveryRequest r)
    {
        var limit = options.Value.Email.AutoRepliesPerHour;
        if (limit <= 0) return false;
        var at = r.Message.RecordedAt;
        var since = at.AddHours(-1);
        var self = Key(r.Message.Id);
        return automatic.Count(m => m.CustomerId == r.Customer.Id && m.RecordedAt >= since
            && (m.RecordedAt < at || (m.RecordedAt == at && string.CompareOrdinal(Key(m.Id), self) < 0))) >= limit;
    }

    // ids compared as both databases order them: PostgreSQL's uuid bytes and SQLite's text give the order of the hex digits
    private static string Key(Guid id) => id.ToString("D");

    /// <summary>What the deliveries of a batch look up, read once for all of them.</summary>
    private sealed record Known(Dictionary<Guid, InboundSource> LastInbound, List<AutomaticMail> Automatic, ILookup<Guid, Earlier> Received,
        ILookup<Guid, SentBefore> Sent, ILookup<Guid, string> Addresses);

    private static async Task<Known> ReadAsync(LoopdeskDb db, IReadOnlyList<DeliveryRequest> requests, CancellationToken ct)
    {
        var ticketIds = requests.Select(r => r.Ticket.Id).Distinct().ToList();
        var lastInbound = new Dictionary<Guid, InboundSource>();
        await foreach (var m in InboundOn.For(db)(db, ticketIds).WithCancellation(ct))
        {
            if (m.State == InboundState.Processed && m.FromAddress is not null && (!lastInbound.TryGetValue(m.TicketId, out var newest) || m.ReceivedAt > newest.ReceivedAt))
                lastInbound[m.TicketId] = m;
        }

        var automatic = new List<AutomaticMail>();
        var counted = requests.Where(r => r.Message.AuthorKind == ActorKind.System).ToList();
        if (counted.Count > 0)
        {
            var since = counted.Min(r => r.Message.RecordedAt).AddHours(-1);
            var until = counted.Max(r => r.Message.RecordedAt);
            await foreach (var m in AutomaticBetween.For(db)(db, [.. counted.Select(r => r.Customer.Id).Distinct()], since, until).WithCancellation(ct)) automatic.Add(m);
        }

        var received = (await ReceivedOn.For(db)(db, ticketIds).ToListAsync(ct)).ToLookup(m => m.TicketId);
        var sent = (await SentOn.For(db)(db, ticketIds).ToListAsync(ct)).ToLookup(m => m.TicketId);

        // the followers copied on an agent's reply: each one's first email address
        var followers = requests.Where(r => r.Message.AuthorKind != ActorKind.System).SelectMany(r => r.Ticket.Followers).Distinct().ToList();
        var addresses = followers.Count == 0 ? Enumerable.Empty<(Guid, string)>().ToLookup(x => x.Item1, x => x.Item2)
            : (await db.CustomerIdentities.AsNoTracking().Where(i => followers.Contains(i.CustomerId) && i.Kind == Core.Customers.IdentityKind.Email)
                .OrderBy(i => i.AddedAt).Select(i => new { i.CustomerId, i.Value }).ToListAsync(ct)).ToLookup(i => i.CustomerId, i => i.Value);
        return new Known(lastInbound, automatic, received, sent, addresses);
    }

    // the look-ups of every delivery, compiled once (see CompiledQuery)
    private sealed record InboundSource(Guid TicketId, DateTimeOffset ReceivedAt, InboundState State, Guid? MailboxId, string? FromAddress);

    // a ticket's inbound mails through the index on the ticket (the newest read is picked here: a window over them had
    // SQLite walk every processed mail)
    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<InboundSource>>> InboundOn = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ticketIds) => db.InboundMails.AsNoTracking()
            .Where(m => m.TicketId != null && ticketIds.Contains(m.TicketId.Value))
            .Select(m => new InboundSource(m.TicketId!.Value, m.ReceivedAt, m.State, m.MailboxId, m.FromAddress))));

    private sealed record AutomaticMail(Guid CustomerId, Guid Id, DateTimeOffset RecordedAt);

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, DateTimeOffset, DateTimeOffset, IAsyncEnumerable<AutomaticMail>>> AutomaticBetween = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> customerIds, DateTimeOffset since, DateTimeOffset until) => db.Messages
            .Where(m => m.AuthorKind == ActorKind.System && m.Channel == Channel.Email && m.Direction == MessageDirection.Outbound
                && !m.Internal && m.RecordedAt >= since && m.RecordedAt <= until
                && m.Delivery != null && m.Delivery != DeliveryState.Suppressed && m.Delivery != DeliveryState.Failed)
            .Join(db.Tickets.Where(t => customerIds.Contains(t.CustomerId)), m => m.TicketId, t => t.Id, (m, t) => new AutomaticMail(t.CustomerId, m.Id, m.RecordedAt))));

    private sealed record Earlier(Guid TicketId, string Id, DateTimeOffset At);

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<Earlier>>> ReceivedOn = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ticketIds) => db.MailIds.AsNoTracking().Where(m => ticketIds.Contains(m.TicketId) && m.MessageId != null).OrderBy(m => m.CreatedAt)
            .Select(m => new Earlier(m.TicketId, m.Key, m.CreatedAt))));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<SentBefore>>> SentOn = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ticketIds) => db.Messages.AsNoTracking()
            .Where(m => ticketIds.Contains(m.TicketId) && m.Direction == MessageDirection.Outbound && m.Channel == Channel.Email && !m.Internal && m.Delivery != null)
            .Select(m => new SentBefore(m.TicketId, m.Id, m.RecordedAt))));

    private sealed record SentBefore(Guid TicketId, Guid Id, DateTimeOffset At);

    private async Task<MimeMessage> ComposeAsync(DeliveryRequest r, Known known, Mailbox mailbox, string to, bool automatic, CancellationToken ct)
    {
        var t = r.Ticket;
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress(mailbox.FromName ?? options.Value.Company.Name, mailbox.Address));
        mail.To.Add(new MailboxAddress(r.Customer.PreferredName ?? r.Customer.Name, to));
        if (!automatic)
        {
            foreach (var address in t.Followers.Select(f => known.Addresses[f].FirstOrDefault()).OfType<string>().Where(a => a != to).Distinct())
                mail.Cc.Add(MailboxAddress.Parse(address));
        }
        mail.Subject = MailText.ReplySubject(t.Subject, t.Reference);
        mail.MessageId = MailIngest.MessageIdFor(r.Message.Id, mailbox.Domain);
        mail.Date = r.Message.OccurredAt;

        // the conversation: every message id we received on the ticket and every mail we sent on it before this one
        var received = known.Received[t.Id].ToList();
        var sent = known.Sent[t.Id].Where(m => m.Id != r.Message.Id && m.At <= r.Message.RecordedAt).ToList();
        var chain = received.Select(x => (x.Id, x.At))
            .Concat(sent.Select(x => (Id: MailIngest.MessageIdFor(x.Id, mailbox.Domain), x.At)))
            .OrderBy(x => x.At).Select(x => x.Id).Distinct().ToList();
        if (chain.Count > 20) chain = [chain[0], .. chain[^19..]];
        var lastReceived = received.LastOrDefault()?.Id;
        if (lastReceived is not null) mail.InReplyTo = lastReceived;
        else if (chain.Count > 0) mail.InReplyTo = chain[^1];
        foreach (var id in chain) mail.References.Add(id);
        mail.Headers.Add("Thread-Topic", MailText.StripPrefixes(t.Subject));
        mail.Headers.Add("Thread-Index", ThreadIndex.For(t.Id, t.CreatedAt, chain.Count, r.Message.OccurredAt));
        mail.Headers.Add("X-Loopdesk-Ticket", t.Reference);
        if (automatic)
        {
            mail.Headers.Add("Auto-Submitted", "auto-replied");
            mail.Headers.Add("X-Auto-Response-Suppress", "All");
            mail.Headers.Add("Precedence", "auto_reply");
        }

        var text = r.Message.Text;
        if (!automatic && !string.IsNullOrWhiteSpace(mailbox.Signature)) text = $"{text.TrimEnd()}\n\n-- \n{mailbox.Signature.Trim()}";
        var body = new BodyBuilder
        {
            TextBody = text,
            HtmlBody = $"<!DOCTYPE html><html><body><div style=\"font-family:sans-serif\">{string.Join("", text.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n").Select(p => $"<p>{WebUtility.HtmlEncode(p).Replace("\n", "<br>", StringComparison.Ordinal)}</p>"))}</div></body></html>",
        };
        // files an agent attached to the reply go with it; a file gone from the store is named in the text rather than lost silently
        foreach (var file in r.Message.Attachments.Where(a => !a.Inline && a.StorageKey is not null))
        {
            await using var stream = files.Open(file.StorageKey!);
            if (stream is null)
            {
                body.TextBody += $"\n\n[{file.FileName} could not be attached]";
                continue;
            }
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, ct);
            body.Attachments.Add(MailText.SafeFileName(file.FileName), copy.ToArray(), ContentType.TryParse(file.ContentType, out var type) ? type : new ContentType("application", "octet-stream"));
        }
        mail.Body = body.ToMessageBody();
        return mail;
    }
}

/// <summary>
/// Open SMTP connections kept for reuse, a few per mailbox, so a burst of mail does not connect, greet and sign in
/// once per message. At most that many mails go to one server at a time (the others wait their turn), so a burst never
/// opens connections only to close them. A connection idle for a while, or one that failed, is closed instead of reused.
/// </summary>
public sealed class SmtpPool(MailSecrets secrets) : IAsyncDisposable
{
    private const int PerServer = 4;
    private static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(30);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<(SmtpClient Client, long At)>> _idle = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> _turns = new();

    /// <summary>Sends through a kept connection to the mailbox's server, or a new one; returns the server's answer.</summary>
    public async Task<string> SendAsync(Mailbox mailbox, MimeMessage mail, CancellationToken ct)
    {
        var key = $"{mailbox.SmtpHost}:{mailbox.SmtpPort}:{mailbox.SmtpSecurity}:{mailbox.SmtpLogin}:{mailbox.SmtpUsername}:{mailbox.SmtpSecret}";
        var turn = _turns.GetOrAdd(key, _ => new SemaphoreSlim(PerServer, PerServer));
        await turn.WaitAsync(ct);
        try
        {
            return await SendInTurnAsync(key, mailbox, mail, ct);
        }
        finally
        {
            turn.Release();
        }
    }

    private async Task<string> SendInTurnAsync(string key, Mailbox mailbox, MimeMessage mail, CancellationToken ct)
    {
        var queue = _idle.GetOrAdd(key, _ => new());
        var kept = Take(queue);
        if (kept is not null)
        {
            try
            {
                return await SendOnAsync(kept, queue, mail, ct);
            }
            catch (Exception e) when (e is IOException or MailKit.ServiceNotConnectedException or MailKit.Net.Smtp.SmtpProtocolException)
            {
                // the server closed the kept connection meanwhile: once more on a new one
            }
        }
        return await SendOnAsync(await OpenAsync(mailbox, ct), queue, mail, ct);
    }

    private static async Task<string> SendOnAsync(SmtpClient client, System.Collections.Concurrent.ConcurrentQueue<(SmtpClient Client, long At)> queue, MimeMessage mail, CancellationToken ct)
    {
        try
        {
            var answer = await client.SendAsync(mail, ct);
            if (queue.Count < PerServer) queue.Enqueue((client, System.Diagnostics.Stopwatch.GetTimestamp()));
            else await CloseAsync(client);
            return answer;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static SmtpClient? Take(System.Collections.Concurrent.ConcurrentQueue<(SmtpClient Client, long At)> queue)
    {
        while (queue.TryDequeue(out var idle))
        {
            if (idle.Client.IsConnected && System.Diagnostics.Stopwatch.GetElapsedTime(idle.At) < MaxIdle) return idle.Client;
            idle.Client.Dispose();
        }
        return null;
    }

    private async Task<SmtpClient> OpenAsync(Mailbox mailbox, CancellationToken ct)
    {
        var client = new SmtpClient { Timeout = 30_000 };
        try
        {
            await MailConnections.ConnectAsync(client, mailbox.SmtpHost!, mailbox.SmtpPort, mailbox.SmtpSecurity, ct);
            if (mailbox.SmtpUsername is { } user)
            {
                var secret = secrets.Unprotect(mailbox.SmtpSecret) ?? throw new InvalidOperationException($"The SMTP secret of mailbox {mailbox.Name} cannot be read; enter it again.");
                await MailConnections.AuthenticateAsync(client, mailbox.SmtpLogin, user, secret, ct);
            }
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static async Task CloseAsync(SmtpClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await client.DisconnectAsync(true, timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or MailKit.ServiceNotConnectedException or MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException)
        {
            // closing a connection that is going away anyway
        }
        client.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _idle.Values)
        {
            while (queue.TryDequeue(out var idle)) await CloseAsync(idle.Client);
        }
    }
}

/// <summary>Connecting and signing in to IMAP and SMTP servers the same way.</summary>
public static class MailConnections
{
    public static Task ConnectAsync(MailKit.MailService client, string host, int port, MailSecurity security, CancellationToken ct)
    {
        if (security == MailSecurity.None && !IsLoopback(host))
            throw new InvalidOperationException($"An unencrypted connection is only made to this machine, not to {host}.");
        var options = security switch
        {
            MailSecurity.Tls => SecureSocketOptions.SslOnConnect,
            MailSecurity.Starttls => SecureSocketOptions.StartTls,
            MailSecurity.None => SecureSocketOptions.None,
            _ => throw new ArgumentOutOfRangeException(nameof(security)),
        };
        return client.ConnectAsync(host, port, options, ct);
    }

    public static Task AuthenticateAsync(MailKit.MailService client, MailLogin login, string user, string secret, CancellationToken ct) => login switch
    {
        MailLogin.Oauth2 => client.AuthenticateAsync(new SaslMechanismOAuth2(user, secret), ct),
        MailLogin.Password => client.AuthenticateAsync(user, secret, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(login)),
    };

    public static bool IsLoopback(string host)
        => host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
