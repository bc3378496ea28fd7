using Loopdesk.Core.Agents;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Rules;
using Loopdesk.Core.Teams;
using Loopdesk.Core.Tickets;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Loopdesk.Data;

/// <summary>One model for both providers; each provider has its own subclass so that each keeps its own migrations.</summary>
public class LoopdeskDb(DbContextOptions options) : IdentityUserContext<StaffUser, Guid>(options)
{
    public DbSet<Ticket> Tickets => Set<Ticket>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<Contact> Contacts => Set<Contact>();
    public DbSet<TicketEvent> TicketEvents => Set<TicketEvent>();
    public DbSet<Customer> Customers => Set<Customer>();
    public DbSet<CustomerIdentity> CustomerIdentities => Set<CustomerIdentity>();
    public DbSet<Organization> Organizations => Set<Organization>();
    public DbSet<Agent> Agents => Set<Agent>();
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<Commitment> Commitments => Set<Commitment>();
    public DbSet<Jobs.Job> Jobs => Set<Jobs.Job>();
    public DbSet<Rule> Rules => Set<Rule>();
    public DbSet<RuleRun> RuleRuns => Set<RuleRun>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<Survey> Surveys => Set<Survey>();
    public DbSet<Suggestion> Suggestions => Set<Suggestion>();
    public DbSet<Lexicon.LexiconRow> Lexicon => Set<Lexicon.LexiconRow>();
    public DbSet<Service.CalendarRow> Calendars => Set<Service.CalendarRow>();
    public DbSet<Service.SlaPolicyRow> SlaPolicies => Set<Service.SlaPolicyRow>();
    public DbSet<Service.TicketSla> TicketSlas => Set<Service.TicketSla>();
    public DbSet<Core.Templates.MessageTemplate> Templates => Set<Core.Templates.MessageTemplate>();
    public DbSet<Email.Mailbox> Mailboxes => Set<Email.Mailbox>();
    public DbSet<Email.InboundMail> InboundMails => Set<Email.InboundMail>();
    public DbSet<Email.MailThreadId> MailIds => Set<Email.MailThreadId>();
    public DbSet<Web.Workspace.SavedView> SavedViews => Set<Web.Workspace.SavedView>();
    public DbSet<Procedures.Procedure> Procedures => Set<Procedures.Procedure>();
    public DbSet<Chat.ChatSite> ChatSites => Set<Chat.ChatSite>();
    public DbSet<Chat.ChatSession> Chats => Set<Chat.ChatSession>();
    public DbSet<Incidents.StatusService> StatusServices => Set<Incidents.StatusService>();
    public DbSet<Incidents.Incident> Incidents => Set<Incidents.Incident>();
    public DbSet<Incidents.IncidentUpdate> IncidentUpdates => Set<Incidents.IncidentUpdate>();
    public DbSet<Incidents.IncidentTicket> IncidentTickets => Set<Incidents.IncidentTicket>();
    public DbSet<Incidents.StatusSubscriber> StatusSubscribers => Set<Incidents.StatusSubscriber>();
    public DbSet<Credits.Credit> Credits => Set<Credits.Credit>();
    public DbSet<Portal.HelpCategory> HelpCategories => Set<Portal.HelpCategory>();
    public DbSet<Portal.HelpArticle> HelpArticles => Set<Portal.HelpArticle>();
    public DbSet<Portal.HelpVote> HelpVotes => Set<Portal.HelpVote>();
    public DbSet<Portal.PortalSignIn> PortalSignIns => Set<Portal.PortalSignIn>();
    public DbSet<Portal.PortalVerification> PortalVerifications => Set<Portal.PortalVerification>();

    public bool IsPostgres => Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>
    /// On PostgreSQL, has this context's unit of work run every prepared statement with its generic plan (nothing on
    /// SQLite). PostgreSQL makes the generic plan of a statement with an array parameter (<c>"Id" = ANY ($1)</c>, which
    /// EF Core writes for <c>Contains</c>) for ten elements, finds it dearer than the plans made for the one to eight
    /// values a group looks up, and so plans such a statement again at every run, though the plan comes out the same:
    /// the look-ups of inbound mail and of the outbox spent more of the database's time being planned than being run.
    /// The unit's reads and its next save share one transaction, begun here with a <c>SET LOCAL</c>, which PostgreSQL
    /// undoes when the transaction ends: the save commits it, and a unit disposed without saving rolls it back. So no
    /// other work on the pooled session is planned this way (searches keep plans made for their words), and nothing has
    /// to set the session back.
    /// </summary>
    public async Task UseGenericPlansAsync(CancellationToken ct)
    {
        if (!IsPostgres || _plans is not null || Database.CurrentTransaction is not null) return;
        _plans = await Database.BeginTransactionAsync(ct);
        // a save inside it that fails rolls the whole transaction back (see SaveChangesAsync): no savepoints needed
        Database.AutoSavepointsEnabled = false;
        await Database.ExecuteSqlRawAsync("SET LOCAL plan_cache_mode = force_generic_plan", ct);
    }

    private Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? _plans;

