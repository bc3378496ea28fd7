using System.Globalization;
using System.Text.Json;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using NpgsqlTypes;

namespace Loopdesk.Bench;

internal enum Provider { Sqlite, Postgres }

/// <summary>One table the harness writes: its columns in insert order and their PostgreSQL types.</summary>
internal sealed class TableSpec(string name, params (string Column, NpgsqlDbType Type)[] columns)
{
    public string Name { get; } = name;

    public IReadOnlyList<string> Columns { get; } = [.. columns.Select(c => c.Column)];

    public IReadOnlyList<NpgsqlDbType> Types { get; } = [.. columns.Select(c => c.Type)];

    public string ColumnList => string.Join(", ", Columns.Select(c => $"\"{c}\""));
}

/// <summary>
/// The application's rows as the application stores them. Values come from the domain objects themselves (Ticket.Open,
/// AddMessage, RecordContact, Customer.Create …), and each is encoded as EF Core encodes it for the provider: on SQLite
/// ids are upper-case text, instants are UTC text "yyyy-MM-dd HH:mm:ss.FFFFFFF", enums are their member names,
/// primitive collections are JSON; on PostgreSQL the native types (uuid, timestamptz, text[], uuid[], jsonb).
/// </summary>
internal sealed class Rows(Provider provider)
{
    private const string SqliteTime = "yyyy'-'MM'-'dd HH':'mm':'ss.FFFFFFF";

    public static readonly TableSpec Customers = new("Customers",
        ("Id", NpgsqlDbType.Uuid), ("Name", NpgsqlDbType.Varchar), ("PreferredName", NpgsqlDbType.Varchar), ("Language", NpgsqlDbType.Varchar),
        ("TimeZone", NpgsqlDbType.Varchar), ("OrganizationId", NpgsqlDbType.Uuid), ("Expertise", NpgsqlDbType.Varchar),
        ("LifetimeValue", NpgsqlDbType.Numeric), ("Referrals", NpgsqlDbType.Integer), ("AccountCount", NpgsqlDbType.Integer),
        ("Vip", NpgsqlDbType.Boolean), ("Notes", NpgsqlDbType.Varchar), ("MergedIntoId", NpgsqlDbType.Uuid),
        ("CreatedAt", NpgsqlDbType.TimestampTz), ("UpdatedAt", NpgsqlDbType.TimestampTz), ("Version", NpgsqlDbType.Integer));

    public static readonly TableSpec Identities = new("CustomerIdentities",
        ("Id", NpgsqlDbType.Uuid), ("CustomerId", NpgsqlDbType.Uuid), ("Kind", NpgsqlDbType.Varchar), ("Value", NpgsqlDbType.Varchar),
        ("MatchKey", NpgsqlDbType.Varchar), ("AddedAt", NpgsqlDbType.TimestampTz));

    public static readonly TableSpec Tickets = new("Tickets",
        ("Id", NpgsqlDbType.Uuid), ("Reference", NpgsqlDbType.Varchar), ("Subject", NpgsqlDbType.Varchar), ("Status", NpgsqlDbType.Varchar),
        ("Type", NpgsqlDbType.Varchar), ("Priority", NpgsqlDbType.Varchar), ("Channel", NpgsqlDbType.Varchar), ("CustomerId", NpgsqlDbType.Uuid),
        ("OrganizationId", NpgsqlDbType.Uuid), ("TeamId", NpgsqlDbType.Uuid), ("AssigneeId", NpgsqlDbType.Uuid),
        ("Tags", NpgsqlDbType.Array | NpgsqlDbType.Text), ("CustomFields", NpgsqlDbType.Text), ("SharedWith", NpgsqlDbType.Array | NpgsqlDbType.Uuid),
        ("DueAt", NpgsqlDbType.TimestampTz), ("CreatedAt", NpgsqlDbType.TimestampTz), ("UpdatedAt", NpgsqlDbType.TimestampTz),
        ("FirstRepliedAt", NpgsqlDbType.TimestampTz), ("SolvedAt", NpgsqlDbType.TimestampTz), ("ClosedAt", NpgsqlDbType.TimestampTz),
        ("CreatedById", NpgsqlDbType.Uuid), ("Version", NpgsqlDbType.Integer), ("FollowUpOfId", NpgsqlDbType.Uuid),
        ("Tier", NpgsqlDbType.Varchar), ("Followers", NpgsqlDbType.Array | NpgsqlDbType.Uuid));

