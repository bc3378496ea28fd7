using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// Every promise has an owner and a due time. Before it is due the owner is reminded; once it is overdue the team lead
/// is alerted and the customer is told, honestly, that we are late.
/// </summary>
public sealed class PromisesKept : BuiltinRule
{
    public override string Key => "promises-kept";
    public override string Name => "Promises are kept";
    public override string Description => "Remind the owner of a commitment before it is due; when it is overdue, alert the team lead and tell the customer.";
    public override int Position => 60;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.CommitmentMade, TicketEventTypes.CommitmentKept];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["remindBeforeSeconds"] = new(SettingKind.Seconds, 3600, "How long before the due time the owner is reminded.", 0, 2_592_000),
        ["tellCustomer"] = new(SettingKind.Flag, true, "Tell the customer when a promise is overdue."),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        var id = c.TriggerData.GetProperty("commitmentId").GetGuid();
        if (c.Trigger!.Type == TicketEventTypes.CommitmentKept)
        {
            await c.CancelAsync("remind:" + id, ct);
            await c.CancelAsync("overdue:" + id, ct);
            return;
        }
        var dueAt = c.TriggerData.GetProperty("dueAt").GetDateTimeOffset();
        var remindAt = dueAt - Seconds(c, "remindBeforeSeconds");
        if (remindAt > c.Now) await c.ScheduleAsync("remind:" + id, remindAt, new { commitmentId = id }, ct);
        await c.ScheduleAsync("overdue:" + id, dueAt, new { commitmentId = id }, ct);
    }

    public override async Task OnTimerAsync(RuleContext c, string timer, JsonElement data, CancellationToken ct)
    {
        var id = data.GetProperty("commitmentId").GetGuid();
        var commitment = await c.Db.Commitments.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (commitment is null || !commitment.IsOpen) return;
        var customer = await c.CustomerAsync(ct);
        var extra = new Dictionary<string, object?>
        {
            ["commitment"] = new Dictionary<string, object?> { ["description"] = commitment.Description, ["due_at"] = commitment.DueAt },
        };
        if (timer.StartsWith("remind:", StringComparison.Ordinal))
        {
            var owner = commitment.OwnerId ?? c.Ticket.AssigneeId;
            if (owner is null) return;
            var text = await c.Services.Templates.RenderAsync(c.Db, "promises-kept.reminder", c, customer, extra, ct);
            Outbound.Notify(c.Db, [owner.Value], c.Ticket, "commitment.reminder", text, c.Now);
            c.Done.Add($"reminded the owner of commitment {id}");
        }
        else if (timer.StartsWith("overdue:", StringComparison.Ordinal))
        {
            c.Ticket.CommitmentOverdue(commitment, c.Actor, c.Now);
            var leads = await LeadsAsync(c, ct);
            var text = await c.Services.Templates.RenderAsync(c.Db, "promises-kept.overdue-alert", c, customer, extra, ct);
            Outbound.Notify(c.Db, leads, c.Ticket, "commitment.overdue", text, c.Now);
            c.Done.Add($"commitment {id} overdue: alerted {leads.Count} lead(s)");
            if (Flag(c, "tellCustomer")) await c.SendAsync("promises-kept.overdue-customer", extra, null, ct);
        }
    }

    /// <summary>The lead of the ticket's team; without one, every active supervisor and admin.</summary>
    private static async Task<List<Guid>> LeadsAsync(RuleContext c, CancellationToken ct)
    {
        if (c.Ticket.TeamId is { } teamId && await c.Db.Teams.Where(t => t.Id == teamId).Select(t => t.LeadId).FirstOrDefaultAsync(ct) is { } lead) return [lead];
        return await c.Db.Agents.Where(a => a.Active && (a.Role == AgentRole.Supervisor || a.Role == AgentRole.Admin)).Select(a => a.Id).ToListAsync(ct);
    }
}
