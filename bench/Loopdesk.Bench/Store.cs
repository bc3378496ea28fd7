using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using System.Globalization;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Loopdesk.Bench;

/// <summary>What one seeding transaction holds: customers first seen in it, and tickets with their messages, contacts and events.</summary>
internal sealed class SeedBatch
{
    public List<Customer> Customers { get; } = [];

    public List<Ticket> Tickets { get; } = [];
}

/// <summary>Raw ADO.NET access to the server's database: bulk seeding, one-ticket transactions, and a few reads.</summary>
internal abstract class Store(string connectionString) : IAsyncDisposable
{
    protected string ConnectionString { get; } = connectionString;

    public abstract Provider Provider { get; }

    public Rows Rows => field ??= new Rows(Provider);

    /// <summary>Time spent seeding each table, to tell where bulk loading goes.</summary>
    public Dictionary<string, TimeSpan> SeedTime { get; } = [];

    protected async Task TimedAsync(TableSpec table, Func<Task> write)
    {
        var t0 = Stopwatch.GetTimestamp();
        await write();
        SeedTime[table.Name] = SeedTime.GetValueOrDefault(table.Name) + Stopwatch.GetElapsedTime(t0);
    }

    public static Store Open(Provider provider, string connectionString) => provider switch
    {
        Provider.Sqlite => new SqliteStore(connectionString),
        Provider.Postgres => new PostgresStore(connectionString),
        _ => throw new ArgumentOutOfRangeException(nameof(provider)),
    };

    /// <summary>Inserts the batch in one transaction.</summary>
    public abstract Task SeedAsync(SeedBatch batch, CancellationToken ct);

    /// <summary>Inserts rows of the given tables, table by table in the order given, in one transaction.</summary>
    public abstract Task SeedTablesAsync(IReadOnlyList<(TableSpec Table, List<object?[]> Rows)> tables, CancellationToken ct);

    /// <summary>Inserts jobs (outbox entries, timers) in one transaction: they are due to the server's runner when it commits.</summary>
    public abstract Task SeedJobsAsync(IEnumerable<Loopdesk.Jobs.Job> jobs, CancellationToken ct);

    /// <summary>One number from the database: <paramref name="sql"/> with @-named parameters.</summary>
    public async Task<long> QueryLongAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var connection = await ConnectAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            command.Parameters.Add(p);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct) ?? 0L, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A connection that inserts one ticket (and its new customer) per transaction, as the server's SaveChanges does.
    /// <paramref name="contend"/> (SQLite): writers do not take turns in the harness but wait for the write lock in SQLite's
    /// busy handler, as the server's pooled connections do.
    /// </summary>
    public abstract Task<DirectWriter> OpenWriterAsync(CancellationToken ct, bool contend = false);

    /// <summary>After seeding: statistics and checkpoints a running installation would have by then.</summary>
    public abstract Task SettleAsync(bool vacuum, CancellationToken ct);

    public abstract Task<long> CountAsync(string table, CancellationToken ct);

    /// <summary>Rows whose search side is missing (FTS row or tsvector); zero when every row is indexed.</summary>
    public abstract Task<long> UnindexedAsync(string table, CancellationToken ct);

    public abstract Task<List<string>> ReferencesAsync(CancellationToken ct);

    public abstract Task<long> SizeBytesAsync(CancellationToken ct);

    /// <summary>Open tickets of one team: the rows the team inbox filters down to.</summary>
    public async Task<long> OpenTicketsAsync(Guid teamId, CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM \"Tickets\" WHERE \"TeamId\" = @team AND \"Status\" = 'Open'";
        var p = command.CreateParameter();
        p.ParameterName = "@team";
        p.Value = Rows.Id(teamId);
        command.Parameters.Add(p);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    /// <summary>Every row of <paramref name="table"/> whose <paramref name="column"/> is <paramref name="key"/>, as column → value.</summary>
    public async Task<List<Dictionary<string, object?>>> RowsWhereAsync(string table, string column, Guid key, CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE \"{column}\" = @key";
        var p = command.CreateParameter();
        p.ParameterName = "@key";
        p.Value = Rows.Id(key);
        command.Parameters.Add(p);
        var result = new List<Dictionary<string, object?>>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                if (reader.GetName(i) == "search") continue;
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            result.Add(row);
        }
        return result;
    }

    /// <summary>A connection with the server's settings.</summary>
    public Task<DbConnection> OpenAsync(CancellationToken ct) => ConnectAsync(ct);

    protected abstract Task<DbConnection> ConnectAsync(CancellationToken ct);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected static async Task<long> ScalarAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
    }

    protected static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>Writes one ticket per transaction on its own connection.</summary>
