using Loopdesk.Jobs;
using Loopdesk.Platform;

namespace Loopdesk.Incidents;

/// <summary>Registers incidents, the public status page (output cached for anonymous visitors), its subscriptions and credits.</summary>
public static class StatusSetup
{
    public static IServiceCollection AddIncidents(this IServiceCollection services, IConfiguration configuration)
    {
        var seconds = Math.Max(1, configuration.GetValue($"{LoopdeskOptions.Section}:Status:CacheSeconds", 30));
        services.AddOutputCache(o => o.AddPolicy(StatusCache.Policy, b => b.Expire(TimeSpan.FromSeconds(seconds)).Tag(StatusCache.Tag)));
        services.AddSingleton<IncidentCommands>();
        services.AddSingleton<Credits.CreditLedger>();
        services.AddSingleton<StatusSubscriptions>();
        services.AddSingleton<IJobHandler, IncidentNoticeHandler>();
        services.AddSingleton<IJobHandler, StatusMailHandler>();
        return services;
    }

    /// <summary>The public routes outside /api/v1 that are not pages: the Atom feed.</summary>
    public static void MapStatusFeed(this IEndpointRouteBuilder app)
        => app.MapGet("/status/feed.atom", IncidentEndpoints.FeedAsync).AllowAnonymous().CacheOutput(StatusCache.Policy)
            .WithTags("Status page").WithName("StatusFeed").WithSummary("The status page as an Atom 1.0 feed")
            .WithDescription("Public: published incidents, current and resolved within Loopdesk:Status:PastDays, newest change first.");
}
