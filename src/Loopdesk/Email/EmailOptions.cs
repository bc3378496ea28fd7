namespace Loopdesk.Email;

/// <summary>The "Loopdesk:Email" settings.</summary>
public sealed class EmailOptions
{
    /// <summary>Fetch mail from the mailboxes that have IMAP settings. Default true; off on a process that only serves requests.</summary>
    public bool Poll { get; set; } = true;

    /// <summary>Seconds between checks of a mailbox whose server has no IDLE; with IDLE, how long one IDLE lasts before it is renewed. Default 60.</summary>
    public int PollSeconds { get; set; } = 60;

    /// <summary>Messages fetched from IMAP per round. Default 50.</summary>
    public int FetchBatch { get; set; } = 50;

    /// <summary>Largest raw message accepted, in bytes. Default 50 MiB.</summary>
    public long MaxMessageBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Largest attachment kept, in bytes; a larger one is recorded by name and size only, and the sender is told. Default 20 MiB.</summary>
    public long MaxAttachmentBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Most attachment bytes kept from one message. Default 40 MiB.</summary>
    public long MaxAttachmentBytesPerMessage { get; set; } = 40L * 1024 * 1024;

    /// <summary>Most automatic messages (acknowledgements, notices) sent to one address in an hour; more are recorded as suppressed. Default 5.</summary>
    public int AutoRepliesPerHour { get; set; } = 5;

    /// <summary>New conversations from one sender within <see cref="StormWindowSeconds"/> after which more are added to the latest ticket instead of opening others. Default 5.</summary>
    public int StormThreshold { get; set; } = 5;

    public int StormWindowSeconds { get; set; } = 600;

    /// <summary>Addresses and @domains whose mail is kept but opens no ticket, on every mailbox.</summary>
    public List<string> BlockedSenders { get; set; } = [];
}
