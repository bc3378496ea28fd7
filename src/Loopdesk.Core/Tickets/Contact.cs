using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>One time a customer reached out: an email thread start, a chat, a call, a form post, a visit.</summary>
public sealed class Contact
{
    private Contact() { }

    public Contact(Guid customerId, Guid? ticketId, Channel channel, string? summary, Actor recordedBy, DateTimeOffset occurredAt, DateTimeOffset recordedAt)
    {
        Id = Ids.New(recordedAt);
        CustomerId = customerId;
        TicketId = ticketId;
        Channel = channel;
        Summary = summary;
        RecordedByKind = recordedBy.Kind;
        RecordedById = recordedBy.Id;
        OccurredAt = occurredAt;
        RecordedAt = recordedAt;
    }

    public Guid Id { get; private set; }
    public Guid CustomerId { get; private set; }
    public Guid? TicketId { get; private set; }
    public Channel Channel { get; private set; }
    public string? Summary { get; private set; }
    public ActorKind RecordedByKind { get; private set; }
    public Guid? RecordedById { get; private set; }
    public DateTimeOffset OccurredAt { get; private set; }
    public DateTimeOffset RecordedAt { get; private set; }

    internal void MoveTo(Guid customerId) => CustomerId = customerId;
}
