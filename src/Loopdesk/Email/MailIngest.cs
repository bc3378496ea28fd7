using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Email;
using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Rules;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Email;

/// <summary>What became of one inbound message.</summary>
public sealed record MailOutcome(Guid InboundId, InboundState State, string? Reference, Guid? TicketId, string? Note, bool Duplicate);

/// <summary>A raw message as read: the parsed message, or why it could not be read.</summary>
public sealed record MailReading(ParsedMail? Mail, string? Error);

/// <summary>
/// The one pipeline all inbound mail goes through, however it came (IMAP, the inbound webhook, an MTA pipe). The raw
/// message is committed first, with a job to process it; processing then reads it, threads it, finds the customer and
/// updates or opens the ticket in one transaction, in which the message's id is claimed, so nothing is done twice. A
/// crash at any point leaves the job, which processes the stored copy again.
/// </summary>
public sealed partial class MailIngest(
    IServiceScopeFactory scopes, TimeProvider clock, IOptions<LoopdeskOptions> options, FileStore files, HtmlCleaner html,
    TemplateStore templates, Outbound outbound, MailboxCache mailboxes, Platform.Auth.StaffCache staff, ILogger<MailIngest> log) : IHostedService, IAsyncDisposable
{
    public const string ProcessKind = "mail.process";


    private EmailOptions Options => options.Value.Email;

    /// <summary>
    /// Stores a raw message, with a job to process it unless the caller processes it at once (<paramref name="processInline"/>;
    /// should that caller die first, the minutely sweep of <see cref="MailSweepHandler"/> picks the message up). With a
    /// <paramref name="sourceKey"/> (an IMAP message) the same message is stored once: a repeat returns the row stored before.
    /// </summary>
    public async Task<InboundMail> StoreAsync(Guid? mailboxId, string source, string? sourceKey, byte[] raw, bool processInline, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        if (sourceKey is not null && await db.InboundMails.AsNoTracking().FirstOrDefaultAsync(m => m.SourceKey == sourceKey, ct) is { } known) return known;
        var now = clock.GetUtcNow();
        var mail = NewRow(mailboxId, source, sourceKey, raw, now);
        db.InboundMails.Add(mail);
        if (!processInline) db.Enqueue(ProcessKind, new MailJob(mail.Id), now);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (sourceKey is not null)
        {
            // the same IMAP message stored meanwhile by another process
            await using var again = scopes.CreateAsyncScope();
            return await again.ServiceProvider.GetRequiredService<LoopdeskDb>().InboundMails.AsNoTracking().FirstAsync(m => m.SourceKey == sourceKey, ct);
        }
        return mail;
    }

    /// <summary>A raw message's row as first stored: its hash, and its Message-ID read from the headers alone.</summary>
    private static InboundMail NewRow(Guid? mailboxId, string source, string? sourceKey, byte[] raw, DateTimeOffset now)
        => new(mailboxId, source, sourceKey, raw, Convert.ToHexStringLower(SHA256.HashData(raw)), now) { MailKey = HeaderMessageId(raw) };

    /// <summary>
    /// Stores and processes at once (the webhook): the answer names the ticket. Messages that arrive together are stored
    /// in one transaction, then read each by its own request, then processed together in one transaction (see
    /// <see cref="ProcessGroupAsync"/>), so that a busy mailbox pays for a commit once per group instead of twice a message.
    /// </summary>
    public async Task<MailOutcome> IngestAsync(Guid? mailboxId, string source, byte[] raw, CancellationToken ct)
    {
        var stored = await Stores.WriteAsync(new ToStore(mailboxId, source, raw), ct);
        return await Processes.WriteAsync(new ToProcess(stored, Read(raw)), ct);
    }

    private sealed record ToStore(Guid? MailboxId, string Source, byte[] Raw);

    private sealed class ToProcess(InboundMail stored, MailReading reading)
    {
        public InboundMail Stored { get; } = stored;

        public MailReading Reading { get; } = reading;

        /// <summary>Whether the row in hand was changed by a group that then fell through, so it must be read again.</summary>
        public bool Spent { get; set; }
    }

    // group commit for the webhook: the most messages one transaction takes, and one writer for each step. Measured
    // against two: the groups are larger and the server and database spend less per message, on both databases. Two
    // processing writers on PostgreSQL answered a few more messages a second, but only by leaving the acknowledgements'
    // deliveries behind (2-9 s of them after the last answer instead of 0.1 s).
    private const int MaxGroup = 16;
    private const int Writers = 1;
    private GroupCommit<ToStore, InboundMail>? _stores;
    private GroupCommit<ToProcess, MailOutcome>? _processes;
    private GroupCommit<ToStore, InboundMail> Stores => LazyInitializer.EnsureInitialized(ref _stores, () => new(MaxGroup, Writers, StoreGroupAsync));
    private GroupCommit<ToProcess, MailOutcome> Processes => LazyInitializer.EnsureInitialized(ref _processes, () => new(MaxGroup, Writers, ProcessGroupAsync));

    // messages processed alone, beside the writer: one waiting for the message it answers must not hold up the others
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _aside = new();

    private async Task StoreGroupAsync(IReadOnlyList<GroupCommit<ToStore, InboundMail>.Entry> group)
    {
        if (group.Count > 1)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
                var now = clock.GetUtcNow();
                var rows = group.Select(e => NewRow(e.Item.MailboxId, e.Item.Source, null, e.Item.Raw, now)).ToList();
                db.InboundMails.AddRange(rows);
                await db.SaveChangesAsync();
                for (var i = 0; i < group.Count; i++) group[i].Succeed(rows[i]);
                return;
            }
            catch (DbUpdateException e)
            {
                log.LogDebug(e, "A group of {Count} inbound messages could not be stored together; storing each alone", group.Count);
            }
        }
        foreach (var entry in group)
        {
            try
            {
                entry.Succeed(await StoreAsync(entry.Item.MailboxId, entry.Item.Source, null, entry.Item.Raw, processInline: true, CancellationToken.None));
            }
            catch (Exception e)
            {
                entry.Fail(e);
            }
        }
    }

    /// <summary>
    /// Processes stored messages in one transaction when nothing ties them to each other: each from a different sender
    /// and naming no one another names (so no customer is made twice, and the storm and rate limits count as they
    /// would one by one), none a reply to another of the group or a copy of one, none a bounce or a staff forward.
    /// The others, and the whole group when its save fails (a reference drawn twice, a customer made meanwhile) or
    /// one of it must wait for the message it answers, are processed each alone, with the retries that has.
    /// </summary>
    private async Task ProcessGroupAsync(IReadOnlyList<GroupCommit<ToProcess, MailOutcome>.Entry> group)
    {
        var together = new List<GroupCommit<ToProcess, MailOutcome>.Entry>(group.Count);
        var alone = new List<GroupCommit<ToProcess, MailOutcome>.Entry>();
        // the addresses the messages taken together name, none of them ours
        var people = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (group.Count > 1)
        {
            var ours = mailboxes.All.Select(m => m.Address).ToHashSet(StringComparer.Ordinal);
            var ids = group.Select(e => e.Item.Reading.Mail?.MessageId).OfType<string>().GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
            foreach (var entry in group)
            {
                var parsed = entry.Item.Reading.Mail;
                var separate = parsed is not { MessageId: { } id, From: { } from, Bounce: null, ForwardedFrom: null }
                    || ids[id] > 1 || ours.Contains(from)
                    || parsed.ThreadIds.Any(ids.ContainsKey);
                var named = separate ? [] : parsed!.Cc.Concat(parsed.To).Append(parsed.From!).Where(a => !ours.Contains(a)).ToList();
                if (!separate && named.Any(people.Contains)) separate = true;
                if (separate)
                {
                    alone.Add(entry);
                    continue;
                }
                people.UnionWith(named);
                together.Add(entry);
            }
        }
        else alone.AddRange(group);

        if (together.Count == 1) alone.Insert(0, together[0]);
        else if (together.Count > 1 && !await ProcessTogetherAsync(together, people)) alone.InsertRange(0, together);
        // as they would have been without the group: at once, each retrying and waiting on its own, while the writer goes on
        if (alone.Count == 0) return;
        var aside = Task.WhenAll(alone.Select(ProcessAloneAsync));
        _aside.TryAdd(aside, 0);
        _ = aside.ContinueWith(t => _aside.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<bool> ProcessTogetherAsync(List<GroupCommit<ToProcess, MailOutcome>.Entry> together, IReadOnlyCollection<string> people)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var now = clock.GetUtcNow();
        var decisions = new List<Decision>(together.Count);
        try
        {
            await db.UseGenericPlansAsync(CancellationToken.None);
            // what each message would look up alone, looked up once for the group: its Message-ID and the ids of its thread
            // seen before, with their tickets, and the people it names
            var mails = together.Select(e => e.Item.Reading.Mail!).ToList();
            var threads = mails.SelectMany(m => m.ThreadIds.Take(100)).ToList();
            var own = mails.Select(KeyOf).ToHashSet(StringComparer.Ordinal);
            var keys = own.Concat(threads).Distinct(StringComparer.Ordinal).ToList();
            var seen = new Dictionary<string, MailThreadId>(StringComparer.Ordinal);
            await foreach (var known in MailIdsByKeys.For(db)(db, keys)) seen.TryAdd(known.Key, known);
            var sentIds = threads.Select(OurMessageId).OfType<Guid>().Distinct().ToList();
            var sent = new Dictionary<Guid, SentMessage>();
            if (sentIds.Count > 0) await foreach (var m in SentByIds.For(db)(db, sentIds)) sent.TryAdd(m.Id, m);
            var threaded = seen.Values.Where(m => !own.Contains(m.Key)).Select(m => m.TicketId).Concat(sent.Values.Select(m => m.TicketId)).Distinct().ToList();
            if (threaded.Count > 0) await foreach (var _ in TicketsByIds.For(db)(db, threaded)) { } // tracked: the replies find them without a query
            var shared = new GroupLookups(seen, sent, await CustomerLookup.LoadAsync(db, [.. people.Select(a => ((string?)a, (string?)null))], CancellationToken.None));
            foreach (var entry in together)
            {
                entry.Item.Spent = true;
                decisions.Add(await DecideAsync(db, db.InboundMails.Attach(entry.Item.Stored).Entity, entry.Item.Reading, now, mayWait: true, CancellationToken.None, shared));
            }
            await db.SaveChangesAsync();
        }
        catch (Exception e) when (e is DbUpdateException or MailDeferredException)
        {
            log.LogDebug(e, "A group of {Count} inbound messages could not be processed together; processing each alone", together.Count);
            return false;
        }
        for (var i = 0; i < together.Count; i++)
        {
            try
            {
                together[i].Succeed(await AfterSaveAsync(db, together[i].Item.Stored, decisions[i], now, CancellationToken.None));
            }
            catch (Exception e)
            {
                together[i].Fail(e);
            }
        }
        return true;
    }

    /// <summary>Look-ups made once for a group processed together.</summary>
    private sealed record GroupLookups(Dictionary<string, MailThreadId> Seen, Dictionary<Guid, SentMessage> Sent, CustomerLookup Customers);

    private sealed record SentMessage(Guid Id, Guid TicketId, DateTimeOffset RecordedAt);

    private async Task ProcessAloneAsync(GroupCommit<ToProcess, MailOutcome>.Entry entry)
    {
        try
        {
            var item = entry.Item;
            entry.Succeed(await ProcessAsync(item.Stored.Id, CancellationToken.None, item.Spent ? null : item.Stored, item.Reading));
        }
        catch (Exception e)
        {
            entry.Fail(e);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On shutdown, stops taking messages from the webhook and finishes those already taken, while the database is still there.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stores is not null) await _stores.CompleteAsync(cancellationToken);
        if (_processes is not null) await _processes.CompleteAsync(cancellationToken);
        await Task.WhenAll(_aside.Keys).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stores is not null) await _stores.DisposeAsync();
        if (_processes is not null) await _processes.DisposeAsync();
        await Task.WhenAll(_aside.Keys);
    }

    /// <summary>An admin's retry of a failed, held or ignored message, from the API or the settings page: read again from the stored copy.</summary>
    public async Task<(MailOutcome? Outcome, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem)> RetryAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        var mail = await db.InboundMails.FirstOrDefaultAsync(m => m.Id == id, ct);
        if (mail is null) return (null, Problems.NotFound("inbound message"));
        if (mail.State is not (InboundState.Failed or InboundState.Held or InboundState.Ignored))
            return (null, Problems.Conflict("inbound.not_retryable", $"The message is {Wire.Name(mail.State)}; only failed, held or ignored messages are processed again."));
        mail.State = InboundState.Pending;
        mail.Note = null;
        await db.SaveChangesAsync(ct);
        return (await ProcessAsync(id, ct), null);
    }

    /// <summary>
    /// Sets a failed or held message aside for good: it is kept (as ignored, saying who discarded it), makes no ticket, and
    /// leaves the list of messages waiting for an admin; a retry can still process it.
    /// </summary>
    public async Task<(InboundMail? Mail, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Problem)> DiscardAsync(LoopdeskDb db, Guid id, string by, CancellationToken ct)
    {
        var mail = await db.InboundMails.FirstOrDefaultAsync(m => m.Id == id, ct);
        if (mail is null) return (null, Problems.NotFound("inbound message"));
        if (mail.State is not (InboundState.Failed or InboundState.Held))
            return (null, Problems.Conflict("inbound.not_discardable", $"The message is {Wire.Name(mail.State)}; only failed or held messages are discarded."));
        var now = clock.GetUtcNow();
        var why = mail.Note is { Length: > 0 } note ? $" It was {Wire.Name(mail.State)}: {note}" : "";
        mail.State = InboundState.Ignored;
        var discarded = $"Discarded by {by}.{why}";
        mail.Note = discarded.Length > 2000 ? discarded[..2000] : discarded;
        mail.ProcessedAt = now;
        await db.SaveChangesAsync(ct);
        return (mail, null);
    }

    /// <summary>
    /// Processes a stored message now, in a scope of its own, with retries when a concurrent writer got in the way.
    /// <paramref name="justStored"/>, the row as its caller has just committed it, spares reading it back the first time.
    /// </summary>
    public async Task<MailOutcome> ProcessAsync(Guid inboundId, CancellationToken ct, InboundMail? justStored = null, MailReading? reading = null)
    {
        var waited = 0;
        for (var attempt = 1; ; attempt++)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            try
            {
                await db.UseGenericPlansAsync(ct);
                // a retry reads the row again: the first pass changed the copy in hand
                var known = attempt == 1 && waited == 0 ? justStored : null;
                return await ProcessInAsync(db, inboundId, clock.GetUtcNow(), ct, mayWait: waited < 25, known, reading);
            }
            catch (DbUpdateException) when (attempt < 4)
            {
                // the same Message-ID claimed by a concurrent delivery (another mailbox), or a reference drawn twice: start again
            }
            catch (MailDeferredException)
            {
                // the message it answers arrived just before it and is being read: wait for it, a few seconds at most
                waited++;
                attempt--;
                await Task.Delay(200, ct);
            }
        }
    }

    /// <summary>The Message-ID in a raw message's headers, read without parsing the body; null when there is none or they cannot be read.</summary>
    internal static string? HeaderMessageId(byte[] raw)
    {
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            var id = MimeKit.HeaderList.Load(stream)[MimeKit.HeaderId.MessageId];
            if (string.IsNullOrWhiteSpace(id)) return null;
            var clean = id.Trim().Trim('<', '>').Trim();
            return clean.Length is 0 or > 900 ? null : clean;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Processes a stored message within <paramref name="db"/> and saves.</summary>
    internal async Task<MailOutcome> ProcessInAsync(LoopdeskDb db, Guid inboundId, DateTimeOffset now, CancellationToken ct, bool mayWait = true, InboundMail? stored = null,
        MailReading? reading = null)
    {
        var mail = stored is not null ? db.InboundMails.Attach(stored).Entity : await db.InboundMails.FirstOrDefaultAsync(m => m.Id == inboundId, ct)
            ?? throw new InvalidOperationException($"Inbound message {inboundId} does not exist.");
        if (mail.State != InboundState.Pending) return Outcome(mail);
        var decided = await DecideAsync(db, mail, reading ?? Read(mail.Raw), now, mayWait, ct);
        await db.SaveChangesAsync(ct);
        return await AfterSaveAsync(db, mail, decided, now, ct);
    }

    /// <summary>Reads a raw message (MimeKit); a message that cannot be read gives the reason instead.</summary>
    public MailReading Read(byte[] raw)
    {
        try
        {
            return new MailReading(MailParser.Parse(raw, Options.MaxAttachmentBytes), null);
        }
        catch (FormatException e)
        {
            return new MailReading(null, e.Message);
        }
    }

    private static MailOutcome Outcome(InboundMail mail) => new(mail.Id, mail.State, mail.Reference, mail.TicketId, mail.Note, mail.State == InboundState.Duplicate);

    /// <summary>What is left once a message's save is committed: the log of a failure, the sender told of files not kept.</summary>
    private async Task<MailOutcome> AfterSaveAsync(LoopdeskDb db, InboundMail mail, Decision decided, DateTimeOffset now, CancellationToken ct)
    {
        if (mail.State == InboundState.Failed) log.LogWarning("Inbound message {InboundId} could not be processed: {Reason}", mail.Id, mail.Note);
        // after the acknowledgement (which a message in the same save would stand in for): the sender learns what was not kept
        if (decided.NotKept is { } notKept) await NoticeNotKeptAsync(db, notKept.Ticket, notKept.Customer, notKept.List, now, ct);
        return Outcome(mail);
    }

    /// <summary>What processing decided for a message, its changes made in the context but not saved.</summary>
    private sealed record Decision((Ticket Ticket, Customer Customer, string List)? NotKept = null)
    {
        public static readonly Decision Done = new();
    }

    /// <summary>Reads, threads and places one stored message within <paramref name="db"/>, without saving.</summary>
    private async Task<Decision> DecideAsync(LoopdeskDb db, InboundMail mail, MailReading reading, DateTimeOffset now, bool mayWait, CancellationToken ct,
        GroupLookups? shared = null)
    {
        mail.Attempts++;
        mail.ProcessedAt = now;
        if (reading.Mail is not { } parsed) return Finish(mail, InboundState.Failed, reading.Error);
        mail.FromAddress = Truncate(parsed.From, 254);
        mail.Subject = Truncate(parsed.Subject, 1000);
        var key = KeyOf(parsed);
        mail.MailKey = key;

        // nothing twice: the same Message-ID (another mailbox, a repeat delivery) is on a ticket already
        if ((shared is not null ? shared.Seen.GetValueOrDefault(key) : await MailIdByKey.For(db)(db, key, ct)) is { } seen)
        {
            mail.TicketId = seen.TicketId;
            mail.Reference = await db.Tickets.Where(t => t.Id == seen.TicketId).Select(t => t.Reference).FirstOrDefaultAsync(ct);
            mail.MessageId = seen.MessageId;
            var same = await SameContentAsync(db, seen, parsed, ct);
            return Finish(mail, InboundState.Duplicate, same ? "A repeat of a message already on the ticket." : "The same Message-ID came before with different content; the first copy counts.");
        }

        if (parsed.Bounce is { } bounce) return await BounceAsync(db, mail, bounce, key, now, ct);
        if (parsed.From is null) return Finish(mail, InboundState.Failed, "The message has no sender address.");

        var known = mailboxes.All;
        var mailbox = mail.MailboxId is { } mailboxId ? known.FirstOrDefault(m => m.Id == mailboxId) ?? await db.Mailboxes.AsNoTracking().FirstOrDefaultAsync(m => m.Id == mailboxId, ct) : null;
        var ours = known.Select(m => m.Address).ToHashSet(StringComparer.Ordinal);
        if (ours.Contains(parsed.From)) return Finish(mail, InboundState.Ignored, "Sent from one of our own mailboxes (a loop).");
        if (Blocked(parsed.From, mailbox)) return Finish(mail, InboundState.Ignored, "The sender is blocked.");

        // staff: a forward opens a ticket for the original sender; anything else is never posted in their name
        var sender = (Address: parsed.From, Name: parsed.FromName);
        string? forwardedBy = null;
        var agent = (await staff.ActiveByEmailAsync(db, ct)).GetValueOrDefault(parsed.From);
        if (agent is not null)
        {
            if (parsed.ForwardedFrom is not { } original || parsed.AuthenticationFailed || ours.Contains(original.Email))
            {
                return Finish(mail, InboundState.Held,
                    parsed.AuthenticationFailed ? "From a staff address, but the sender's domain did not authenticate it (a forged From)."
                        : "From a staff address and not a forward: staff reply in Loopdesk, so this is not posted in their name.");
            }
            sender = (original.Email, original.Name);
            forwardedBy = agent.Name;
        }

        var others = parsed.Cc.Concat(parsed.To).Where(a => a != sender.Address && !ours.Contains(a) && a != parsed.From).Distinct().Take(Ticket.MaxFollowers).ToList();
        var lookup = shared?.Customers ?? await CustomerLookup.LoadAsync(db, [(sender.Address, null), .. others.Select(a => ((string?)a, (string?)null))], ct);
        var customer = lookup.Resolve(db, sender.Name, sender.Address, null, now);
        var automatic = parsed.Automatic;

        var ticket = await ThreadAsync(db, parsed, customer.Id, shared, ct);
        if (ticket is null && mayWait && parsed.ThreadIds.Count > 0)
        {
            // the message this one answers is stored but not read yet (fetched in the same batch): read that one first
            if (await ParentPendingAsync(db, mail, parsed, now, ct)) throw new MailDeferredException();
            // or it was read by a concurrent worker between the look-up above and that check: its ids are on its ticket now
            ticket = await ThreadAsync(db, parsed, customer.Id, null, ct);
        }
        var storm = false;
        // a storm is many new conversations from someone we know: one made just now has none yet
        if (ticket is null && forwardedBy is null && db.Entry(customer).State != EntityState.Added && await StormTicketAsync(db, customer.Id, now, ct) is { } stormTicket)
        {
            ticket = stormTicket;
            storm = true;
        }
        Guid? followUpOf = null;
        if (ticket is { Status: TicketStatus.Closed })
        {
            followUpOf = ticket.Id;
            ticket = null;
        }

        var isNew = ticket is null;
        var reference = ticket?.Reference ?? TicketReference.New();
        var (attachments, notKept) = await StoreFilesAsync(parsed, ct);
        var htmlBody = parsed.Html is null ? null : html.Clean(InlineImages(parsed.Html, parsed.Attachments, attachments, reference));
        var author = Actor.Customer(customer.Id);
        var occurredAt = parsed.Date is { } date && date <= now && date > now.AddDays(-30) ? date : now;
        var subject = MailText.StripPrefixes(parsed.Subject);
        if (subject.Length == 0) subject = Truncate(parsed.Text.ReplaceLineEndings(" "), 80) is { Length: > 0 } first ? first : "(no subject)";
        subject = Truncate(subject, Ticket.SubjectMaxLength)!;
        if (ticket is null)
        {
            var tags = new List<string>();
            if (automatic is not null) tags.Add("automatic");
            ticket = Ticket.Open(new NewTicket(reference, subject, Channel.Email, customer.Id, customer.OrganizationId, TeamId: mailbox?.DefaultTeamId,
                Tags: tags, FollowUpOfId: followUpOf), author, occurredAt, now);
            db.Tickets.Add(ticket);
        }
        var body = parsed.Text.Length == 0 && attachments.Count == 0 ? "(empty message)" : parsed.Text;
        var verdict = ticket.AddMessage(new NewMessage(MessageDirection.Inbound, Channel.Email, Truncate(body, 100_000)!, htmlBody,
            Attachments: attachments, ExternalId: parsed.MessageId, QuotedText: Truncate(parsed.Folded, 100_000)), author, occurredAt, now, out var message);
        if (!verdict.IsOk) return Finish(mail, InboundState.Failed, verdict.Message);
        // a contact is a person reaching out: a new conversation, not every reply in it, and never a machine's mail
        if (isNew && automatic is null && !storm) ticket.RecordContact(Channel.Email, forwardedBy is null ? null : $"Forwarded by {forwardedBy}", author, occurredAt, now);
        if (storm && !ticket.Tags.Contains("mail-storm")) ticket.Apply(new TicketChange { Tags = [.. ticket.Tags, "mail-storm"] }, Actor.System, now);
        foreach (var address in others)
        {
            if (lookup.Resolve(db, null, address, null, now) is { } follower && follower.Id != customer.Id) ticket.AddFollower(follower.Id, author, now);
        }
        if (forwardedBy is not null)
        {
            ticket.AddMessage(new NewMessage(MessageDirection.Outbound, Channel.Email, $"{forwardedBy} forwarded this message from {sender.Address}.", Internal: true),
                Actor.Agent(agent!.Id), now, now, out _);
        }
        var list = string.Join(", ", notKept.Select(f => $"{f.Name} ({Megabytes(f.Size)})"));
        if (notKept.Count > 0)
        {
            ticket.AddMessage(new NewMessage(MessageDirection.Outbound, Channel.Email,
                $"Not kept, over the size limit of {Megabytes(Options.MaxAttachmentBytes)} a file ({Megabytes(Options.MaxAttachmentBytesPerMessage)} a message): {list}. The sender was told.", Internal: true),
                Actor.System, now, now, out _);
        }

        db.MailIds.Add(new MailThreadId(key, ticket.Id, message.Id, now));
        mail.TicketId = ticket.Id;
        mail.Reference = ticket.Reference;
        mail.MessageId = message.Id;
        var notes = new List<string>();
        if (automatic is not null) notes.Add($"Written by a machine ({automatic}): no acknowledgement.");
        if (storm) notes.Add("One of many new messages from this sender in a short time: added to their latest ticket.");
        if (followUpOf is not null) notes.Add("A reply to a closed ticket: opened a follow-up.");
        Finish(mail, InboundState.Processed, notes.Count == 0 ? null : string.Join(" ", notes));
        return notKept.Count > 0 ? new Decision((ticket, customer, list)) : Decision.Done;
    }

    private static Decision Finish(InboundMail mail, InboundState state, string? note)
    {
        mail.State = state;
        mail.Note = Truncate(note, 2000);
        return Decision.Done;
    }

    /// <summary>
    /// The ticket a reply belongs to: any id in In-Reply-To and References of a message we sent (its id names it) or
    /// received; else the [#REFERENCE] in the subject, when the sender is the ticket's customer or a follower.
    /// </summary>
    private static async Task<Ticket?> ThreadAsync(LoopdeskDb db, ParsedMail parsed, Guid customerId, GroupLookups? shared, CancellationToken ct)
    {
        if (parsed.ThreadIds.Count > 0)
        {
            var ids = parsed.ThreadIds.Take(100).ToList();
            var ourMessages = ids.Select(OurMessageId).OfType<Guid>().ToList();
            Guid? ticketId = null;
            if (shared is not null)
            {
                // as the queries below: the newest of our messages named, else the newest of the ids seen
                ticketId = ourMessages.Select(id => shared.Sent.GetValueOrDefault(id)).OfType<SentMessage>().MaxBy(m => m.RecordedAt)?.TicketId
                    ?? ids.Select(id => shared.Seen.GetValueOrDefault(id)).OfType<MailThreadId>().MaxBy(m => m.CreatedAt)?.TicketId;
                if (ticketId is { } inGroup) return await db.Tickets.FindAsync([inGroup], ct);
            }
            else
            {
                if (ourMessages.Count > 0) ticketId = await TicketOfMessages.For(db)(db, ourMessages, ct);
                ticketId ??= await TicketOfMailIds.For(db)(db, ids, ct);
                if (ticketId is { } found) return await TicketById.For(db)(db, found, ct);
            }
        }
        if (MailText.ReferenceIn(parsed.Subject) is { } reference
            && await TicketByReference.For(db)(db, reference, ct) is { } byReference
            && (byReference.CustomerId == customerId || byReference.Followers.Contains(customerId)))
        {
            return byReference;
        }
        return null;
    }

    /// <summary>Whether a message this one answers came in during the last minutes and is still waiting to be read.</summary>
    private static async Task<bool> ParentPendingAsync(LoopdeskDb db, InboundMail mail, ParsedMail parsed, DateTimeOffset now, CancellationToken ct)
    {
        if (parsed.ThreadIds.Count == 0) return false;
        var ids = parsed.ThreadIds.Take(100).ToList();
        var since = now.AddMinutes(-10);
        return await ParentWaiting.For(db)(db, ids, mail.Id, since, ct);
    }

    /// <summary>The latest open ticket of a sender who opened many in a short time, so a storm becomes one ticket.</summary>
    private async Task<Ticket?> StormTicketAsync(LoopdeskDb db, Guid customerId, DateTimeOffset now, CancellationToken ct)
    {
        if (Options.StormThreshold <= 0) return null;
        var since = now.AddSeconds(-Options.StormWindowSeconds);
        if (await RecentEmailTickets.For(db)(db, customerId, since, ct) < Options.StormThreshold) return null;
        return await LatestOpenEmailTicket.For(db)(db, customerId, since, ct);
    }

    // the look-ups every inbound message makes, compiled once (see CompiledQuery)
    private static readonly CompiledQuery<Func<LoopdeskDb, string, CancellationToken, Task<MailThreadId?>>> MailIdByKey = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, string key, CancellationToken ct) => db.MailIds.AsNoTracking().FirstOrDefault(m => m.Key == key)));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<SentMessage>>> SentByIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids) => db.Messages.Where(m => ids.Contains(m.Id)).Select(m => new SentMessage(m.Id, m.TicketId, m.RecordedAt))));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<Ticket>>> TicketsByIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids) => db.Tickets.Where(t => ids.Contains(t.Id))));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<string>, IAsyncEnumerable<MailThreadId>>> MailIdsByKeys = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<string> keys) => db.MailIds.AsNoTracking().Where(m => keys.Contains(m.Key))));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, CancellationToken, Task<Guid?>>> TicketOfMessages = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids, CancellationToken ct) => db.Messages.Where(m => ids.Contains(m.Id)).OrderByDescending(m => m.RecordedAt).Select(m => (Guid?)m.TicketId).FirstOrDefault()));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<string>, CancellationToken, Task<Guid?>>> TicketOfMailIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<string> keys, CancellationToken ct) => db.MailIds.Where(m => keys.Contains(m.Key)).OrderByDescending(m => m.CreatedAt).Select(m => (Guid?)m.TicketId).FirstOrDefault()));

    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, CancellationToken, Task<Ticket?>>> TicketById = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid id, CancellationToken ct) => db.Tickets.FirstOrDefault(t => t.Id == id)));

    private static readonly CompiledQuery<Func<LoopdeskDb, string, CancellationToken, Task<Ticket?>>> TicketByReference = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, string reference, CancellationToken ct) => db.Tickets.FirstOrDefault(t => t.Reference == reference)));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<string>, Guid, DateTimeOffset, CancellationToken, Task<bool>>> ParentWaiting = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<string> keys, Guid self, DateTimeOffset since, CancellationToken ct) => db.InboundMails.Any(m =>
            m.MailKey != null && keys.Contains(m.MailKey) && m.State == InboundState.Pending && m.Id != self && m.ReceivedAt >= since)));

    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, DateTimeOffset, CancellationToken, Task<int>>> RecentEmailTickets = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid customerId, DateTimeOffset since, CancellationToken ct) => db.Tickets.Count(t => t.CustomerId == customerId && t.Channel == Channel.Email && t.CreatedAt >= since)));

    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, DateTimeOffset, CancellationToken, Task<Ticket?>>> LatestOpenEmailTicket = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid customerId, DateTimeOffset since, CancellationToken ct) => db.Tickets
            .Where(t => t.CustomerId == customerId && t.Channel == Channel.Email && t.CreatedAt >= since && t.Status != TicketStatus.Closed)
            .OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id).FirstOrDefault()));

    private static async Task<Decision> BounceAsync(LoopdeskDb db, InboundMail mail, MailBounce bounce, string key, DateTimeOffset now, CancellationToken ct)
    {
        var messageId = OurMessageId(bounce.OriginalMessageId);
        var message = messageId is { } mid ? await db.Messages.FirstOrDefaultAsync(m => m.Id == mid, ct) : null;
        if (message is null) return Finish(mail, InboundState.Ignored, "A delivery report about a message we did not send.");
        var ticket = await db.Tickets.FirstAsync(t => t.Id == message.TicketId, ct);
        var final = bounce.Action is "failed";
        var detail = string.Join(" ", new[] { bounce.Status, bounce.Diagnostic, bounce.Recipient is null ? null : $"({bounce.Recipient})" }.Where(s => !string.IsNullOrWhiteSpace(s)));
        message.RecordDelivery(final ? DeliveryState.Bounced : DeliveryState.Delayed, detail.Length == 0 ? bounce.Action : detail, now);
        if (final) ticket.Remark(TicketEventTypes.MessageBounced, new { messageId = message.Id, status = bounce.Status, diagnostic = bounce.Diagnostic, recipient = bounce.Recipient }, Actor.System, now);
        db.MailIds.Add(new MailThreadId(key, ticket.Id, null, now));
        mail.TicketId = ticket.Id;
        mail.Reference = ticket.Reference;
        mail.MessageId = message.Id;
        return Finish(mail, InboundState.Processed, final ? $"Bounce: {detail}" : $"Delivery delayed: {detail}");
    }

    private async Task<(List<Attachment> Kept, List<MailFile> NotKept)> StoreFilesAsync(ParsedMail parsed, CancellationToken ct)
    {
        var kept = new List<Attachment>();
        var notKept = new List<MailFile>();
        long total = 0;
        foreach (var file in parsed.Attachments.Take(100))
        {
            if (file.Content is null || total + file.Size > Options.MaxAttachmentBytesPerMessage)
            {
                notKept.Add(file);
                kept.Add(new Attachment(file.Name, file.ContentType, file.Size, null, file.Inline));
                continue;
            }
            total += file.Size;
            kept.Add(new Attachment(file.Name, file.ContentType, file.Size, await files.PutAsync(file.Content, ct), file.Inline));
        }
        return (kept, notKept);
    }

    /// <summary>Points the HTML's cid: images at the stored files, before the HTML is sanitized.</summary>
    private static string InlineImages(string source, IReadOnlyList<MailFile> parsed, List<Attachment> stored, string reference)
    {
        for (var i = 0; i < parsed.Count && i < stored.Count; i++)
        {
            if (parsed[i].ContentId is not { } cid || stored[i].StorageKey is not { } storageKey) continue;
            source = source.Replace($"cid:{cid}", $"/api/v1/tickets/{reference}/files/{storageKey}", StringComparison.OrdinalIgnoreCase);
        }
        return source;
    }

    private async Task NoticeNotKeptAsync(LoopdeskDb db, Ticket ticket, Customer customer, string list, DateTimeOffset now, CancellationToken ct)
    {
        var source = await templates.SourceAsync(db, "email.attachment-not-kept", TemplateStore.Language(customer), ct);
        var text = await templates.RenderTextAsync(db, source, ticket, customer, now, new Dictionary<string, object?>
        {
            ["files"] = list,
            ["limit"] = Megabytes(Options.MaxAttachmentBytes),
        }, ct);
        outbound.SendToCustomer(db, ticket, text, Channel.Email, Actor.System, now);
        await db.SaveChangesAsync(ct);
    }

    private static string Megabytes(long bytes) => $"{bytes / 1024d / 1024d:0.#} MB";

    private bool Blocked(string from, Mailbox? mailbox)
    {
        var domain = from[(from.IndexOf('@', StringComparison.Ordinal) + 1)..];
        return Options.BlockedSenders.Concat(mailbox?.BlockedSenders ?? []).Any(b =>
        {
            var rule = b.Trim().ToLowerInvariant();
            return rule == from || (rule.StartsWith('@') && rule[1..] == domain);
        });
    }

    private static async Task<bool> SameContentAsync(LoopdeskDb db, MailThreadId seen, ParsedMail parsed, CancellationToken ct)
    {
        if (seen.MessageId is not { } id) return true;
        var text = await db.Messages.Where(m => m.Id == id).Select(m => m.Text).FirstOrDefaultAsync(ct);
        return text is null || text == (parsed.Text.Length == 0 ? "(empty message)" : parsed.Text) || text == Truncate(parsed.Text, 100_000);
    }

    /// <summary>What a message is known by: its Message-ID, else a hash of its content.</summary>
    private static string KeyOf(ParsedMail parsed) => parsed.MessageId is { } id ? Truncate(id, 998)! : $"sha256:{ContentHash(parsed)}@hash.loopdesk";

    private static string ContentHash(ParsedMail parsed)
        => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{parsed.From}\n{parsed.Date:O}\n{parsed.Subject}\n{parsed.FullText}")))[..40];

    /// <summary>The message id of a Message-ID we made for an outbound message: <c>m.{32 hex}@domain</c>.</summary>
    public static Guid? OurMessageId(string? id)
    {
        if (id is null) return null;
        var m = OurId().Match(id);
        return m.Success && Guid.TryParseExact(m.Groups[1].Value, "N", out var g) ? g : null;
    }

    public static string MessageIdFor(Guid messageId, string domain) => $"m.{messageId:N}@{domain}";

    [GeneratedRegex(@"^m\.([0-9a-fA-F]{32})@", RegexOptions.CultureInvariant)]
    private static partial Regex OurId();

    private static string? Truncate(string? s, int max) => s is null ? null : s.Length <= max ? s : s[..max];
}