internal abstract class DirectWriter : IAsyncDisposable
{
    /// <summary>False when the ticket's reference was taken (the caller draws another, as the server does).</summary>
    public abstract Task<bool> InsertAsync(Customer? newCustomer, Ticket ticket, CancellationToken ct);

    public abstract ValueTask DisposeAsync();
}

internal sealed class SqliteStore(string connectionString) : Store(connectionString)
{
    private WriterPump? _pump;

    public override Provider Provider => Provider.Sqlite;

    public override async Task SeedAsync(SeedBatch batch, CancellationToken ct)
    {
        // a connection of its own (not pooled), with a larger page cache than the server's connections have
        await using var connection = (SqliteConnection)await ConnectAsync(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString, ct);
        await ExecuteAsync(connection, "PRAGMA cache_size=-262144;", ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        using var inserts = new SqliteInserts(connection, Rows);
        inserts.Use(tx);
        // table by table, each in the order the rows were made (search rowids follow insertion order)
        await TimedAsync(Rows.Customers, () => Each(batch.Customers, c => inserts.Insert(Rows.Customers, Rows.Customer(c))));
        await TimedAsync(Rows.Identities, () => Each(batch.Customers.SelectMany(c => c.Identities), i => inserts.Insert(Rows.Identities, Rows.Identity(i))));
        await TimedAsync(Rows.Tickets, () => Each(batch.Tickets, t => inserts.Insert(Rows.Tickets, Rows.Ticket(t))));
        await TimedAsync(Rows.Messages, () => Each(batch.Tickets.SelectMany(t => t.Messages), m => inserts.Insert(Rows.Messages, Rows.Message(m))));
        await TimedAsync(Rows.Contacts, () => Each(batch.Tickets.SelectMany(t => t.Contacts), c => inserts.Insert(Rows.Contacts, Rows.Contact(c))));
        await TimedAsync(Rows.Events, () => Each(batch.Tickets.SelectMany(t => t.Events), e => inserts.Insert(Rows.Events, Rows.Event(e))));
        var commit = Stopwatch.GetTimestamp();
        await tx.CommitAsync(ct);
        SeedTime["commit"] = SeedTime.GetValueOrDefault("commit") + Stopwatch.GetElapsedTime(commit);
    }

    public override async Task SeedTablesAsync(IReadOnlyList<(TableSpec Table, List<object?[]> Rows)> tables, CancellationToken ct)
    {
        await using var connection = (SqliteConnection)await ConnectAsync(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString, ct);
        await ExecuteAsync(connection, "PRAGMA cache_size=-262144;", ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        using var inserts = new SqliteInserts(connection, Rows, tables.Select(t => t.Table).Distinct());
        inserts.Use(tx);
        foreach (var (table, rows) in tables) await TimedAsync(table, () => Each(rows, r => inserts.Insert(table, r)));
        await tx.CommitAsync(ct);
    }

    public override async Task SeedJobsAsync(IEnumerable<Loopdesk.Jobs.Job> jobs, CancellationToken ct)
    {
        await using var connection = (SqliteConnection)await ConnectAsync(new SqliteConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString, ct);
        await ExecuteAsync(connection, "PRAGMA cache_size=-262144;", ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        using var inserts = new SqliteInserts(connection, Rows, [Rows.Jobs]);
        inserts.Use(tx);
        foreach (var job in jobs) inserts.Insert(Rows.Jobs, Rows.Job(job));
        await tx.CommitAsync(ct);
    }

    private static Task Each<T>(IEnumerable<T> items, Action<T> action)
    {
        foreach (var item in items) action(item);
        return Task.CompletedTask;
    }

    public override async Task<DirectWriter> OpenWriterAsync(CancellationToken ct, bool contend = false)
    {
        if (contend) return new SqliteWriter((SqliteConnection)await ConnectAsync(ct), Rows);
        _pump ??= new WriterPump(new SqliteWriter((SqliteConnection)await ConnectAsync(ct), Rows));
        return new QueuedWriter(_pump);
    }

    /// <summary>Stops the single writer (the next direct run starts a new one).</summary>
    public async Task StopWriterAsync()
    {
        if (_pump is null) return;
        await _pump.DisposeAsync();
        _pump = null;
    }

    public override async ValueTask DisposeAsync()
    {
        await StopWriterAsync();
        await base.DisposeAsync();
    }

    public override async Task SettleAsync(bool vacuum, CancellationToken ct)
    {
        // Rows seeded straight into the database wait in the search queue: they are indexed as the server would, in
        // batches. The server never runs ANALYZE on SQLite, so neither does the harness; the write-ahead log is folded
        // into the file.
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Loopdesk.Data.SqliteLoopdeskDb>();
        Loopdesk.Data.DatabaseSetup.ConfigureSqlite(options, ConnectionString);
        await using (var db = new Loopdesk.Data.SqliteLoopdeskDb(options.Options))
        {
            while (await Loopdesk.Search.SqliteSearchIndex.IndexPendingAsync(db, 50_000, ct) > 0)
            {
            }
        }
        await using var connection = await ConnectAsync(ct);
        await ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE);", ct);
    }

    public override async Task<long> CountAsync(string table, CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        return await ScalarAsync(connection, $"SELECT count(*) FROM \"{table}\"", ct);
    }

    public override async Task<long> UnindexedAsync(string table, CancellationToken ct)
    {
        var fts = table switch
        {
            "Tickets" => "ticket_fts",
            "Messages" => "message_fts",
            "Customers" => "customer_fts",
            _ => throw new ArgumentOutOfRangeException(nameof(table)),
        };
        await using var connection = await ConnectAsync(ct);
        return await ScalarAsync(connection, $"SELECT (SELECT count(*) FROM \"{table}\") - min((SELECT count(*) FROM {fts}_rows), (SELECT count(*) FROM {fts}))", ct);
    }

    public override async Task<List<string>> ReferencesAsync(CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Reference\" FROM \"Tickets\"";
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(reader.GetString(0));
        return list;
    }

    public override async Task<long> SizeBytesAsync(CancellationToken ct)
    {
        await using var connection = await ConnectAsync(ct);
        return await ScalarAsync(connection, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", ct);
    }

    protected override Task<DbConnection> ConnectAsync(CancellationToken ct) => ConnectAsync(ConnectionString, ct);

    private static async Task<DbConnection> ConnectAsync(string connectionString, CancellationToken ct)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(ct);
        // the server's per-connection settings (DatabaseSetup.SqlitePragmas); WAL is a property of the file
        await ExecuteAsync(connection, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;", ct);
        return connection;
    }

    /// <summary>Writes on its own connection, in the caller's turn: concurrent writers wait for SQLite's lock in its busy handler.</summary>
    private sealed class SqliteWriter(SqliteConnection connection, Rows rows) : DirectWriter
    {
        private readonly SqliteInserts _inserts = new(connection, rows);

        public override Task<bool> InsertAsync(Customer? newCustomer, Ticket ticket, CancellationToken ct) => Task.FromResult(Insert(newCustomer, ticket));

        public bool Insert(Customer? newCustomer, Ticket ticket)
        {
            // BEGIN IMMEDIATE, as Microsoft.Data.Sqlite starts the transaction of EF Core's SaveChanges
            using var tx = connection.BeginTransaction();
            _inserts.Use(tx);
            try
            {
                if (newCustomer is not null) _inserts.Customer(newCustomer);
                _inserts.Ticket(ticket);
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19 && e.Message.Contains("Reference", StringComparison.Ordinal))
            {
                tx.Rollback();
                return false;
            }
            tx.Commit();
            return true;
        }

        public override async ValueTask DisposeAsync()
        {
            _inserts.Dispose();
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// The single writer: one connection writes the tickets every caller hands it, one transaction each, back to back.
    /// SQLite takes one writer at a time, so this is the most it can do with one ticket per transaction.
    /// </summary>
    private sealed class WriterPump : IAsyncDisposable
    {
        private readonly Channel<(Customer? Customer, Ticket Ticket, TaskCompletionSource<bool> Done)> _queue =
            Channel.CreateUnbounded<(Customer?, Ticket, TaskCompletionSource<bool>)>(new UnboundedChannelOptions { SingleReader = true });
        private readonly SqliteWriter _writer;
        private readonly Task _loop;

        public WriterPump(SqliteWriter writer)
        {
            _writer = writer;
            _loop = Task.Run(async () =>
            {
                await foreach (var (customer, ticket, done) in _queue.Reader.ReadAllAsync())
                {
                    try
                    {
                        done.SetResult(_writer.Insert(customer, ticket));
                    }
                    catch (SqliteException e)
                    {
                        done.SetException(e);
                    }
                }
            });
        }

        public Task<bool> InsertAsync(Customer? customer, Ticket ticket)
        {
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_queue.Writer.TryWrite((customer, ticket, done))) throw new InvalidOperationException("the writer has stopped");
            return done.Task;
        }

        public async ValueTask DisposeAsync()
        {
            _queue.Writer.TryComplete();
            await _loop;
            await _writer.DisposeAsync();
        }
    }

    private sealed class QueuedWriter(WriterPump pump) : DirectWriter
    {
        public override Task<bool> InsertAsync(Customer? newCustomer, Ticket ticket, CancellationToken ct) => pump.InsertAsync(newCustomer, ticket);

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>One prepared INSERT per table, reused for every row.</summary>
    private sealed class SqliteInserts : IDisposable
    {
        private readonly Rows _rows;
        private readonly Dictionary<TableSpec, SqliteCommand> _commands = [];

        public SqliteInserts(SqliteConnection connection, Rows rows, IEnumerable<TableSpec>? tables = null)
        {
            _rows = rows;
            foreach (var table in tables ?? Rows.All)
            {
                var command = connection.CreateCommand();
                command.CommandText = $"INSERT INTO \"{table.Name}\" ({table.ColumnList}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)))})";
                for (var i = 0; i < table.Columns.Count; i++) command.Parameters.Add(new SqliteParameter("$p" + i.ToString(CultureInfo.InvariantCulture), null));
                _commands[table] = command;
            }
        }

        public void Use(SqliteTransaction tx)
        {
            foreach (var command in _commands.Values) command.Transaction = tx;
        }

        public void Customer(Customer c)
        {
            Insert(Rows.Customers, _rows.Customer(c));
            foreach (var i in c.Identities) Insert(Rows.Identities, _rows.Identity(i));
        }

        public void Ticket(Ticket t)
        {
            Insert(Rows.Tickets, _rows.Ticket(t));
            foreach (var m in t.Messages) Insert(Rows.Messages, _rows.Message(m));
            foreach (var c in t.Contacts) Insert(Rows.Contacts, _rows.Contact(c));
            foreach (var e in t.Events) Insert(Rows.Events, _rows.Event(e));
        }

        public void Insert(TableSpec table, object?[] values)
        {
            var command = _commands[table];
            for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
            command.ExecuteNonQuery();
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values) command.Dispose();
        }
    }
}

internal sealed class PostgresStore : Store
{
    private readonly NpgsqlDataSource _source;
    private readonly NpgsqlDataSource _writers;

    public PostgresStore(string connectionString) : base(connectionString)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        // the one-ticket writers repeat the same few statements: let Npgsql prepare them once per connection
        _writers = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 16, AutoPrepareMinUsages = 2 }.ConnectionString);
    }

    public override Provider Provider => Provider.Postgres;

    public override async Task SeedAsync(SeedBatch batch, CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await TimedAsync(Rows.Customers, () => CopyAsync(connection, Rows.Customers, batch.Customers.Select(Rows.Customer), ct));
        await TimedAsync(Rows.Identities, () => CopyAsync(connection, Rows.Identities, batch.Customers.SelectMany(c => c.Identities).Select(Rows.Identity), ct));
        await TimedAsync(Rows.Tickets, () => CopyAsync(connection, Rows.Tickets, batch.Tickets.Select(Rows.Ticket), ct));
        await TimedAsync(Rows.Messages, () => CopyAsync(connection, Rows.Messages, batch.Tickets.SelectMany(t => t.Messages).Select(Rows.Message), ct));
        await TimedAsync(Rows.Contacts, () => CopyAsync(connection, Rows.Contacts, batch.Tickets.SelectMany(t => t.Contacts).Select(Rows.Contact), ct));
        await TimedAsync(Rows.Events, () => CopyAsync(connection, Rows.Events, batch.Tickets.SelectMany(t => t.Events).Select(Rows.Event), ct));
        var commit = Stopwatch.GetTimestamp();
        await tx.CommitAsync(ct);
        SeedTime["commit"] = SeedTime.GetValueOrDefault("commit") + Stopwatch.GetElapsedTime(commit);
    }

    public override async Task SeedTablesAsync(IReadOnlyList<(TableSpec Table, List<object?[]> Rows)> tables, CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var (table, rows) in tables) await TimedAsync(table, () => CopyAsync(connection, table, rows, ct));
        await tx.CommitAsync(ct);
    }

