using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>How a customer has sounded lately: the latest and average scores of their last messages, and which way it goes.</summary>
public sealed record SentimentTrend(double? Latest, double? Average, string Trend, bool SoundsAngry, IReadOnlyList<double> Recent);

/// <summary>What an agent should know before answering (the know-the-customer rule).</summary>
public sealed record CustomerProfileDto(
    Guid CustomerId, string Name, bool Vip, ExpertiseLevel? Expertise, decimal LifetimeValue, int Referrals, int WindowSeconds,
    IReadOnlyDictionary<string, int> ContactsByChannel, int ContactsInWindow, int OpenTickets, SentimentTrend Sentiment);

public static class CustomerProfileEndpoints
{
    private const int RecentMessages = 10;

    public static void MapCustomerProfile(this IEndpointRouteBuilder app)
    {
        app.MapGet("/customers/{id:guid}/profile", ProfileAsync).WithTags("Customers").RequireAuthorization(Policies.Agent)
            .WithName("CustomerProfile").WithSummary("Know the customer")
            .WithDescription("Contacts in the recent window per channel (the know-the-customer rule's profileWindowSeconds, default 7 days), open tickets, "
                + "the sentiment of their last messages (VADER compound, -1 to 1) with its trend and whether they sound angry, expertise, value and referrals.");
    }

    private static async Task<Results<Ok<CustomerProfileDto>, ProblemHttpResult>> ProfileAsync(Guid id, LoopdeskDb db, RuleBook book, TimeProvider clock, CancellationToken ct)
        => await LoadAsync(db, book, clock.GetUtcNow(), id, ct) is { } profile ? TypedResults.Ok(profile) : Problems.NotFound("customer");

    /// <summary>The profile the API serves and the workspace's customer panel shows; null for an unknown customer.</summary>
    public static async Task<CustomerProfileDto?> LoadAsync(LoopdeskDb db, RuleBook book, DateTimeOffset now, Guid id, CancellationToken ct)
    {
        var customer = await db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (customer is null) return null;
        var rule = (await book.GetAsync(db, ct)).All.Values.FirstOrDefault(r => r.Key == "know-the-customer");
        var window = rule?.Seconds("profileWindowSeconds", 604_800) ?? TimeSpan.FromDays(7);
        var threshold = rule?.Number("angryThreshold", -0.6) ?? -0.6;
        var since = now - window;

        var channels = await db.Contacts.AsNoTracking().Where(c => c.CustomerId == id && c.OccurredAt >= since)
            .GroupBy(c => c.Channel).Select(g => new { Channel = g.Key, Count = g.Count() }).ToListAsync(ct);
        var open = await db.Tickets.CountAsync(t => t.CustomerId == id
            && (t.Status == TicketStatus.New || t.Status == TicketStatus.Open || t.Status == TicketStatus.Pending || t.Status == TicketStatus.OnHold), ct);
        var scores = await (from m in db.Messages.AsNoTracking()
                            join t in db.Tickets.AsNoTracking() on m.TicketId equals t.Id
                            where t.CustomerId == id && m.Direction == MessageDirection.Inbound && m.Sentiment != null
                            orderby m.OccurredAt descending, m.Id descending
                            select m.Sentiment!.Value).Take(RecentMessages).ToListAsync(ct);

        return new CustomerProfileDto(customer.Id, customer.Name, customer.Vip, customer.Expertise, customer.LifetimeValue, customer.Referrals,
            (int)window.TotalSeconds, channels.ToDictionary(c => Wire.Name(c.Channel), c => c.Count), channels.Sum(c => c.Count), open, Trend(scores, threshold));
    }

    /// <summary>Newest first in; the trend compares the newer half of the recent messages with the older half.</summary>
    internal static SentimentTrend Trend(IReadOnlyList<double> newestFirst, double angryThreshold)
    {
        if (newestFirst.Count == 0) return new SentimentTrend(null, null, "unknown", false, []);
        var latest = newestFirst[0];
        var average = Math.Round(newestFirst.Average(), 4);
        var trend = "steady";
        if (newestFirst.Count >= 2)
        {
            var half = newestFirst.Count / 2;
            var newer = newestFirst.Take(half).Average();
            var older = newestFirst.Skip(half).Average();
            if (newer - older >= 0.2) trend = "improving";
            else if (older - newer >= 0.2) trend = "worsening";
        }
        return new SentimentTrend(latest, average, trend, latest <= angryThreshold, [.. newestFirst]);
    }
}
