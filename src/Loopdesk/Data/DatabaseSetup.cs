using System.Data.Common;
using Loopdesk.Platform;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Design;

namespace Loopdesk.Data;

public static class DatabaseSetup
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>Registers <see cref="LoopdeskDb"/> for the configured provider, and the matching search index.</summary>
    public static IServiceCollection AddLoopdeskDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var options = LoopdeskOptions.Read(configuration);
        var provider = options.Database.Provider.Trim().ToLowerInvariant();
        switch (provider)
        {
            case Sqlite:
                var connection = SqliteConnectionString(options);
                services.AddDbContextPool<LoopdeskDb, SqliteLoopdeskDb>((sp, o) => Intercept(sp, ConfigureSqlite(o, connection)));
                services.AddSingleton<Search.ISearchIndex, Search.SqliteSearchIndex>();
                break;
            case Postgres:
                var pg = string.IsNullOrWhiteSpace(options.Database.ConnectionString)
                    ? throw new ConfigurationException("Loopdesk:Database:ConnectionString is required when Loopdesk:Database:Provider is postgres.")
                    : options.Database.ConnectionString;
                services.AddDbContextPool<LoopdeskDb, PostgresLoopdeskDb>((sp, o) => Intercept(sp, ConfigurePostgres(o, pg)));
                services.AddSingleton<Search.ISearchIndex>(sp => new Search.PostgresSearchIndex(sp.GetRequiredService<TimeProvider>()));
                services.AddSingleton<PostgresStatistics>();
                services.AddHostedService(sp => sp.GetRequiredService<PostgresStatistics>());
                break;
            default:
                throw new ConfigurationException($"Loopdesk:Database:Provider is \"{options.Database.Provider}\"; use \"sqlite\" or \"postgres\".");
        }
        services.AddHostedService<Search.SearchIndexer>();
        return services;
    }

    public static string SqliteConnectionString(LoopdeskOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Database.ConnectionString)) return options.Database.ConnectionString;
        var directory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(directory);
        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(directory, "loopdesk.db"),
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The rules run inside every save; a save that adds work for now wakes the job runner.</summary>
    private static void Intercept(IServiceProvider services, DbContextOptionsBuilder o)
        => o.AddInterceptors(services.GetRequiredService<Rules.RuleEngine>(), services.GetRequiredService<Jobs.JobSignal>());

    public static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder o, string connectionString)
        => o.UseSqlite(connectionString, s => s.MigrationsAssembly(typeof(LoopdeskDb).Assembly.FullName))
            .AddInterceptors(SqlitePragmas.Instance, SqliteWriteGate.Instance)
            .ReplaceService<Microsoft.EntityFrameworkCore.Update.IBatchExecutor, PreparedBatchExecutor>();

    public static DbContextOptionsBuilder ConfigurePostgres(DbContextOptionsBuilder o, string connectionString)
        => o.UseNpgsql(WithPreparedStatements(connectionString), n => n.MigrationsAssembly(typeof(LoopdeskDb).Assembly.FullName));

    /// <summary>
    /// Lets Npgsql prepare the statements a connection runs most (unless the connection string says otherwise): the
    /// same few inserts and look-ups run all day, and planning them once per connection instead of once per call more
    /// than halves PostgreSQL's work per ticket. A connection given back to the pool is not reset (<c>No Reset On
    /// Close</c>): Loopdesk changes no session setting, and the reset was a statement and a transaction of its own in
    /// PostgreSQL every time a unit of work ended (about a tenth of the database's work per inbound message).
    /// </summary>
    public static string WithPreparedStatements(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) builder.MaxAutoPrepare = 64;
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Per-connection settings. WAL with synchronous=NORMAL is durable across a crash of the process
    /// (the write-ahead log is synced at checkpoints); busy_timeout lets writers queue instead of failing.
    /// </summary>
    private sealed class SqlitePragmas : DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        // a pooled connection keeps its settings: they are applied once per underlying database handle, not at every open
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Applied = new();

        private static void Apply(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } handle })
            {
                if (Applied.TryGetValue(handle, out _)) return;
                Applied.AddOrUpdate(handle, Applied);
            }
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
            command.ExecuteNonQuery();
        }
    }
}

/// <summary>Lets <c>dotnet ef migrations add … --context SqliteLoopdeskDb</c> build the model without starting the host.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteLoopdeskDb>
{
    public SqliteLoopdeskDb CreateDbContext(string[] args)
    {
        var b = new DbContextOptionsBuilder<SqliteLoopdeskDb>();
        DatabaseSetup.ConfigureSqlite(b, "Data Source=design.db");
        return new SqliteLoopdeskDb(b.Options);
    }
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresLoopdeskDb>
{
    public PostgresLoopdeskDb CreateDbContext(string[] args)
    {
        var b = new DbContextOptionsBuilder<PostgresLoopdeskDb>();
        DatabaseSetup.ConfigurePostgres(b, "Host=localhost;Database=loopdesk_design");
        return new PostgresLoopdeskDb(b.Options);
    }
}

/// <summary>
/// Prepares every command of a save before its transaction begins. EF Core builds the commands of a save lazily, one
/// after the other while the transaction runs; on SQLite, where each row is a command of its own and the transaction
/// holds the one write gate, that put the building of all but the first commands inside the gate, where every other
/// writer waits for it.
/// </summary>
#pragma warning disable EF1001 // BatchExecutor is EF Core's own executor, used as it is, with its input made eager
internal sealed class PreparedBatchExecutor(Microsoft.EntityFrameworkCore.Infrastructure.ICurrentDbContext context, IDiagnosticsLogger<DbLoggerCategory.Update> log)
    : Microsoft.EntityFrameworkCore.Update.Internal.BatchExecutor(context, log)
{
    public override int Execute(IEnumerable<Microsoft.EntityFrameworkCore.Update.ModificationCommandBatch> commandBatches, Microsoft.EntityFrameworkCore.Storage.IRelationalConnection connection)
        => base.Execute(commandBatches.ToList(), connection);

    public override Task<int> ExecuteAsync(IEnumerable<Microsoft.EntityFrameworkCore.Update.ModificationCommandBatch> commandBatches,
        Microsoft.EntityFrameworkCore.Storage.IRelationalConnection connection, CancellationToken cancellationToken = default)
        => base.ExecuteAsync(commandBatches.ToList(), connection, cancellationToken);
}
#pragma warning restore EF1001

/// <summary>
/// SQLite has one writer: a transaction takes this process's write gate when it begins and gives it back when it
/// commits or rolls back. So a save holds the gate only while it writes, not while the rules inside it read and decide.
/// </summary>
internal sealed class SqliteWriteGate : DbTransactionInterceptor
{
    public static readonly SqliteWriteGate Instance = new();

    public override InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        if (eventData.Context is LoopdeskDb db) db.EnterWriteGateAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return result;
    }

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is LoopdeskDb db) await db.EnterWriteGateAsync(cancellationToken);
        return result;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Leave(eventData);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(eventData);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Leave(eventData);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(eventData);
        return Task.CompletedTask;
    }

    public override void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Leave(eventData);

    public override Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Leave(eventData);
        return Task.CompletedTask;
    }

    private static void Leave(TransactionEventData eventData)
    {
        if (eventData.Context is LoopdeskDb db) db.LeaveWriteGate();
    }
}
