using System.Diagnostics;
using Loopdesk.Core.Rules;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>
/// The rules in force, read from the database and kept for a second: an edit takes effect for the next event in this
/// process at once (the API drops the copy) and in other processes within a second, without a restart.
/// </summary>
public sealed class RuleBook(IEnumerable<IBuiltinRule> builtins)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, IBuiltinRule> _builtins = builtins.ToDictionary(b => b.Key, StringComparer.Ordinal);
    private volatile Snapshot? _snapshot;

    public IReadOnlyDictionary<string, IBuiltinRule> Builtins => _builtins;

    /// <summary>The enabled rules, by the event type that starts them, in running order.</summary>
    public sealed record Snapshot(IReadOnlyDictionary<string, IReadOnlyList<Rule>> ByEvent, IReadOnlyDictionary<Guid, Rule> All, long LoadedAt,
        bool NeedsCustomer, bool NeedsContacts, bool NeedsOpenTickets);

    public void Invalidate() => _snapshot = null;

    public async Task<Snapshot> GetAsync(LoopdeskDb db, CancellationToken ct)
    {
        var current = _snapshot;
        if (current is not null && Stopwatch.GetElapsedTime(current.LoadedAt) < MaxAge) return current;
        var rules = await db.Rules.AsNoTracking().ToListAsync(ct);
        var enabled = rules
            .Where(r => r.Enabled && (r.Key is null || _builtins.ContainsKey(r.Key)))
            .OrderBy(r => r.Position).ThenBy(r => r.CreatedAt).ThenBy(r => r.Id)
            .ToList();
        var byEvent = new Dictionary<string, IReadOnlyList<Rule>>(StringComparer.Ordinal);
        foreach (var rule in enabled)
        {
            var events = rule.Key is { } key ? _builtins[key].Events : rule.Events;
            foreach (var e in events)
            {
                if (!byEvent.TryGetValue(e, out var list)) byEvent[e] = list = new List<Rule>();
                ((List<Rule>)list).Add(rule);
            }
        }
        var fields = enabled.Where(r => r.Key is null).SelectMany(r => r.Conditions).Select(c => c.Field).ToHashSet(StringComparer.Ordinal);
        var snapshot = new Snapshot(byEvent, rules.ToDictionary(r => r.Id), Stopwatch.GetTimestamp(),
            fields.Any(f => f.StartsWith("customer.", StringComparison.Ordinal)), fields.Contains("ticket.contacts"), fields.Contains("customer.open_tickets"));
        _snapshot = snapshot;
        return snapshot;
    }

    /// <summary>Makes sure every built-in rule has its row, with its defaults, enabled. Run after migrations.</summary>
    public async Task<int> EnsureBuiltinsAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct)
    {
        var existing = await db.Rules.Where(r => r.Key != null).Select(r => r.Key!).ToListAsync(ct);
        var added = 0;
        foreach (var builtin in _builtins.Values.Where(b => !existing.Contains(b.Key)))
        {
            var rule = Rule.Create(builtin.Name, now, builtin.Key);
            rule.Update(new RuleChange
            {
                Description = builtin.Description,
                Position = builtin.Position,
                Events = builtin.Events,
                Settings = builtin.Settings.ToDictionary(s => s.Key, s => s.Value.DefaultJson),
            }, now);
            db.Rules.Add(rule);
            added++;
        }
        if (added > 0) await db.SaveChangesAsync(ct);
        Invalidate();
        return added;
    }
}
