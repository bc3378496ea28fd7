using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules.Builtins;

/// <summary>The parts every built-in rule shares.</summary>
public abstract class BuiltinRule : IBuiltinRule
{
    public abstract string Key { get; }
    public abstract string Name { get; }
    public abstract string Description { get; }
    public abstract int Position { get; }
    public abstract IReadOnlyList<string> Events { get; }
    public abstract IReadOnlyDictionary<string, SettingSpec> Settings { get; }

    public abstract Task OnEventAsync(RuleContext c, CancellationToken ct);

    public virtual Task OnTimerAsync(RuleContext c, string timer, JsonElement data, CancellationToken ct) => Task.CompletedTask;

    /// <summary>A setting as the rule row holds it, else its default.</summary>
    protected double Number(RuleContext c, string name) => c.Rule.Number(name, Convert.ToDouble(Settings[name].Default, System.Globalization.CultureInfo.InvariantCulture));

    protected TimeSpan Seconds(RuleContext c, string name) => TimeSpan.FromSeconds(Number(c, name));

    protected string? Text(RuleContext c, string name) => c.Rule.Text(name) ?? Settings[name].Default as string;

    protected bool Flag(RuleContext c, string name) => c.Rule.Flag(name, Settings[name].Default is true);

    protected static bool Unresolved(Ticket t) => TicketLifecycle.IsUnresolved(t.Status);
}

/// <summary>
/// Every inbound contact gets an acknowledgement naming the customer, giving the reference and saying honestly when
/// they will hear back, unless an agent answered first or we wrote to them a moment ago.
/// </summary>
public sealed class CloseTheLoop : BuiltinRule
{
    public override string Key => "close-the-loop";
    public override string Name => "Close the loop";
    public override string Description => "Acknowledge every contact with the customer's name, the reference and an honest time to expect an answer.";
    public override int Position => 10;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.ContactRecorded];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["delaySeconds"] = new(SettingKind.Seconds, 0, "Wait this long before acknowledging, so an agent who answers at once makes the acknowledgement unnecessary.", 0, 86_400),
        ["quietSeconds"] = new(SettingKind.Seconds, 3600, "No acknowledgement when we wrote to the customer on this ticket this recently.", 0, 604_800),
        ["expectReplyWithinSeconds"] = new(SettingKind.Seconds, 14_400, "The expectation to state when the ticket has no service level to take it from.", 60, 2_592_000),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        // a call or visit an agent logs is a conversation already happening; the customer's own contacts are acknowledged
        if (c.Trigger!.ActorKind != ActorKind.Customer) return;
        var delay = Seconds(c, "delaySeconds");
        if (delay > TimeSpan.Zero)
        {
            await c.ScheduleAsync("acknowledge", c.Now + delay, new { since = c.Trigger.OccurredAt, channel = c.TriggerChannel.HasValue ? Wire.Name(c.TriggerChannel.Value) : null }, ct);
            return;
        }
        await AcknowledgeAsync(c, c.TriggerChannel, c.Trigger.OccurredAt, ct);
    }

    public override Task OnTimerAsync(RuleContext c, string timer, JsonElement data, CancellationToken ct)
    {
        var since = data.TryGetProperty("since", out var s) ? s.GetDateTimeOffset() : c.Now;
        Channel? channel = data.TryGetProperty("channel", out var ch) && ch.GetString() is { } name ? Enum.GetValues<Channel>().FirstOrDefault(v => Wire.Name(v) == name) : null;
        return AcknowledgeAsync(c, channel, since, ct);
    }

    private async Task AcknowledgeAsync(RuleContext c, Channel? channel, DateTimeOffset contactAt, CancellationToken ct)
    {
        var t = c.Ticket;
        if (t.Status == TicketStatus.Closed) return;
        var quietSince = c.Now - Seconds(c, "quietSeconds");
        var since = contactAt < quietSince ? contactAt : quietSince;
        // answered (by an agent after the contact) or spoken to recently (by anyone of ours): nothing to acknowledge
        var local = t.Messages.Any(m => m.Direction == MessageDirection.Outbound && !m.Internal && m.OccurredAt >= since);
        if (local || (!c.IsNew && await c.Db.Messages.AnyAsync(m => m.TicketId == t.Id && m.Direction == MessageDirection.Outbound && !m.Internal && m.OccurredAt >= since, ct))) return;
        var expectations = c.Services.Expectations;
        var due = expectations is null ? null : (await expectations.DueTimesAsync(c.Db, t, c.Now, ct))?.FirstReply;
        due ??= c.Now + Seconds(c, "expectReplyWithinSeconds");
        await c.SendAsync("close-the-loop.acknowledgement", new Dictionary<string, object?>
        {
            ["expect"] = new Dictionary<string, object?> { ["reply_by"] = due },
        }, channel, ct);
    }
}
