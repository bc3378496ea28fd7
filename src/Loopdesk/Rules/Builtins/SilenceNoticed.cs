using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// A ticket that has gone quiet while the customer waits on us (a stuck order) gets a personal follow-up: a greeting by
/// name, who we are, why we write, an apology, an offer, thanks and a signature. So does a chat nobody answered or the
/// visitor left in the queue, when they gave an email: sent at once, or drafted for an agent (the chat site's setting).
/// </summary>
public sealed class SilenceNoticed : BuiltinRule
{
    public const string IdleTimer = "idle";

    public override string Key => "silence-noticed";
    public override string Name => "Silence is noticed";
    public override string Description => "When a ticket the customer waits on has been idle past the threshold, write to them personally.";
    public override int Position => 70;
    public override IReadOnlyList<string> Events { get; } =
    [
        TicketEventTypes.Created, TicketEventTypes.MessageAdded, TicketEventTypes.ContactRecorded, TicketEventTypes.StatusChanged,
        Chat.ChatService.MissedEvent, Chat.ChatService.AbandonedEvent,
    ];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["idleSeconds"] = new(SettingKind.Seconds, 259_200, "How long a ticket may be quiet before we write.", 60, 31_536_000),
        ["statuses"] = new(SettingKind.Text, "new,open,on-hold", "The statuses in which the customer is waiting on us (comma separated).", 0, 0),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        if (c.Trigger?.Type is Chat.ChatService.MissedEvent or Chat.ChatService.AbandonedEvent)
        {
            await FollowUpChatAsync(c, ct);
            return;
        }
        if (Waiting(c)) await c.ScheduleAsync(IdleTimer, c.Now + Seconds(c, "idleSeconds"), null, ct);
        else await c.CancelAsync(IdleTimer, ct);
        c.Done.Clear(); // watching is not acting: only the follow-up goes into the log
    }

    public override async Task OnTimerAsync(RuleContext c, string timer, JsonElement data, CancellationToken ct)
    {
        if (timer != IdleTimer || !Waiting(c)) return;
        var idle = Seconds(c, "idleSeconds");
        if (c.Now - c.Ticket.UpdatedAt < idle) return;
        if (await c.SendAsync("silence-noticed.follow-up", null, null, ct) is not null) c.Done.Add($"followed up after {RepeatContact.Humanize(idle)} of silence");
    }

    private static async Task FollowUpChatAsync(RuleContext c, CancellationToken ct)
    {
        var customer = await c.CustomerAsync(ct);
        if (customer.PrimaryEmail is null)
        {
            c.Done.Add("the chat left no email to follow up");
            return;
        }
        var data = c.TriggerData;
        if (data.TryGetProperty("autoSend", out var auto) && auto.ValueKind == JsonValueKind.True)
        {
            if (await c.SendAsync("silence-noticed.chat", null, Channel.Email, ct) is not null) c.Done.Add("followed up the unanswered chat by email");
            return;
        }
        // drafted for a person: the team's lead takes it, or it waits in the unassigned inbox
        if (c.Ticket.AssigneeId is null && c.Ticket.TeamId is { } teamId
            && await c.Db.Teams.Where(t => t.Id == teamId).Select(t => t.LeadId).FirstOrDefaultAsync(ct) is { } lead)
            c.Ticket.Apply(new TicketChange { AssigneeId = new Optional<Guid?>(true, lead) }, c.Actor, c.Now);
        await c.NoteAsync("silence-noticed.chat-draft", null, ct);
    }

    private bool Waiting(RuleContext c)
    {
        var statuses = (Text(c, "statuses") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return statuses.Contains(Wire.Name(c.Ticket.Status));
    }
}
