using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>A promise made to a customer ("I will call you back by 15:00"): an owner, a due time, kept or not.</summary>
public sealed class Commitment
{
    public const int DescriptionMaxLength = 1000;

    private Commitment() { }

    internal Commitment(Guid ticketId, Guid customerId, string description, DateTimeOffset dueAt, Guid? ownerId, Actor madeBy, DateTimeOffset now)
    {
        Id = Ids.New(now);
        TicketId = ticketId;
        CustomerId = customerId;
        Description = description;
        DueAt = dueAt;
        OwnerId = ownerId;
        MadeByKind = madeBy.Kind;
        MadeById = madeBy.Id;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid TicketId { get; private set; }
    public Guid CustomerId { get; private set; }
    public string Description { get; private set; } = "";
    public DateTimeOffset DueAt { get; private set; }
    public Guid? OwnerId { get; private set; }
    public ActorKind MadeByKind { get; private set; }
    public Guid? MadeById { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? KeptAt { get; private set; }
    /// <summary>When it passed its due time unkept (the lead was alerted and the customer told).</summary>
    public DateTimeOffset? OverdueAt { get; private set; }

    public bool IsOpen => KeptAt is null;

    internal void Keep(DateTimeOffset now) => KeptAt = now;

    internal void MarkOverdue(DateTimeOffset now) => OverdueAt ??= now;

}
