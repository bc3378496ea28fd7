using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Loopdesk.Search;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Search;

/// <summary>
/// On SQLite new rows wait in search_pending and are indexed in batches: before every search, and by the background
/// indexer about once a second (its delay runs on the test's fake clock).
/// </summary>
public sealed class DeferredIndexTests(SqliteApp app) : IClassFixture<SqliteApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Word() => "zq" + Guid.NewGuid().ToString("N")[..10];

    private async Task<T> ReadAsync<T>(Func<LoopdeskDb, Task<T>> read)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }

    private Task<long> PendingAsync(string kind, string id) => ReadAsync(db => db.Database
        .SqlQuery<long>($"SELECT count(*) AS Value FROM search_pending WHERE kind = {kind} AND id = {id.ToUpperInvariant()}").SingleAsync(Ct));

#pragma warning disable EF1003 // the table and column names are constants of these tests
    private Task<long> IndexedAsync(string map, string key, string id) => ReadAsync(db => db.Database
        .SqlQueryRaw<long>("SELECT count(*) AS Value FROM " + map + " WHERE " + key + " = {0}", id.ToUpperInvariant()).SingleAsync(Ct));
#pragma warning restore EF1003

    [Fact]
    public async Task A_new_ticket_waits_in_the_queue_and_the_next_search_indexes_it_first()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var word = Word();
        var name = Word();
        var ticket = await client.CreateTicketAsync($"Scanner {word}", Ct, name: $"Ida {name}");

        // written, not yet indexed: the ticket, its first message and the new customer wait in the queue
        Assert.Equal(1, await PendingAsync("t", ticket.Id.ToString()));
        Assert.Equal(1, await PendingAsync("c", ticket.CustomerId.ToString()));
        Assert.Equal(0, await IndexedAsync("ticket_fts_rows", "ticket_id", ticket.Id.ToString()));

        var hits = await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={word}", Ct);
        Assert.Equal([ticket.Reference], hits.Tickets.Select(t => t.Reference));
        Assert.Equal([ticket.CustomerId], (await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={name}", Ct)).Customers.Select(c => c.Id));
        Assert.Equal(0, await PendingAsync("t", ticket.Id.ToString()));
        Assert.Equal(1, await IndexedAsync("ticket_fts_rows", "ticket_id", ticket.Id.ToString()));
    }

    [Fact]
    public async Task A_subject_changed_before_indexing_is_indexed_as_it_is_then()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = Word();
        var after = Word();
        var ticket = await client.CreateTicketAsync($"Old {before}", Ct, body: "The first message");
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { subject = $"New {after}" }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(1, await PendingAsync("t", ticket.Id.ToString()));

        Assert.Empty((await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={before}", Ct)).Tickets);
        Assert.Single((await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={after}", Ct)).Tickets);
    }

    [Fact]
    public async Task A_row_gone_before_indexing_is_dropped_from_the_queue_and_the_others_are_indexed()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var word = Word();
        var gone = Guid.NewGuid().ToString().ToUpperInvariant();
        await ReadAsync(db => db.Database.ExecuteSqlAsync($"INSERT INTO search_pending (kind, id) VALUES ('m', {gone})", Ct));
        var ticket = await client.CreateTicketAsync($"Kept {word}", Ct);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        Assert.True(await SqliteSearchIndex.IndexPendingAsync(db, SqliteSearchIndex.Batch, Ct) >= 3);

        Assert.Equal(0, await PendingAsync("m", gone));
        Assert.Equal(0, await IndexedAsync("message_fts_rows", "message_id", gone));
        Assert.Equal(1, await IndexedAsync("ticket_fts_rows", "ticket_id", ticket.Id.ToString()));
        Assert.Equal([ticket.Reference], (await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={word}", Ct)).Tickets.Select(t => t.Reference));
    }

    [Fact]
    public async Task A_backlog_larger_than_a_batch_is_indexed_oldest_first_in_several_passes()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var first = await client.CreateTicketAsync($"First {Word()}", Ct);
        var second = await client.CreateTicketAsync($"Second {Word()}", Ct);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        // drain what other tests left, then take the two tickets' rows one at a time
        await db.Database.ExecuteSqlAsync($"DELETE FROM search_pending WHERE id NOT IN ({first.Id.ToString().ToUpperInvariant()}, {second.Id.ToString().ToUpperInvariant()})", Ct);

        Assert.Equal(1, await SqliteSearchIndex.IndexPendingAsync(db, 1, Ct));
        Assert.Equal(1, await IndexedAsync("ticket_fts_rows", "ticket_id", first.Id.ToString()));
        Assert.Equal(0, await IndexedAsync("ticket_fts_rows", "ticket_id", second.Id.ToString()));
        Assert.Equal(1, await SqliteSearchIndex.IndexPendingAsync(db, 1, Ct));
        Assert.Equal(0, await SqliteSearchIndex.IndexPendingAsync(db, 1, Ct));

        // newest first: the second ticket's map row came after the first's
        var order = await db.Database.SqlQueryRaw<string>("SELECT ticket_id AS Value FROM ticket_fts_rows ORDER BY rowid DESC LIMIT 2").ToListAsync(Ct);
        Assert.Equal([second.Id.ToString().ToUpperInvariant(), first.Id.ToString().ToUpperInvariant()], order);
    }

    [Fact]
    public async Task The_background_indexer_empties_the_queue_about_once_a_second()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync($"Background {Word()}", Ct);
        Assert.Equal(1, await PendingAsync("t", ticket.Id.ToString()));

        // the indexer waits on the fake clock; move it on until the indexer has had its turn
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await PendingAsync("t", ticket.Id.ToString()) > 0)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "the background indexer did not take the ticket within 20 s");
            app.Clock.Advance(SearchIndexer.Interval);
            await Task.Delay(50, Ct);
        }
        Assert.Equal(1, await IndexedAsync("ticket_fts_rows", "ticket_id", ticket.Id.ToString()));
    }
}