    public static readonly TableSpec Messages = new("Messages",
        ("Id", NpgsqlDbType.Uuid), ("TicketId", NpgsqlDbType.Uuid), ("Direction", NpgsqlDbType.Varchar), ("Channel", NpgsqlDbType.Varchar),
        ("AuthorKind", NpgsqlDbType.Varchar), ("AuthorId", NpgsqlDbType.Uuid), ("Text", NpgsqlDbType.Text), ("Html", NpgsqlDbType.Text),
        ("Internal", NpgsqlDbType.Boolean), ("ExternalId", NpgsqlDbType.Varchar), ("OccurredAt", NpgsqlDbType.TimestampTz),
        ("RecordedAt", NpgsqlDbType.TimestampTz), ("Attachments", NpgsqlDbType.Jsonb));

    public static readonly TableSpec Contacts = new("Contacts",
        ("Id", NpgsqlDbType.Uuid), ("CustomerId", NpgsqlDbType.Uuid), ("TicketId", NpgsqlDbType.Uuid), ("Channel", NpgsqlDbType.Varchar),
        ("Summary", NpgsqlDbType.Varchar), ("RecordedByKind", NpgsqlDbType.Varchar), ("RecordedById", NpgsqlDbType.Uuid),
        ("OccurredAt", NpgsqlDbType.TimestampTz), ("RecordedAt", NpgsqlDbType.TimestampTz));

    public static readonly TableSpec Events = new("TicketEvents",
        ("Id", NpgsqlDbType.Uuid), ("TicketId", NpgsqlDbType.Uuid), ("Type", NpgsqlDbType.Varchar), ("Data", NpgsqlDbType.Text),
        ("ActorKind", NpgsqlDbType.Varchar), ("ActorId", NpgsqlDbType.Uuid), ("OccurredAt", NpgsqlDbType.TimestampTz),
        ("RecordedAt", NpgsqlDbType.TimestampTz));

    public static readonly IReadOnlyList<TableSpec> All = [Customers, Identities, Tickets, Messages, Contacts, Events];

    /// <summary>The jobs table (outbox entries and timers); seeded on its own by the rules scenarios.</summary>
    public static readonly TableSpec Jobs = new("Jobs",
        ("Id", NpgsqlDbType.Uuid), ("Kind", NpgsqlDbType.Varchar), ("Key", NpgsqlDbType.Varchar), ("TicketId", NpgsqlDbType.Uuid),
        ("Payload", NpgsqlDbType.Text), ("DueAt", NpgsqlDbType.TimestampTz), ("State", NpgsqlDbType.Varchar), ("Attempts", NpgsqlDbType.Integer),
        ("LastError", NpgsqlDbType.Varchar), ("LockedBy", NpgsqlDbType.Varchar), ("LockedUntil", NpgsqlDbType.TimestampTz),
        ("CreatedAt", NpgsqlDbType.TimestampTz));

    /// <summary>A ticket's service-level clocks and their due times; seeded by the workspace scenario.</summary>
    public static readonly TableSpec TicketSlas = new("TicketSlas",
        ("TicketId", NpgsqlDbType.Uuid), ("PolicyId", NpgsqlDbType.Uuid), ("Clocks", NpgsqlDbType.Text), ("FirstReplyDueAt", NpgsqlDbType.TimestampTz),
        ("NextReplyDueAt", NpgsqlDbType.TimestampTz), ("ResolutionDueAt", NpgsqlDbType.TimestampTz), ("UpdatedAt", NpgsqlDbType.TimestampTz));

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private readonly bool _sqlite = provider == Provider.Sqlite;

    public object?[] Customer(Customer c) =>
    [
        Id(c.Id), c.Name, c.PreferredName, c.Language, c.TimeZone, Id(c.OrganizationId), c.Expertise?.ToString(), Money(c.LifetimeValue),
        c.Referrals, c.AccountCount, Bool(c.Vip), c.Notes, Id(c.MergedIntoId), Time(c.CreatedAt), Time(c.UpdatedAt), c.Version,
    ];