public sealed record MailJob(Guid InboundId);

/// <summary>
/// Every minute, processes messages stored more than two minutes ago and still not read: those whose process died
/// between storing and reading them (the webhook and the command line read at once and schedule no job of their own).
/// </summary>
public sealed class MailSweepHandler(MailIngest ingest, ILogger<MailSweepHandler> log) : IJobHandler
{
    public const string JobKind = "mail.sweep";
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    public string Kind => JobKind;

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var before = context.Now - Grace;
        var waiting = await context.Db.InboundMails.Where(m => m.State == InboundState.Pending && m.ReceivedAt < before)
            .OrderBy(m => m.ReceivedAt).Select(m => m.Id).Take(500).ToListAsync(ct);
        foreach (var id in waiting)
        {
            try
            {
                await ingest.ProcessAsync(id, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Inbound message {InboundId} could not be processed by the sweep; the next sweep tries again", id);
            }
        }
        Next(context.Db, context.Now);
    }

    /// <summary>Adds the next sweep; one is pending at a time (the running one is deleted as this one is added).</summary>
    public static void Next(LoopdeskDb db, DateTimeOffset now) => db.Jobs.Add(new Job(JobKind, "{}", now + Interval, now));

    /// <summary>At start: a sweep is pending, unless one is already.</summary>
    public static async Task EnsureAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct)
    {
        if (await db.Jobs.AnyAsync(j => j.Kind == JobKind && j.State == JobState.Pending, ct)) return;
        Next(db, now);
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>A message waits for the one it answers, stored just before it and not read yet; its job is tried again shortly.</summary>
public sealed class MailDeferredException() : Exception("Waiting for the message this one answers to be read first.");

/// <summary>Processes stored inbound mail (<see cref="MailIngest.ProcessKind"/>): a failure is retried; a message that cannot be read is marked failed, not retried.</summary>
public sealed class MailProcessHandler(MailIngest ingest) : IJobHandler
{
    public string Kind => MailIngest.ProcessKind;

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var job = Wire.Read<MailJob>(context.Job.Payload);
        var exists = await context.Db.InboundMails.AnyAsync(m => m.Id == job.InboundId, ct);
        if (!exists) return;
        // in scopes of its own, so a concurrent writer (two messages of one new sender) means an immediate retry, not a
        // retry of the job seconds later while a reply to this message finds no thread
        await ingest.ProcessAsync(job.InboundId, ct);
    }
}
