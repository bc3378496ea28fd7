using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Data;
using Loopdesk.Search;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Loopdesk.Tests.Search;

/// <summary>
/// On PostgreSQL a search reads the newest rows one by one, then a span of older ids through the GIN and BRIN indexes,
/// then all older rows; once the word list covers those rows, it asks for whole words instead of prefixes. Here the walk
/// is ten rows long, so sixty tickets take every step; whichever steps a search takes, and whether the word list has
/// caught up or not, it finds the same tickets, newest first.
/// </summary>
public sealed class PostgresSearchWindowTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly PostgresSearchIndex _index = new(TimeProvider.System, recentRows: 10);

    private async Task<T> WithDbAsync<T>(Func<LoopdeskDb, Task<T>> work)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }

    private Task<IReadOnlyList<Guid>> SearchAsync(string q, int limit)
        => WithDbAsync(db => _index.TicketIdsAsync(db, SearchTerms.Parse(q)!, limit, Ct));

    private Task<int> SweepAllAsync() => WithDbAsync(db => PostgresSearchIndex.SweepAllAsync(db, Ct));

    private Task<bool> ListedAsync(string word) => WithDbAsync(db =>
        db.Database.SqlQuery<bool>($"SELECT EXISTS (SELECT 1 FROM search_words WHERE word = {word}) AS \"Value\"").SingleAsync(Ct));

    [Fact]
    public async Task Every_step_finds_the_newest_matches_and_the_word_list_changes_nothing_but_the_speed()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var p = "zq" + Guid.NewGuid().ToString("N")[..8];
        var tickets = new List<Guid>();
        for (var i = 0; i < 60; i++)
        {
            var subject = $"Case {i}" + (i % 6 == 0 ? $" {p}common" : "") + (i % 12 == 0 ? $" {p}pair" : "") + (i is 4 or 33 ? $" {p}rare" : "")
                + (i == 20 ? $" {p}router" : "") + (i == 21 ? $" {p}printer" : "");
            var body = i % 9 == 0 ? $"Mentions {p}body and e-mail here." : "Plain text.";
            tickets.Add((await client.CreateTicketAsync(subject, Ct, body: body)).Id);
        }
        List<Guid> Newest(Func<int, bool> matches, int limit) => [.. Enumerable.Range(0, 60).Where(matches).Reverse().Take(limit).Select(i => tickets[i])];

        async Task AssertFindsAsync()
        {
            Assert.Equal(Newest(i => i % 6 == 0, 5), await SearchAsync($"{p}common", 5));
            Assert.Equal(Newest(i => i % 6 == 0, 20), await SearchAsync($"{p}common", 20));
            Assert.Equal(Newest(i => i is 4 or 33, 5), await SearchAsync($"{p}rare", 5));
            Assert.Equal(Newest(i => i % 9 == 0, 4), await SearchAsync($"{p}body", 4));
            Assert.Equal(Newest(i => i % 12 == 0, 3), await SearchAsync($"{p}comm {p}pai", 3));
            Assert.Equal(Newest(i => i == 20, 5), await SearchAsync($"{p}rou", 5));
            Assert.Equal(Newest(i => i is 4 or 20 or 33, 5), await SearchAsync($"{p}r", 5));
            Assert.Equal(Newest(i => i % 9 == 0, 3), await SearchAsync($"{p}body mail", 3));
            Assert.Equal(Newest(i => i % 9 == 0, 3), await SearchAsync($"e {p}body", 3));
            Assert.Empty(await SearchAsync($"{p}nothing", 5));
        }

        // the word list has not taken these rows yet: prefixes all the way; the table has no statistics yet either
        await AssertFindsAsync();
        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync("ANALYZE \"Tickets\"; ANALYZE \"Messages\";", Ct));
        await AssertFindsAsync();

        Assert.True(await SweepAllAsync() >= 120);
        Assert.True(await ListedAsync($"{p}common"));
        Assert.True(await ListedAsync("e-mail"));
        Assert.Equal(0, await SweepAllAsync());
        await AssertFindsAsync();
    }

    [Fact]
    public async Task A_subject_changed_after_the_word_list_took_its_row_is_found_by_its_new_words()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var p = "zq" + Guid.NewGuid().ToString("N")[..8];
        var renamed = await client.CreateTicketAsync($"Old {p}before", Ct, body: "Plain text.");
        for (var i = 0; i < 30; i++) await client.CreateTicketAsync($"Filler {i} {p}filler", Ct, body: "Plain text.");
        await SweepAllAsync();

        (await client.PatchJsonAsync($"/api/v1/tickets/{renamed.Reference}", new { subject = $"New {p}after" }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal([renamed.Id], await SearchAsync($"{p}aft", 5));
        Assert.True(await ListedAsync($"{p}after"));
        Assert.Empty(await SearchAsync($"{p}before", 5));

        // a message whose text changes is noted the same way
        var message = await WithDbAsync(db => db.Messages.Where(m => m.TicketId == renamed.Id).Select(m => m.Id).FirstAsync(Ct));
        await WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE \"Messages\" SET \"Text\" = {"Now about " + p + "edited"} WHERE \"Id\" = {message}", Ct));
        Assert.Equal([renamed.Id], await SearchAsync($"{p}edit", 5));
    }

    [Fact]
    public async Task The_background_pass_takes_only_rows_older_than_its_margin()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var p = "zq" + Guid.NewGuid().ToString("N")[..8];
        await SweepAllAsync();
        var fresh = await client.CreateTicketAsync($"Fresh {p}fresh", Ct, body: "Plain text.");

        // the pass's clock at the moment the ticket's id was made
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Ids.Position(fresh.Id) >> 12));
        var index = new PostgresSearchIndex(clock);
        await WithDbAsync(db => index.CatchUpAsync(db, Ct));
        Assert.False(await ListedAsync($"{p}fresh"));

        clock.Advance(PostgresSearchIndex.SweepMargin + TimeSpan.FromSeconds(1));
        await WithDbAsync(db => index.CatchUpAsync(db, Ct));
        Assert.True(await ListedAsync($"{p}fresh"));
    }
}