    public override async Task SeedJobsAsync(IEnumerable<Loopdesk.Jobs.Job> jobs, CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await CopyAsync(connection, Rows.Jobs, jobs.Select(Rows.Job), ct);
        await tx.CommitAsync(ct);
    }

    public override async Task<DirectWriter> OpenWriterAsync(CancellationToken ct, bool contend = false)
        => new PostgresWriter(await _writers.OpenConnectionAsync(ct), Rows);

    public override async Task SettleAsync(bool vacuum, CancellationToken ct)
    {
        // what autovacuum does on a running installation, done now so that the plans measured do not depend on its timing
        await using var connection = await _source.OpenConnectionAsync(ct);
        foreach (var table in Rows.All) await ExecuteAsync(connection, $"{(vacuum ? "VACUUM (ANALYZE)" : "ANALYZE")} \"{table.Name}\"", ct);
        // the server's background pass adds the words of new rows to the search word list once their ids are a minute
        // old, a batch a second; the seeded rows are all committed, so they are taken to the end here rather than waited for
        var options = new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Loopdesk.Data.PostgresLoopdeskDb>();
        Loopdesk.Data.DatabaseSetup.ConfigurePostgres(options, ConnectionString);
        await using (var db = new Loopdesk.Data.PostgresLoopdeskDb(options.Options))
        {
            await Loopdesk.Search.PostgresSearchIndex.SweepAllAsync(db, ct);
        }
        await ExecuteAsync(connection, "CHECKPOINT", ct);
    }

