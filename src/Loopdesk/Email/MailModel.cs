using Loopdesk.Core.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Email;

/// <summary>How a connection to a mail server is secured (on the wire: tls, starttls, none). None is allowed only to a loopback address.</summary>
public enum MailSecurity { Tls, Starttls, None }

/// <summary>How Loopdesk signs in to the IMAP or SMTP server: a password, or an OAuth2 access token (XOAUTH2); on the wire password, oauth2.</summary>
public enum MailLogin { Password, Oauth2 }

/// <summary>
/// One address customers write to: where its mail is fetched (IMAP), how replies leave (SMTP), who takes new tickets,
/// what is signed under replies. Secrets are stored encrypted with ASP.NET Data Protection and never returned.
/// </summary>
public sealed class Mailbox
{
    public const int NameMaxLength = 100;

    private Mailbox() { }

    public Mailbox(string name, string address, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Name = name;
        Address = address;
        CreatedAt = now;
        UpdatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Name { get; set; } = "";
    /// <summary>Lower case.</summary>
    public string Address { get; set; } = "";
    /// <summary>The name on mail we send: "Acme Support".</summary>
    public string? FromName { get; set; }
    public string? Signature { get; set; }
    public Guid? DefaultTeamId { get; set; }
    public bool Active { get; set; } = true;
    /// <summary>Sends agent replies for tickets that did not come in by mail.</summary>
    public bool IsDefault { get; set; }

    public string? ImapHost { get; set; }
    public int ImapPort { get; set; } = 993;
    public MailSecurity ImapSecurity { get; set; } = MailSecurity.Tls;
    public MailLogin ImapLogin { get; set; } = MailLogin.Password;
    public string? ImapUsername { get; set; }
    /// <summary>The password or access token, protected.</summary>
    public string? ImapSecret { get; set; }
    public string ImapFolder { get; set; } = "INBOX";
    /// <summary>Where processed mail is moved; none: it is flagged seen and with the <c>$Loopdesk</c> keyword instead.</summary>
    public string? ProcessedFolder { get; set; }

    public string? SmtpHost { get; set; }
    public int SmtpPort { get; set; } = 587;
    public MailSecurity SmtpSecurity { get; set; } = MailSecurity.Starttls;
    public MailLogin SmtpLogin { get; set; } = MailLogin.Password;
    public string? SmtpUsername { get; set; }
    public string? SmtpSecret { get; set; }

    /// <summary>SHA-256 of the secret that authorizes posts to /api/v1/inbound/mime for this mailbox.</summary>
    public string? InboundSecretHash { get; set; }
    /// <summary>Addresses and @domains whose mail is kept but opens no ticket.</summary>
    public List<string> BlockedSenders { get; set; } = [];

    /// <summary>The poller's place: the folder's UIDVALIDITY and the highest UID stored.</summary>
    public uint? UidValidity { get; set; }
    public uint LastUid { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastPolledAt { get; set; }

    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public int Version { get; set; } = 1;

    public bool Receives => ImapHost is not null;
    public bool Sends => SmtpHost is not null;
    public string Domain => Address[(Address.IndexOf('@', StringComparison.Ordinal) + 1)..];
}

/// <summary>Where an inbound message stands.</summary>
public enum InboundState
{
    /// <summary>Stored, not processed yet.</summary>
    Pending,
    /// <summary>On a ticket (or, for a bounce, recorded on the message it bounced).</summary>
    Processed,
    /// <summary>The same message came before (same Message-ID): nothing done twice.</summary>
    Duplicate,
    /// <summary>Could not be read; kept for an admin to look at and retry.</summary>
    Failed,
    /// <summary>From a staff address but not a forward: not posted as the agent, waiting for an admin.</summary>
    Held,
    /// <summary>From a blocked sender or one of our own addresses: kept, no ticket.</summary>
    Ignored,
}

/// <summary>
/// One raw message as it arrived, committed before it is parsed, so a crash at any point re-processes it from here.
/// </summary>
public sealed class InboundMail
{
    private InboundMail() { }

    public InboundMail(Guid? mailboxId, string source, string? sourceKey, byte[] raw, string sha256, DateTimeOffset now)
    {
        Id = Ids.New(now);
        MailboxId = mailboxId;
        Source = source;
        SourceKey = sourceKey;
        Raw = raw;
        Size = raw.Length;
        Sha256 = sha256;
        ReceivedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid? MailboxId { get; private set; }
    /// <summary>imap, http or cli.</summary>
    public string Source { get; private set; } = "";
    /// <summary>Where it was fetched from (mailbox, UIDVALIDITY, UID): the same IMAP message is never stored twice.</summary>
    public string? SourceKey { get; private set; }
    public byte[] Raw { get; private set; } = [];
    public int Size { get; private set; }
    public string Sha256 { get; private set; } = "";
    public DateTimeOffset ReceivedAt { get; private set; }

    public InboundState State { get; set; }
    /// <summary>The Message-ID (or the content hash standing in for a missing one) this message was deduplicated on.</summary>
    public string? MailKey { get; set; }
    public string? FromAddress { get; set; }
    public string? Subject { get; set; }
    /// <summary>Why it is failed, held or ignored, or what was noticed (an automatic reply, a storm).</summary>
    public string? Note { get; set; }
    public Guid? TicketId { get; set; }
    public string? Reference { get; set; }
    public Guid? MessageId { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? ProcessedAt { get; set; }
}

/// <summary>
/// A Message-ID we received (or a hash standing in for one), and the ticket it is on: the thread graph replies are
/// joined by, and the lock that keeps one message from being processed twice.
/// </summary>
public sealed class MailThreadId
{
    private MailThreadId() { }

    public MailThreadId(string key, Guid ticketId, Guid? messageId, DateTimeOffset now)
    {
        Key = key;
        TicketId = ticketId;
        MessageId = messageId;
        CreatedAt = now;
    }

    public string Key { get; private set; } = "";
    public Guid TicketId { get; private set; }
    public Guid? MessageId { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
}

internal sealed class MailboxConfiguration : IEntityTypeConfiguration<Mailbox>
{
    public void Configure(EntityTypeBuilder<Mailbox> b)
    {
        b.ToTable("Mailboxes");
        b.HasKey(m => m.Id);
        b.Property(m => m.Name).HasMaxLength(Mailbox.NameMaxLength);
        b.Property(m => m.Address).HasMaxLength(254);
        b.HasIndex(m => m.Address).IsUnique();
        b.HasIndex(m => m.Name).IsUnique();
        b.Property(m => m.FromName).HasMaxLength(100);
        b.Property(m => m.Signature).HasMaxLength(4000);
        b.Property(m => m.ImapHost).HasMaxLength(255);
        b.Property(m => m.ImapUsername).HasMaxLength(254);
        b.Property(m => m.ImapFolder).HasMaxLength(255);
        b.Property(m => m.ProcessedFolder).HasMaxLength(255);
        b.Property(m => m.SmtpHost).HasMaxLength(255);
        b.Property(m => m.SmtpUsername).HasMaxLength(254);
        b.Property(m => m.InboundSecretHash).HasMaxLength(64);
        b.Property(m => m.LastError).HasMaxLength(1000);
        b.PrimitiveCollection(m => m.BlockedSenders);
        b.Property(m => m.Version).IsConcurrencyToken();
    }
}

internal sealed class InboundMailConfiguration : IEntityTypeConfiguration<InboundMail>
{
    public void Configure(EntityTypeBuilder<InboundMail> b)
    {
        b.ToTable("InboundMails");
        b.HasKey(m => m.Id);
        b.Property(m => m.Source).HasMaxLength(16);
        b.Property(m => m.SourceKey).HasMaxLength(300);
        b.HasIndex(m => m.SourceKey).IsUnique();
        b.Property(m => m.Sha256).HasMaxLength(64);
        b.Property(m => m.MailKey).HasMaxLength(998);
        b.HasIndex(m => m.MailKey);
        b.Property(m => m.FromAddress).HasMaxLength(254);
        b.HasIndex(m => new { m.FromAddress, m.ReceivedAt });
        b.Property(m => m.Subject).HasMaxLength(1000);
        b.Property(m => m.Note).HasMaxLength(2000);
        b.Property(m => m.Reference).HasMaxLength(16);
        b.HasIndex(m => new { m.State, m.ReceivedAt });
        b.HasIndex(m => new { m.TicketId, m.ReceivedAt });
    }
}

internal sealed class MailThreadIdConfiguration : IEntityTypeConfiguration<MailThreadId>
{
    public void Configure(EntityTypeBuilder<MailThreadId> b)
    {
        b.ToTable("MailIds");
        b.HasKey(m => m.Key);
        b.Property(m => m.Key).HasMaxLength(998);
        b.HasIndex(m => new { m.TicketId, m.CreatedAt });
    }
}
