using System.Diagnostics;
using Loopdesk.Core.Common;
using Loopdesk.Core.Lexicon;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Lexicon;

/// <summary>One entry of the lexicon as stored: the shipped ones are seeded, and admins add, change and switch off entries.</summary>
public sealed class LexiconRow
{
    public const int IdMaxLength = 64;
    public const int PatternMaxLength = 500;
    public const int TextMaxLength = 1000;

    private LexiconRow() { }

    public LexiconRow(LexiconEntry entry, bool enabled, DateTimeOffset now)
    {
        Id = entry.Id;
        Set(entry, enabled, now);
    }

    public string Id { get; private set; } = "";
    public LexiconCategory Category { get; private set; }
    public string Pattern { get; private set; } = "";
    public bool IsRegex { get; private set; }
    public string Why { get; private set; } = "";
    public string Suggestion { get; private set; } = "";
    public bool Enabled { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public LexiconEntry ToEntry() => new(Id, Category, Pattern, IsRegex, Why, Suggestion);

    public void Set(LexiconEntry entry, bool enabled, DateTimeOffset now)
    {
        Category = entry.Category;
        Pattern = entry.Pattern;
        IsRegex = entry.IsRegex;
        Why = entry.Why;
        Suggestion = entry.Suggestion;
        Enabled = enabled;
        UpdatedAt = now;
    }
}

/// <summary>The lexicon in force, kept for a second like the rules, and the check a reply goes through before it is sent.</summary>
public sealed class LexiconService
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private volatile Cached? _cached;

    private sealed record Cached(LexiconChecker Checker, long LoadedAt);

    public void Invalidate() => _cached = null;

    public async Task<LexiconChecker> CheckerAsync(LoopdeskDb db, CancellationToken ct)
    {
        var cached = _cached;
        if (cached is not null && Stopwatch.GetElapsedTime(cached.LoadedAt) < MaxAge) return cached.Checker;
        var rows = await db.Lexicon.AsNoTracking().Where(r => r.Enabled).ToListAsync(ct);
        var checker = new LexiconChecker([.. rows.Select(r => r.ToEntry())]);
        _cached = new Cached(checker, Stopwatch.GetTimestamp());
        return checker;
    }

    /// <summary>Findings for a reply on a ticket (or none): probing questions count only before any apology in the conversation.</summary>
    public async Task<IReadOnlyList<LexiconFinding>> CheckAsync(LoopdeskDb db, string text, Ticket? ticket, CancellationToken ct)
    {
        var checker = await CheckerAsync(db, ct);
        var apologized = false;
        if (ticket is not null)
        {
            var said = await db.Messages.AsNoTracking()
                .Where(m => m.TicketId == ticket.Id && m.Direction == MessageDirection.Outbound && !m.Internal)
                .Select(m => m.Text).ToListAsync(ct);
            apologized = said.Any(LexiconChecker.ContainsApology);
        }
        return checker.Check(text, apologized);
    }

    /// <summary>Seeds the shipped entries that are not in the table yet (an entry an admin deleted stays deleted only if switched off).</summary>
    public async Task<int> EnsureDefaultsAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct)
    {
        var existing = await db.Lexicon.Select(r => r.Id).ToListAsync(ct);
        var added = 0;
        foreach (var entry in LexiconEntries.Defaults.Where(e => !existing.Contains(e.Id)))
        {
            db.Lexicon.Add(new LexiconRow(entry, true, now));
            added++;
        }
        if (added > 0) await db.SaveChangesAsync(ct);
        Invalidate();
        return added;
    }
}
