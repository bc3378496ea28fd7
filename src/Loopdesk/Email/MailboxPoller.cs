using Loopdesk.Data;
using Loopdesk.Platform;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Email;

/// <summary>
/// Fetches mail from every active mailbox with IMAP settings, each in its own loop, so mailboxes are drained in
/// parallel. A message is stored (keyed by mailbox, UIDVALIDITY and UID, so never twice) and only after that commit
/// flagged <c>\Seen $Loopdesk</c> or moved to the processed folder. With IDLE the server tells of new mail; without,
/// the folder is checked every <see cref="EmailOptions.PollSeconds"/>. A dropped connection is opened again with
/// growing pauses, and the search picks up what was not flagged yet.
/// </summary>
public sealed class MailboxPoller(IServiceScopeFactory scopes, MailIngest ingest, MailSecrets secrets, MailboxCache cache,
    IOptions<LoopdeskOptions> options, TimeProvider clock, ILogger<MailboxPoller> log) : BackgroundService
{
    public const string DoneKeyword = "$Loopdesk";

    private readonly Dictionary<Guid, (int Version, CancellationTokenSource Stop, Task Running)> _loops = [];
    private readonly SemaphoreSlim _changed = new(0, 1);

    private EmailOptions Options => options.Value.Email;

    /// <summary>A mailbox was added, changed or removed: look again now.</summary>
    public void MailboxesChanged()
    {
        cache.Invalidate();
        if (_changed.CurrentCount == 0)
        {
            try { _changed.Release(); } catch (SemaphoreFullException) { }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Poll) return;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    Reconcile(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Reading the mailboxes failed; trying again shortly");
                }
                await _changed.WaitAsync(TimeSpan.FromSeconds(30), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        foreach (var (_, loop) in _loops) await loop.Stop.CancelAsync();
        await Task.WhenAll(_loops.Values.Select(l => l.Running));
    }

    private void Reconcile(CancellationToken stoppingToken)
    {
        cache.Invalidate();
        var wanted = cache.All.Where(m => m.Active && m.Receives).ToDictionary(m => m.Id);
        foreach (var (id, loop) in _loops.ToList())
        {
            if (wanted.TryGetValue(id, out var m) && m.Version == loop.Version && !loop.Running.IsCompleted) continue;
            loop.Stop.Cancel();
            _loops.Remove(id);
        }
        foreach (var (id, mailbox) in wanted)
        {
            if (_loops.ContainsKey(id)) continue;
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _loops[id] = (mailbox.Version, stop, Task.Run(() => RunAsync(id, stop.Token), CancellationToken.None));
        }
    }

    private async Task RunAsync(Guid mailboxId, CancellationToken ct)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await SessionAsync(mailboxId, () => pause = TimeSpan.FromSeconds(1), ct);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // a loop being replaced (its mailbox was just changed) leaves the error to the new one
                if (ct.IsCancellationRequested) return;
                log.LogWarning(e, "Mailbox {MailboxId}: {Error}; connecting again in {Pause}", mailboxId, e.Message, pause);
                await RecordAsync(mailboxId, m => m.SetProperty(x => x.LastError, e.Message.Length > 1000 ? e.Message[..1000] : e.Message), CancellationToken.None);
            }
            try
            {
                // waits of the connection itself run on the wall clock, whatever clock the rules are given
                await Task.Delay(pause, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            pause = TimeSpan.FromSeconds(Math.Min(300, pause.TotalSeconds * 2));
        }
    }

    private async Task SessionAsync(Guid mailboxId, Action connected, CancellationToken ct)
    {
        Mailbox mailbox;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            mailbox = await db.Mailboxes.AsNoTracking().FirstAsync(m => m.Id == mailboxId, ct);
        }
        using var client = new ImapClient { Timeout = 60_000 };
        await OpenAsync(client, mailbox, secrets, ct);
        var folder = await client.GetFolderAsync(mailbox.ImapFolder, ct);
        await folder.OpenAsync(FolderAccess.ReadWrite, ct);
        IMailFolder? processed = mailbox.ProcessedFolder is { } name ? await client.GetFolderAsync(name, ct) : null;
        connected();
        await RecordAsync(mailboxId, m => m.SetProperty(x => x.UidValidity, folder.UidValidity).SetProperty(x => x.LastError, (string?)null), ct);

        while (!ct.IsCancellationRequested)
        {
            while (await DrainOnceAsync(folder, processed, mailbox, ct) > 0) { }
            await RecordAsync(mailboxId, m => m.SetProperty(x => x.LastPolledAt, clock.GetUtcNow()), ct);
            var wait = TimeSpan.FromSeconds(Math.Max(1, Options.PollSeconds));
            if (client.Capabilities.HasFlag(ImapCapabilities.Idle))
            {
                using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
                done.CancelAfter(wait);
                void Arrived(object? sender, EventArgs e) => done.Cancel();
                folder.CountChanged += Arrived;
                try
                {
                    await client.IdleAsync(done.Token, ct);
                }
                finally
                {
                    folder.CountChanged -= Arrived;
                }
            }
            else
            {
                await Task.Delay(wait, ct);
                await client.NoOpAsync(ct);
            }
        }
        await client.DisconnectAsync(true, CancellationToken.None);
    }

    /// <summary>Stores one batch of unprocessed messages, then flags or moves them. Returns how many it took.</summary>
    private async Task<int> DrainOnceAsync(IMailFolder folder, IMailFolder? processed, Mailbox mailbox, CancellationToken ct)
    {
        var query = processed is null ? SearchQuery.NotKeyword(DoneKeyword).And(SearchQuery.NotDeleted) : SearchQuery.NotDeleted;
        var uids = (await folder.SearchAsync(query, ct)).Take(Math.Max(1, Options.FetchBatch)).ToList();
        if (uids.Count == 0) return 0;
        var stored = new List<UniqueId>(uids.Count);
        uint highest = 0;
        foreach (var uid in uids)
        {
            byte[] raw;
            await using (var stream = await folder.GetStreamAsync(uid, ct))
            using (var copy = new MemoryStream())
            {
                await stream.CopyToAsync(copy, ct);
                raw = copy.ToArray();
            }
            await ingest.StoreAsync(mailbox.Id, "imap", $"imap:{mailbox.Id:N}:{folder.UidValidity}:{uid.Id}", raw, processInline: false, ct);
            stored.Add(uid);
            highest = Math.Max(highest, uid.Id);
        }
        // only now, with every one of them committed, does the server learn they are ours
        if (processed is not null) await folder.MoveToAsync(stored, processed, ct);
        else await folder.StoreAsync(stored, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Keywords = { DoneKeyword }, Silent = true }, ct);
        await RecordAsync(mailbox.Id, m => m.SetProperty(x => x.LastUid, x => x.LastUid > highest ? x.LastUid : highest), ct);
        return stored.Count;
    }

    private async Task RecordAsync(Guid mailboxId, Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Mailbox>> set, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        using (await db.WriteGateAsync(ct))
        {
            await db.Mailboxes.Where(m => m.Id == mailboxId).ExecuteUpdateAsync(set, ct);
        }
    }

    /// <summary>Connects and signs in to a mailbox's IMAP server.</summary>
    public static async Task OpenAsync(ImapClient client, Mailbox mailbox, MailSecrets secrets, CancellationToken ct)
    {
        await MailConnections.ConnectAsync(client, mailbox.ImapHost!, mailbox.ImapPort, mailbox.ImapSecurity, ct);
        var secret = secrets.Unprotect(mailbox.ImapSecret) ?? throw new InvalidOperationException($"The IMAP secret of mailbox {mailbox.Name} is missing or cannot be read; enter it again.");
        await MailConnections.AuthenticateAsync(client, mailbox.ImapLogin, mailbox.ImapUsername ?? mailbox.Address, secret, ct);
    }
}
