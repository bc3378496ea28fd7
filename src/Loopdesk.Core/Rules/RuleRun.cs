using Loopdesk.Core.Common;

namespace Loopdesk.Core.Rules;

/// <summary>Applied: the rule acted. Failed: it tried and could not (the reason is in the detail).</summary>
public enum RuleOutcome { Applied, Failed }

/// <summary>One time a rule acted on a ticket: the rule's execution log.</summary>
public sealed class RuleRun
{
    public const int DetailMaxLength = 2000;

    private RuleRun() { }

    public RuleRun(Guid ruleId, Guid? ticketId, string trigger, RuleOutcome outcome, string detail, DateTimeOffset now)
    {
        Id = Ids.New(now);
        RuleId = ruleId;
        TicketId = ticketId;
        Trigger = trigger.Length > 64 ? trigger[..64] : trigger;
        Outcome = outcome;
        Detail = detail.Length > DetailMaxLength ? detail[..DetailMaxLength] : detail;
        At = now;
    }

    public Guid Id { get; private set; }
    public Guid RuleId { get; private set; }
    public Guid? TicketId { get; private set; }
    /// <summary>The event type or timer that started the run.</summary>
    public string Trigger { get; private set; } = "";
    public RuleOutcome Outcome { get; private set; }
    public string Detail { get; private set; } = "";
    public DateTimeOffset At { get; private set; }
}
