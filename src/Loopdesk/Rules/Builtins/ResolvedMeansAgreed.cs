using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// Solving a ticket asks the customer whether it is resolved to their satisfaction. A "no" (or any reply) opens it
/// again; silence closes it after the waiting time; closing sends the satisfaction survey.
/// </summary>
public sealed class ResolvedMeansAgreed : BuiltinRule
{
    public const string CloseTimer = "close";

    public override string Key => "resolved-means-agreed";
    public override string Name => "Resolved means the customer agrees";
    public override string Description => "On solve, ask the customer to confirm; a no reopens, silence closes after the waiting time, then a survey follows.";
    public override int Position => 50;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.StatusChanged];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["closeAfterSeconds"] = new(SettingKind.Seconds, 604_800, "How long a solved ticket waits for the customer before it closes.", 60, 31_536_000),
        ["survey"] = new(SettingKind.Flag, true, "Send the satisfaction survey when the ticket closes."),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        var to = c.TriggerData.GetProperty("to").GetString();
        if (to == Wire.Name(TicketStatus.Solved))
        {
            await c.SendAsync("resolved-means-agreed.confirm", null, null, ct);
            await c.ScheduleAsync(CloseTimer, c.Now + Seconds(c, "closeAfterSeconds"), null, ct);
        }
        else if (c.TriggerData.GetProperty("from").GetString() == Wire.Name(TicketStatus.Solved))
        {
            await c.CancelAsync(CloseTimer, ct);
            // a ticket closed by merging lives on in the other one: no survey about it
            if (to == Wire.Name(TicketStatus.Closed) && Flag(c, "survey") && !c.TriggerData.TryGetProperty("mergedInto", out _)) await Surveys.SendAsync(c, ct);
        }
    }

    public override async Task OnTimerAsync(RuleContext c, string timer, JsonElement data, CancellationToken ct)
    {
        if (timer != CloseTimer || c.Ticket.Status != TicketStatus.Solved) return;
        var verdict = c.Ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, c.Actor, c.Now);
        if (!verdict.IsOk) return;
        c.Done.Add("closed after the customer's silence");
        // the rule does not hear its own status change, so the survey goes here
        if (Flag(c, "survey")) await Surveys.SendAsync(c, ct);
    }
}
