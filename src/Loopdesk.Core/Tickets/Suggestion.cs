using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>Where a customer's idea stands. Done and declined are outcomes: the customer is told.</summary>
public enum SuggestionStatus { Received, UnderReview, Planned, Done, Declined }

/// <summary>An idea a customer gave us, kept with its status and, in the end, its outcome, which the customer hears.</summary>
public sealed class Suggestion
{
    public const int TextMaxLength = 5000;
    public const int OutcomeMaxLength = 2000;

    private Suggestion() { }

    public Suggestion(Guid customerId, Guid? ticketId, string text, Actor recordedBy, DateTimeOffset now)
    {
        Id = Ids.New(now);
        CustomerId = customerId;
        TicketId = ticketId;
        Text = text.Trim();
        Status = SuggestionStatus.Received;
        RecordedById = recordedBy.Id;
        CreatedAt = now;
        UpdatedAt = now;
        Version = 1;
    }

    public Guid Id { get; private set; }
    public Guid CustomerId { get; private set; }
    /// <summary>The ticket it came in on; the outcome is told there.</summary>
    public Guid? TicketId { get; private set; }
    public string Text { get; private set; } = "";
    public SuggestionStatus Status { get; private set; }
    public string? Outcome { get; private set; }
    public Guid? RecordedById { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    /// <summary>When the customer was told the outcome.</summary>
    public DateTimeOffset? ToldAt { get; private set; }
    public int Version { get; private set; }

    public bool HasOutcome => Status is SuggestionStatus.Done or SuggestionStatus.Declined;

    /// <summary>Moves the suggestion on. An outcome (done, declined) needs words for the customer.</summary>
    public Verdict Move(SuggestionStatus status, string? outcome, DateTimeOffset now)
    {
        var text = outcome?.Trim();
        if (status is SuggestionStatus.Done or SuggestionStatus.Declined && string.IsNullOrEmpty(text ?? Outcome))
            return Verdict.Deny("suggestion.outcome_required", "Say what became of the idea; the customer is told.", "outcome");
        if (text is { Length: > OutcomeMaxLength }) return Verdict.Deny("suggestion.outcome_too_long", $"An outcome is at most {OutcomeMaxLength} characters.", "outcome");
        if (HasOutcome && ToldAt is not null && status != Status) return Verdict.Deny("suggestion.closed", "The customer was told the outcome already.", "status");
        Status = status;
        if (!string.IsNullOrEmpty(text)) Outcome = text;
        UpdatedAt = now;
        Version++;
        return Verdict.Ok;
    }

    public void Told(DateTimeOffset now) => ToldAt = now;

}
