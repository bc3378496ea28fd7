using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// The customer hears of what changes for them: a ticket put on hold (we wait on someone else), taken up again, or a
/// new expected date, on the channel they used.
/// </summary>
public sealed class KeepInformed : BuiltinRule
{
    public override string Key => "keep-informed";
    public override string Name => "Keep them informed";
    public override string Description => "Tell the customer when their ticket goes on hold, is taken up again, or gets a new expected date.";
    public override int Position => 90;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.StatusChanged, TicketEventTypes.DueChanged];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["statuses"] = new(SettingKind.Text, "on-hold", "Statuses the customer is told about when the ticket moves into them (comma separated).", 0, 0),
        ["dueChanges"] = new(SettingKind.Flag, true, "Tell the customer when the expected date changes."),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        // the customer knows what they did themselves
        if (c.Trigger!.ActorKind == ActorKind.Customer || c.Ticket.Status == TicketStatus.Closed) return;
        if (c.Trigger.Type == TicketEventTypes.StatusChanged)
        {
            var to = c.TriggerData.GetProperty("to").GetString() ?? "";
            var from = c.TriggerData.GetProperty("from").GetString() ?? "";
            var statuses = (Text(c, "statuses") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (statuses.Contains(to)) await c.SendAsync($"keep-informed.{to}", null, null, ct);
            else if (from == Wire.Name(TicketStatus.OnHold) && to == Wire.Name(TicketStatus.Open) && statuses.Contains(from))
                await c.SendAsync("keep-informed.resumed", null, null, ct);
        }
        else if (Flag(c, "dueChanges") && c.Ticket.DueAt is { } due && due > c.Now)
        {
            await c.SendAsync("keep-informed.new-eta", null, null, ct);
        }
    }
}
