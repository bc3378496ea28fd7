using Npgsql;

namespace Loopdesk.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server named by LOOPDESK_TEST_POSTGRES (scripts/test starts one on a free loopback port and sets it);
/// each test class makes a database of its own there and drops it afterwards.
/// </summary>
public static class TestPostgres
{
    public static string ServerConnection => Environment.GetEnvironmentVariable("LOOPDESK_TEST_POSTGRES")
        ?? throw new InvalidOperationException("LOOPDESK_TEST_POSTGRES is not set: run the suite with ./scripts/test, which starts PostgreSQL.");

    public static string NewDatabaseName(string purpose) => $"loopdesk_{purpose}_{Guid.NewGuid().ToString("N")[..12]}";

    public static string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder(ServerConnection) { Database = database }.ToString();

    public static Task CreateAsync(string database) => ExecuteAsync($"CREATE DATABASE \"{database}\"");

    public static async Task DropAsync(string database)
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ServerConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
