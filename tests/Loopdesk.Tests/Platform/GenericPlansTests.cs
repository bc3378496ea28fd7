using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Platform;

/// <summary>
/// The work that asks for generic plans (inbound mail, new tickets, the outbox) runs its prepared look-ups without
/// planning them again each time, in a transaction its save commits, and leaves the pooled session as it found it, so a
/// search on the same connection afterwards is planned for its own words.
/// </summary>
public sealed class GenericPlansTests(PostgresApp app) : IClassFixture<PostgresApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lookups_by_a_list_of_ids_use_the_generic_plan_and_the_session_is_set_back_afterwards()
    {
        int backend;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await db.UseGenericPlansAsync(Ct);
            backend = await BackendAsync(db);
            Assert.Equal("force_generic_plan", await PlanModeAsync(db));

            // the same look-up often enough for Npgsql to prepare it and PostgreSQL to weigh its plans
            for (var i = 0; i < 8; i++)
            {
                List<Guid> ids = [Guid.NewGuid(), Guid.NewGuid()];
                Assert.Empty(await db.Customers.AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(Ct));
            }
            var plans = await db.Database.SqlQueryRaw<PlanCounts>("""
                SELECT generic_plans AS "Generic", custom_plans AS "Custom" FROM pg_prepared_statements
                WHERE statement LIKE '%FROM "Customers"%' AND statement LIKE '%ANY%'
                """).ToListAsync(Ct);
            var counts = Assert.Single(plans);
            Assert.True(counts.Generic > 0, "the prepared look-up ran with its generic plan");
            Assert.Equal(0, counts.Custom);
        }

        Assert.Equal("auto", await PlanModeOfNextUseAsync(backend));
    }

    [Fact]
    public async Task A_unit_that_saves_commits_its_rows_and_leaves_the_session_as_it_found_it()
    {
        var customer = Customer.Create("Ada Generic", app.Clock.GetUtcNow());
        int backend;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await db.UseGenericPlansAsync(Ct);
            backend = await BackendAsync(db);
            db.Customers.Add(customer);
            await db.SaveChangesAsync(Ct);
            // the save ended the unit's transaction, and the setting with it
            Assert.Equal("auto", await PlanModeAsync(db));
            Assert.Equal(EntityState.Unchanged, db.Entry(customer).State);
        }

        Assert.True(await ExistsAsync(customer.Id), "the saved customer is committed");
        Assert.Equal("auto", await PlanModeOfNextUseAsync(backend));
    }

    [Fact]
    public async Task A_save_that_fails_leaves_nothing_half_written_and_can_be_made_again()
    {
        var now = app.Clock.GetUtcNow();
        var added = Customer.Create("Grace Added", now);
        var missing = Customer.Create("Never Stored", now);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        await db.UseGenericPlansAsync(Ct);
        db.Customers.Add(added);
        // an update of a row that is not there: its statement runs after the insert, which must not stay behind
        db.Customers.Attach(missing);
        db.Entry(missing).Property(c => c.Name).IsModified = true;

        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync(Ct));
        Assert.False(await ExistsAsync(added.Id), "the insert of the failed save was rolled back");

        db.Entry(missing).State = EntityState.Detached;
        await db.SaveChangesAsync(Ct);
        Assert.True(await ExistsAsync(added.Id), "saved again, once");
    }

    [Fact]
    public async Task A_unit_whose_transaction_failed_leaves_the_session_as_it_found_it()
    {
        int backend;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await db.UseGenericPlansAsync(Ct);
            backend = await BackendAsync(db);
            await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.Database.ExecuteSqlRawAsync("SELECT 1 / 0", Ct));
            // disposed with its transaction failed and never saved
        }

        Assert.Equal("auto", await PlanModeOfNextUseAsync(backend));
    }

    [Fact]
    public async Task Work_that_does_not_ask_keeps_the_servers_own_choice()
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        await db.Database.OpenConnectionAsync(Ct);
        Assert.Equal("auto", await PlanModeAsync(db));
    }

    /// <summary>Opens units of work one after another until one is given the same pooled session, and reads its mode.</summary>
    private async Task<string> PlanModeOfNextUseAsync(int backend)
    {
        for (var i = 0; i < 20; i++)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            await db.Database.OpenConnectionAsync(Ct);
            if (await BackendAsync(db) == backend) return await PlanModeAsync(db);
        }
        Assert.Fail("The pool did not hand out the same session again.");
        return "";
    }

    private async Task<bool> ExistsAsync(Guid customerId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<LoopdeskDb>().Customers.AnyAsync(c => c.Id == customerId, Ct);
    }

    private static Task<int> BackendAsync(LoopdeskDb db)
        => db.Database.SqlQueryRaw<int>("""SELECT pg_backend_pid() AS "Value" """).SingleAsync(Ct);

    private static Task<string> PlanModeAsync(LoopdeskDb db)
        => db.Database.SqlQueryRaw<string>("""SELECT current_setting('plan_cache_mode') AS "Value" """).SingleAsync(Ct);

    private sealed record PlanCounts(long Generic, long Custom);
}
