using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// A customer who has to contact us again and again about the same unresolved ticket goes to the senior tier, and the
/// agent sees why and a suggested opening, so the next conversation starts with an acknowledgement, not a question.
/// </summary>
public sealed class RepeatContact : BuiltinRule
{
    public override string Key => "repeat-contact";
    public override string Name => "Repeat contact";
    public override string Description => "Escalate to the senior tier when a customer contacts us several times in a short window about the same unresolved ticket.";
    public override int Position => 20;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.ContactRecorded];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["contacts"] = new(SettingKind.Count, 3, "Contacts within the window that count as repeated.", 2, 100),
        ["windowSeconds"] = new(SettingKind.Seconds, 172_800, "The window the contacts fall in.", 60, 31_536_000),
        ["tier"] = new(SettingKind.Text, "senior", "The tier the ticket moves to (tier1, tier2, senior).", 0, 0),
        ["teamId"] = new(SettingKind.Id, null, "Optionally, the team that takes escalated tickets."),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        var t = c.Ticket;
        if (!Unresolved(t)) return;
        var tier = Enum.GetValues<AgentTier>().FirstOrDefault(v => Wire.Name(v) == Text(c, "tier"), AgentTier.Senior);
        if (t.Tier >= tier) return;
        var window = Seconds(c, "windowSeconds");
        var count = await c.ContactsSinceAsync(c.Trigger!.OccurredAt - window, ct);
        if (count < Number(c, "contacts")) return;

        var customer = await c.CustomerAsync(ct);
        var reason = $"{customer.Name} contacted us {count} times in {Humanize(window)} about this unresolved ticket.";
        var opening = await c.Services.Templates.RenderAsync(c.Db, "repeat-contact.opening", c, customer, null, ct);
        t.Escalate(tier, reason, opening, c.Actor, c.Now);
        if (c.Rule.Text("teamId") is { } team && Guid.TryParse(team, out var teamId)) t.Apply(new TicketChange { TeamId = teamId }, c.Actor, c.Now);
        c.Done.Add($"escalated to {Wire.Name(tier)} after {count} contacts");
        await c.NoteAsync("repeat-contact.note", new Dictionary<string, object?>
        {
            ["repeat"] = new Dictionary<string, object?> { ["reason"] = reason, ["opening"] = opening },
        }, ct);
    }

    internal static string Humanize(TimeSpan span) => span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0} day{(span.TotalDays == 1 ? "" : "s")}"
        : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0} hour{(span.TotalHours == 1 ? "" : "s")}"
        : $"{span.TotalMinutes:0} minutes";
}
