using Loopdesk.Core.Common;
using Loopdesk.Core.Sentiment;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// Reads how each customer message sounds (VADER), keeps it with the message for the profile's sentiment trend, and
/// when a customer sounds angry raises the priority and tags the ticket so it is seen sooner.
/// </summary>
public sealed class KnowTheCustomer : BuiltinRule
{
    public const string AngryTag = "sounds-angry";

    public override string Key => "know-the-customer";
    public override string Name => "Know the customer";
    public override string Description => "Score the sentiment of every customer message for the profile; raise the priority when the customer sounds angry.";
    public override int Position => 100;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.MessageAdded];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["angryThreshold"] = new(SettingKind.Number, -0.6, "A message at or below this compound score (-1 to 1) sounds angry.", -1, 1),
        ["raisePriorityTo"] = new(SettingKind.Text, "high", "The priority an angry message raises the ticket to (never lowers it).", 0, 0),
        ["profileWindowSeconds"] = new(SettingKind.Seconds, 604_800, "The window of the profile's recent contacts per channel.", 3600, 31_536_000),
    };

    public override Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        var id = c.TriggerData.GetProperty("messageId").GetGuid();
        var message = c.Ticket.Messages.FirstOrDefault(m => m.Id == id);
        if (message is null || message.Direction != MessageDirection.Inbound || message.Internal || string.IsNullOrWhiteSpace(message.Text)) return Task.CompletedTask;
        var scores = SentimentAnalyzer.Default.Score(message.Text.Length > 20_000 ? message.Text[..20_000] : message.Text);
        message.ScoreSentiment(scores.Compound);
        if (!SentimentAnalyzer.SoundsAngry(scores, Number(c, "angryThreshold"))) return Task.CompletedTask;

        var to = Enum.GetValues<TicketPriority>().FirstOrDefault(p => Wire.Name(p) == Text(c, "raisePriorityTo"), TicketPriority.High);
        var change = new TicketChange
        {
            Priority = to > c.Ticket.Priority ? to : null,
            Tags = c.Ticket.Tags.Contains(AngryTag) ? null : [.. c.Ticket.Tags, AngryTag],
        };
        if (!change.IsEmpty && c.Ticket.Apply(change, c.Actor, c.Now).IsOk)
            c.Done.Add($"sounds angry ({scores.Compound:0.00}): priority {Wire.Name(c.Ticket.Priority)}");
        return Task.CompletedTask;
    }
}
