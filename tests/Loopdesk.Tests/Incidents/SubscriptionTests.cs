using System.Net;
using Loopdesk.Data;
using Loopdesk.Incidents;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Incidents;

/// <summary>Email subscriptions to the status page: double opt-in, unsubscribe, and what is refused.</summary>
public abstract class SubscriptionTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<T> DbAsync<T>(Func<LoopdeskDb, Task<T>> read)
    {
        using var scope = app.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }

    /// <summary>The confirmation link's token as the mail would carry it (the outbox entry holds it sealed).</summary>
    private async Task<string> ConfirmTokenAsync(Guid subscriberId)
    {
        var payloads = await DbAsync(db => db.Jobs.AsNoTracking().Where(j => j.Kind == StatusSubscriptions.MailKind && j.Payload.Contains(subscriberId.ToString())).Select(j => j.Payload).ToListAsync(Ct));
        var mail = Core.Common.Wire.Read<StatusMail>(payloads.Last(p => p.Contains("\"token\":\"", StringComparison.Ordinal)));
        return app.Services.GetRequiredService<StatusSubscriptions>().ConfirmToken(mail.Token!)!;
    }

    [Fact]
    public async Task Subscribing_takes_a_confirmation_and_the_address_hears_nothing_before()
    {
        using var browser = app.CreateClient();
        var email = $"Reader{Guid.NewGuid():N}@Example.com";
        var (status, html) = await StatusKit.SubscribeAsync(browser, email, Ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("confirmation link is on its way", html);

        var stored = email.ToLowerInvariant();
        var subscriber = await DbAsync(db => db.StatusSubscribers.AsNoTracking().SingleAsync(s => s.Email == stored, Ct));
        Assert.Null(subscriber.ConfirmedAt);
        var token = await ConfirmTokenAsync(subscriber.Id);
        // only the token's hash is kept
        Assert.Equal(StatusSubscriptions.Hash(token), subscriber.ConfirmTokenHash);
        Assert.NotEqual(token, subscriber.ConfirmTokenHash);

        // opening the link is not enough (mail scanners open links); the button confirms
        var landing = await browser.GetStringAsync($"/status/confirm?token={token}", Ct);
        Assert.Contains("Yes, send me status updates", landing);
        Assert.Null((await DbAsync(db => db.StatusSubscribers.AsNoTracking().SingleAsync(s => s.Id == subscriber.Id, Ct))).ConfirmedAt);
        var (confirmStatus, confirmed) = await StatusKit.SubmitAsync(browser, $"/status/confirm?token={token}", "confirm", null, Ct);
        Assert.Equal(HttpStatusCode.OK, confirmStatus);
        Assert.Contains("Confirmed", confirmed);
        var after = await DbAsync(db => db.StatusSubscribers.AsNoTracking().SingleAsync(s => s.Id == subscriber.Id, Ct));
        Assert.NotNull(after.ConfirmedAt);
        Assert.Null(after.ConfirmTokenHash);

        // the link works once
        var (reuseStatus, reused) = await StatusKit.SubmitAsync(browser, $"/status/confirm?token={token}", "confirm", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, reuseStatus);
        Assert.Contains("not valid any more", reused);

        // asking again for a confirmed address says the same and sends nothing
        var jobsBefore = await DbAsync(db => db.Jobs.CountAsync(j => j.Kind == StatusSubscriptions.MailKind && j.Payload.Contains(subscriber.Id.ToString()), Ct));
        var (_, again) = await StatusKit.SubscribeAsync(browser, email, Ct);
        Assert.Contains("confirmation link is on its way", again);
        Assert.Equal(jobsBefore, await DbAsync(db => db.Jobs.CountAsync(j => j.Kind == StatusSubscriptions.MailKind && j.Payload.Contains(subscriber.Id.ToString()), Ct)));
    }

    [Fact]
    public async Task A_confirmation_link_runs_out()
    {
        using var browser = app.CreateClient();
        var email = $"late{Guid.NewGuid():N}@example.com";
        await StatusKit.SubscribeAsync(browser, email, Ct);
        var id = await DbAsync(db => db.StatusSubscribers.Where(s => s.Email == email).Select(s => s.Id).SingleAsync(Ct));
        var token = await ConfirmTokenAsync(id);
        app.Clock.Advance(TimeSpan.FromHours(49));
        var (status, html) = await StatusKit.SubmitAsync(browser, $"/status/confirm?token={token}", "confirm", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("not valid any more", html);
        Assert.Null((await DbAsync(db => db.StatusSubscribers.AsNoTracking().SingleAsync(s => s.Id == id, Ct))).ConfirmedAt);
        var (guessStatus, _) = await StatusKit.SubmitAsync(browser, "/status/confirm?token=made-up-token", "confirm", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, guessStatus);
    }

    [Fact]
    public async Task Unsubscribing_deletes_the_address()
    {
        using var browser = app.CreateClient();
        var email = $"bye{Guid.NewGuid():N}@example.com";
        await StatusKit.SubscribeAsync(browser, email, Ct);
        var id = await DbAsync(db => db.StatusSubscribers.Where(s => s.Email == email).Select(s => s.Id).SingleAsync(Ct));
        var token = app.Services.GetRequiredService<StatusSubscriptions>().UnsubscribeToken(id);
        var (status, html) = await StatusKit.SubmitAsync(browser, $"/status/unsubscribe?token={Uri.EscapeDataString(token)}", "unsubscribe", null, Ct);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("your address is deleted", html);
        Assert.False(await DbAsync(db => db.StatusSubscribers.AnyAsync(s => s.Id == id, Ct)));
        var (forged, _) = await StatusKit.SubmitAsync(browser, $"/status/unsubscribe?token={Uri.EscapeDataString(token[..^4] + "AAAA")}", "unsubscribe", null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, forged);
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("two@@example.com")]
    [InlineData("")]
    [InlineData("spaces in@example.com")]
    public async Task A_malformed_address_is_refused_with_a_clear_message_and_nothing_is_stored(string email)
    {
        using var browser = app.CreateClient();
        var before = await DbAsync(db => db.StatusSubscribers.CountAsync(Ct));
        var jobs = await DbAsync(db => db.Jobs.CountAsync(j => j.Kind == StatusSubscriptions.MailKind, Ct));
        var (status, html) = await StatusKit.SubscribeAsync(browser, email, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("The address ", html);
        Assert.Contains("role=\"alert\"", html);
        Assert.Equal(before, await DbAsync(db => db.StatusSubscribers.CountAsync(Ct)));
        Assert.Equal(jobs, await DbAsync(db => db.Jobs.CountAsync(j => j.Kind == StatusSubscriptions.MailKind, Ct)));
    }

    [Fact]
    public async Task A_form_without_its_anti_forgery_token_is_refused()
    {
        using var browser = app.CreateClient();
        var email = $"csrf{Guid.NewGuid():N}@example.com";
        using var response = await browser.PostAsync("/status/subscribe", new FormUrlEncodedContent(new Dictionary<string, string> { ["_handler"] = "subscribe", ["Email"] = email }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(await DbAsync(db => db.StatusSubscribers.AnyAsync(s => s.Email == email, Ct)));
    }
}

public sealed class SubscriptionsOnSqlite(RoomySqliteApp app) : SubscriptionTests(app), IClassFixture<RoomySqliteApp>;

public sealed class SubscriptionsOnPostgres(RoomyPostgresApp app) : SubscriptionTests(app), IClassFixture<RoomyPostgresApp>;

/// <summary>A flood of subscriptions from one address: a few go through, the rest are refused and leave nothing behind.</summary>
public abstract class SubscriptionFloodTests(LoopdeskApp app)
{
    [Fact]
    public async Task A_thousand_subscriptions_from_one_address_are_refused_after_a_few()
    {
        var ct = TestContext.Current.CancellationToken;
        using var browser = app.CreateClient();
        var page = await browser.GetStringAsync("/status/subscribe", ct);
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 1000; i++)
        {
            using var response = await browser.PostAsync("/status/subscribe", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "subscribe", ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token), ["Email"] = $"flood{i}@example.com",
            }), ct);
            statuses.Add(response.StatusCode);
            if (i == 999) Assert.Contains("Too many subscriptions", await response.Content.ReadAsStringAsync(ct));
        }
        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(995, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        Assert.Equal(5, await db.StatusSubscribers.CountAsync(s => s.Email.StartsWith("flood"), ct));
        Assert.Equal(5, await db.Jobs.CountAsync(j => j.Kind == StatusSubscriptions.MailKind, ct));
    }
}

public sealed class SubscriptionFloodOnSqlite(SqliteApp app) : SubscriptionFloodTests(app), IClassFixture<SqliteApp>;

public sealed class SubscriptionFloodOnPostgres(PostgresApp app) : SubscriptionFloodTests(app), IClassFixture<PostgresApp>;