    /// <summary>Saves within the transaction begun by <see cref="UseGenericPlansAsync"/> and ends it: committed, or rolled back on failure.</summary>
    private async Task<int> SaveAndCommitAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction plans, bool acceptAllChangesOnSuccess, CancellationToken ct)
    {
        _plans = null;
        try
        {
            // the changes are accepted once committed, so a failed commit leaves them to be saved again
            var saved = await base.SaveChangesAsync(acceptAllChangesOnSuccess: false, ct);
            await plans.CommitAsync(ct);
            if (acceptAllChangesOnSuccess) ChangeTracker.AcceptAllChanges();
            return saved;
        }
        catch
        {
            await EndAsync(plans);
            throw;
        }
        finally
        {
            await plans.DisposeAsync();
            Database.AutoSavepointsEnabled = true;
        }
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        // its transaction is committed by the asynchronous save only; a save here would be rolled back with it
        if (_plans is not null) throw new InvalidOperationException("A unit of work with generic plans saves with SaveChangesAsync.");
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    /// <summary>Rolls back a transaction of <see cref="UseGenericPlansAsync"/> not committed; should that fail, its connection is not reused.</summary>
    private async Task EndAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction plans)
    {
        try
        {
            await plans.RollbackAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            if (Database.GetDbConnection() is Npgsql.NpgsqlConnection connection) Npgsql.NpgsqlConnection.ClearPool(connection);
        }
    }

    /// <summary>
    /// SQLite has one writer at a time. Writers of this process queue at a gate, asynchronously, instead of inside SQLite's
    /// busy handler, which sleeps in steps of milliseconds and wastes most of a write-heavy second. A save's transaction
    /// takes the gate when it begins and gives it back when it ends (see DatabaseSetup), so the rules that run inside a
    /// save read and decide outside it; this releases it as well should a save end without committing or rolling back.
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (_plans is { } plans) return await SaveAndCommitAsync(plans, acceptAllChangesOnSuccess, cancellationToken);
        if (IsPostgres || Database.CurrentTransaction is not null)
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        finally
        {
            if (Database.CurrentTransaction is null) LeaveWriteGate();
        }
    }

    private IDisposable? _heldGate;

    /// <summary>Takes the write gate for this context's transaction (SQLite only; once per transaction).</summary>
    internal async ValueTask EnterWriteGateAsync(CancellationToken ct)
    {
        if (IsPostgres || _heldGate is not null) return;
        _heldGate = await WriteGateAsync(ct);
    }

    internal void LeaveWriteGate()
    {
        var held = Interlocked.Exchange(ref _heldGate, null);
        held?.Dispose();
    }

    public override void Dispose()
    {
        LeaveWriteGate();
        if (Interlocked.Exchange(ref _plans, null) is { } plans) EndAsync(plans).GetAwaiter().GetResult();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    public override async ValueTask DisposeAsync()
    {
        LeaveWriteGate();
        if (Interlocked.Exchange(ref _plans, null) is { } plans) await EndAsync(plans);
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Holds this process's SQLite write gate (nothing on PostgreSQL) for a write that bypasses SaveChanges, such as
    /// ExecuteUpdate or ExecuteDelete, so it queues with the other writers instead of sleeping in the busy handler.
    /// </summary>
    public async Task<IDisposable> WriteGateAsync(CancellationToken ct)
    {
        if (IsPostgres) return NoGate.Instance;
        var gate = SqliteWriteGates.GetOrAdd(Database.GetConnectionString() ?? "", _ => new SemaphoreSlim(1, 1));
        var asked = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!gate.Wait(0, CancellationToken.None))
        {
            await gate.WaitAsync(ct);
            GateWaited.Add(System.Diagnostics.Stopwatch.GetElapsedTime(asked).TotalSeconds);
        }
        return new Held(gate);
    }

    private sealed class Held(SemaphoreSlim gate) : IDisposable
    {
        private readonly long _since = System.Diagnostics.Stopwatch.GetTimestamp();
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            gate.Release();
            GateHeld.Add(System.Diagnostics.Stopwatch.GetElapsedTime(_since).TotalSeconds);
        }
    }

    // how busy SQLite's one writer is: the gate held (writing) and waited for, in seconds, summed over all writers
    private static readonly System.Diagnostics.Metrics.Meter GateMeter = new(Platform.LoopdeskMetrics.MeterName);
    private static readonly System.Diagnostics.Metrics.Counter<double> GateHeld = GateMeter.CreateCounter<double>("loopdesk.sqlite.write_gate.held", "s",
        "Time SQLite's write gate was held by a writer of this process");
    private static readonly System.Diagnostics.Metrics.Counter<double> GateWaited = GateMeter.CreateCounter<double>("loopdesk.sqlite.write_gate.waited", "s",
        "Time writers of this process waited for SQLite's write gate, summed over writers");

    private sealed class NoGate : IDisposable
    {
        public static readonly NoGate Instance = new();

        public void Dispose() { }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> SqliteWriteGates = new();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(LoopdeskDb).Assembly);
        // Ids are Guid v7 made by the domain, never by the database: an entity with a new id added to a tracked
        // aggregate (an event, a message) must be inserted, not mistaken for an existing row.
        foreach (var entity in builder.Model.GetEntityTypes().Where(e => !e.IsOwned()))
        {
            foreach (var key in entity.FindPrimaryKey()?.Properties ?? [])
            {
                if (key.ClrType == typeof(Guid) && entity.ClrType.Namespace?.StartsWith("Loopdesk", StringComparison.Ordinal) == true)
                {
                    key.ValueGenerated = Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never;
                }
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare DateTimeOffset in SQL: every instant is stored as a UTC DateTime.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcConverter>();
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
    }

    private sealed class UtcConverter() : ValueConverter<DateTimeOffset, DateTime>(
        v => v.UtcDateTime,
        v => new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)));
}

public sealed class SqliteLoopdeskDb(DbContextOptions<SqliteLoopdeskDb> options) : LoopdeskDb(options);

public sealed class PostgresLoopdeskDb(DbContextOptions<PostgresLoopdeskDb> options) : LoopdeskDb(options);
