using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>One thing said on a ticket. An internal message is a note nobody outside sees.</summary>
public sealed class Message
{
    private Message() { }

    internal Message(Guid ticketId, MessageDirection direction, Channel channel, Actor author, string text, string? html,
        bool internalNote, IReadOnlyList<Attachment> attachments, string? externalId, DateTimeOffset occurredAt, DateTimeOffset recordedAt,
        string? quotedText = null)
    {
        Id = Ids.New(recordedAt);
        TicketId = ticketId;
        Direction = direction;
        Channel = channel;
        AuthorKind = author.Kind;
        AuthorId = author.Id;
        Text = text;
        Html = html;
        Internal = internalNote;
        Attachments = [.. attachments];
        ExternalId = externalId;
        QuotedText = quotedText;
        OccurredAt = occurredAt;
        RecordedAt = recordedAt;
    }

    public Guid Id { get; private set; }
    public Guid TicketId { get; private set; }
    public MessageDirection Direction { get; private set; }
    public Channel Channel { get; private set; }
    public ActorKind AuthorKind { get; private set; }
    public Guid? AuthorId { get; private set; }
    public string Text { get; private set; } = "";
    /// <summary>Sanitized HTML, when the message came with HTML.</summary>
    public string? Html { get; private set; }
    public bool Internal { get; private set; }
    public List<Attachment> Attachments { get; private set; } = [];
    /// <summary>The id the message has outside (an email's Message-ID, a chat message id).</summary>
    public string? ExternalId { get; private set; }
    /// <summary>What the message quoted or signed with (an email's history and signature), folded away from <see cref="Text"/> but kept.</summary>
    public string? QuotedText { get; private set; }
    /// <summary>How delivery to the customer went, for outbound messages on a channel that delivers (email).</summary>
    public DeliveryState? Delivery { get; private set; }
    /// <summary>What the far side said: the SMTP answer, the bounce's status and diagnostic.</summary>
    public string? DeliveryDetail { get; private set; }
    public DateTimeOffset? DeliveryAt { get; private set; }
    public DateTimeOffset OccurredAt { get; private set; }
    public DateTimeOffset RecordedAt { get; private set; }
    /// <summary>How the customer sounds, -1 (furious) to 1 (delighted): the VADER compound score of an inbound message.</summary>
    public double? Sentiment { get; private set; }
    /// <summary>Lexicon findings the author chose to send anyway, recorded with the message.</summary>
    public int LexiconOverrides { get; private set; }

    public void ScoreSentiment(double compound) => Sentiment = Math.Round(compound, 4);

    public void OverrodeLexicon(int findings) => LexiconOverrides = findings;

    /// <summary>Records where delivery stands. A bounce is final; a later "sent" does not hide it.</summary>
    public void RecordDelivery(DeliveryState state, string? detail, DateTimeOffset at)
    {
        if (Delivery == DeliveryState.Bounced && state != DeliveryState.Bounced) return;
        Delivery = state;
        DeliveryDetail = detail is { Length: > 1000 } ? detail[..1000] : detail;
        DeliveryAt = at;
    }
}

/// <summary>Where an outbound message's delivery stands.</summary>
public enum DeliveryState { Queued, Sent, Delayed, Suppressed, Failed, Bounced }

/// <summary>What we know of a file attached to a message; the bytes live in the file store (no key: not kept, over a size limit).</summary>
public sealed record Attachment(string FileName, string ContentType, long Size, string? StorageKey, bool Inline = false);
