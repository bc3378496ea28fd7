using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// After three rounds of writing back and forth without a resolution, the agent is prompted to offer a phone call;
/// the customer may ask for a callback (a commitment with an owner and a due time).
/// </summary>
public sealed class RuleOfThree : BuiltinRule
{
    private static readonly Channel[] TextChannels = [Channel.Email, Channel.Chat, Channel.Social, Channel.Portal, Channel.Api, Channel.Review];

    public override string Key => "rule-of-three";
    public override string Name => "Rule of three";
    public override string Description => "After three text exchanges without a resolution, prompt the agent to offer a phone call.";
    public override int Position => 40;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.MessageAdded];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["exchanges"] = new(SettingKind.Count, 3, "Text exchanges (a customer message answered by us) before the prompt.", 1, 100),
        ["callbackWithinSeconds"] = new(SettingKind.Seconds, 14_400, "When a requested callback is due.", 60, 604_800),
    };

    private static readonly Data.CompiledQuery<Func<Data.LoopdeskDb, Guid, IAsyncEnumerable<Turn>>> SavedTurns = new(() => EF.CompileAsyncQuery(
        (Data.LoopdeskDb db, Guid ticketId) => db.Messages.AsNoTracking().Where(m => m.TicketId == ticketId && !m.Internal)
            .Select(m => new Turn(m.Id, m.Direction, m.Channel, m.AuthorKind, m.OccurredAt))));

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        var t = c.Ticket;
        if (!Unresolved(t)) return;
        // a ticket opened in this save has no messages stored yet: nothing to read
        var saved = c.IsNew ? [] : await SavedTurns.For(c.Db)(c.Db, t.Id).ToListAsync(ct);
        var savedIds = saved.Select(m => m.Id).ToHashSet();
        var all = saved.Concat(t.Messages.Where(m => !m.Internal && !savedIds.Contains(m.Id))
                .Select(m => new Turn(m.Id, m.Direction, m.Channel, m.AuthorKind, m.OccurredAt)))
            .Where(m => TextChannels.Contains(m.Channel))
            .OrderBy(m => m.OccurredAt).ThenBy(m => m.Id).ToList();
        // an exchange: the customer wrote and a person of ours answered
        var exchanges = 0;
        var waiting = false;
        foreach (var m in all)
        {
            if (m.Direction == MessageDirection.Inbound) waiting = true;
            else if (waiting && m.AuthorKind == ActorKind.Agent)
            {
                exchanges++;
                waiting = false;
            }
        }
        if (exchanges < Number(c, "exchanges") || await c.HasRunAsync("offer a call", ct)) return;
        t.Remark(TicketEventTypes.RuleNoted, new { rule = Key, suggestion = "offer-call", exchanges }, c.Actor, c.Now);
        c.Done.Add($"prompted to offer a call after {exchanges} exchanges");
        await c.NoteAsync("rule-of-three.prompt", new Dictionary<string, object?> { ["exchanges"] = exchanges }, ct);
    }

    private sealed record Turn(Guid Id, MessageDirection Direction, Channel Channel, ActorKind AuthorKind, DateTimeOffset OccurredAt);
}