    public object?[] Identity(CustomerIdentity i) => [Id(i.Id), Id(i.CustomerId), i.Kind.ToString(), i.Value, i.MatchKey, Time(i.AddedAt)];

    public object?[] Ticket(Ticket t) =>
    [
        Id(t.Id), t.Reference, t.Subject, t.Status.ToString(), t.Type.ToString(), t.Priority.ToString(), t.Channel.ToString(), Id(t.CustomerId),
        Id(t.OrganizationId), Id(t.TeamId), Id(t.AssigneeId), Strings(t.Tags), JsonSerializer.Serialize(t.CustomFields, JsonSerializerOptions.Default),
        Guids(t.SharedWith), Time(t.DueAt), Time(t.CreatedAt), Time(t.UpdatedAt), Time(t.FirstRepliedAt), Time(t.SolvedAt), Time(t.ClosedAt),
        Id(t.CreatedById), t.Version, Id(t.FollowUpOfId), t.Tier.ToString(), Guids(t.Followers),
    ];

    public object?[] Message(Message m) =>
    [
        Id(m.Id), Id(m.TicketId), m.Direction.ToString(), m.Channel.ToString(), m.AuthorKind.ToString(), Id(m.AuthorId), m.Text, m.Html,
        Bool(m.Internal), m.ExternalId, Time(m.OccurredAt), Time(m.RecordedAt), Attachments(m.Attachments),
    ];

    public object?[] Contact(Contact c) =>
    [
        Id(c.Id), Id(c.CustomerId), Id(c.TicketId), c.Channel.ToString(), c.Summary, c.RecordedByKind.ToString(), Id(c.RecordedById),
        Time(c.OccurredAt), Time(c.RecordedAt),
    ];

    public object?[] Event(TicketEvent e) =>
        [Id(e.Id), Id(e.TicketId), e.Type, e.Data, e.ActorKind.ToString(), Id(e.ActorId), Time(e.OccurredAt), Time(e.RecordedAt)];

    public object?[] Job(Loopdesk.Jobs.Job j) =>
    [
        Id(j.Id), j.Kind, j.Key, Id(j.TicketId), j.Payload, Time(j.DueAt), j.State.ToString(), j.Attempts, j.LastError, j.LockedBy, Time(j.LockedUntil),
        Time(j.CreatedAt),
    ];

    public object?[] TicketSla(Loopdesk.Service.TicketSla s) =>
    [
        Id(s.TicketId), Id(s.PolicyId), JsonSerializer.Serialize(s.Clocks, Web), Time(s.FirstReplyDueAt), Time(s.NextReplyDueAt), Time(s.ResolutionDueAt),
        Time(s.UpdatedAt),
    ];

    /// <summary>An instant as the provider stores it, for a WHERE clause.</summary>
    public object At(DateTimeOffset value) => Time(value)!;

    /// <summary>A key as the provider stores it, for a WHERE clause.</summary>
    public object Id(Guid value) => _sqlite ? value.ToString("D").ToUpperInvariant() : value;

    private object? Id(Guid? value) => value is { } g ? Id(g) : null;

    private object? Time(DateTimeOffset value) => _sqlite ? value.UtcDateTime.ToString(SqliteTime, CultureInfo.InvariantCulture) : value.UtcDateTime;

    private object? Time(DateTimeOffset? value) => value is { } t ? Time(t) : null;

    private object Bool(bool value) => _sqlite ? (value ? 1L : 0L) : value;

    // EF Core writes SQLite decimals as text with at least one decimal place
    private object Money(decimal value) => _sqlite ? value.ToString("0.0###########################", CultureInfo.InvariantCulture) : value;

    private object Strings(List<string> value) => _sqlite ? JsonSerializer.Serialize(value) : value.ToArray();

    private object Guids(List<Guid> value) => _sqlite ? JsonSerializer.Serialize(value) : value.ToArray();

    private static string Attachments(List<Attachment> value) => value.Count == 0
        ? "[]"
        : throw new InvalidOperationException("The harness writes no attachments.");
}