    public override async Task<long> CountAsync(string table, CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        return await ScalarAsync(connection, $"SELECT count(*) FROM \"{table}\"", ct);
    }

    public override async Task<long> UnindexedAsync(string table, CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        return await ScalarAsync(connection, $"SELECT count(*) FROM \"{table}\" WHERE search IS NULL OR search = ''::tsvector", ct);
    }

    public override async Task<List<string>> ReferencesAsync(CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT \"Reference\" FROM \"Tickets\"", connection);
        var list = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(reader.GetString(0));
        return list;
    }

    public override async Task<long> SizeBytesAsync(CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        return await ScalarAsync(connection, "SELECT pg_database_size(current_database())", ct);
    }

    protected override async Task<DbConnection> ConnectAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    public override async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync();
        await _writers.DisposeAsync();
        await base.DisposeAsync();
    }

    private static async Task CopyAsync(NpgsqlConnection connection, TableSpec table, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        await using var writer = await connection.BeginBinaryImportAsync($"COPY \"{table.Name}\" ({table.ColumnList}) FROM STDIN (FORMAT BINARY)", ct);
        // the synchronous writes only fill Npgsql's buffer (and flush it when full): an await per value would cost more than the value
        foreach (var row in rows)
        {
            writer.StartRow();
            for (var i = 0; i < row.Length; i++)
            {
                if (row[i] is null) writer.WriteNull();
                else writer.Write(row[i], table.Types[i]);
            }
        }
        await writer.CompleteAsync(ct);
    }

    private sealed class PostgresWriter(NpgsqlConnection connection, Rows rows) : DirectWriter
    {
        private static readonly Dictionary<TableSpec, string> Sql = Rows.All.ToDictionary(t => t, t =>
            $"INSERT INTO \"{t.Name}\" ({t.ColumnList}) VALUES ({string.Join(", ", t.Columns.Select((_, i) => "$" + (i + 1).ToString(CultureInfo.InvariantCulture)))})");

        public override async Task<bool> InsertAsync(Customer? newCustomer, Ticket ticket, CancellationToken ct)
        {
            // one round trip for the inserts, one for the commit: EF Core's batched SaveChanges in its transaction
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using var batch = new NpgsqlBatch(connection, tx);
            if (newCustomer is not null)
            {
                Add(batch, Rows.Customers, rows.Customer(newCustomer));
                foreach (var i in newCustomer.Identities) Add(batch, Rows.Identities, rows.Identity(i));
            }
            Add(batch, Rows.Tickets, rows.Ticket(ticket));
            foreach (var m in ticket.Messages) Add(batch, Rows.Messages, rows.Message(m));
            foreach (var c in ticket.Contacts) Add(batch, Rows.Contacts, rows.Contact(c));
            foreach (var e in ticket.Events) Add(batch, Rows.Events, rows.Event(e));
            try
            {
                await batch.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "IX_Tickets_Reference")
            {
                await tx.RollbackAsync(ct);
                return false;
            }
            await tx.CommitAsync(ct);
            return true;
        }

        public override ValueTask DisposeAsync() => connection.DisposeAsync();

        private static void Add(NpgsqlBatch batch, TableSpec table, object?[] values)
        {
            var command = new NpgsqlBatchCommand(Sql[table]);
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = table.Types[i], Value = values[i] ?? DBNull.Value });
            }
            batch.BatchCommands.Add(command);
        }
    }
}
