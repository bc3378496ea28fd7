using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Rules;

namespace Loopdesk.Chat;

public static class ChatSetup
{
    /// <summary>
    /// Live chat: the service, the visitor hub (on SignalR, through Redis when <c>Loopdesk:Redis</c> is set so several
    /// server processes share visitors and agents), the chat channel's delivery, the watch over silent chats, and the
    /// cross-origin policy the widget's calls go through (each site's own allowed origins are checked by the endpoints
    /// and the hub).
    /// </summary>
    public static IServiceCollection AddChat(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ChatBus>();
        services.AddSingleton<ChatService>();
        services.AddSingleton<VisitorTokens>();
        services.AddSingleton<IChannelAdapter, ChatChannel>();
        services.AddSingleton<IJobHandler, ChatWatchHandler>();
        services.AddHostedService<AgentHubRelay>();
        var signalR = services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = 16 * 1024;
                o.EnableDetailedErrors = false;
            })
            .AddJsonProtocol(o => Json.Configure(o.PayloadSerializerOptions));
        if (configuration[$"{LoopdeskOptions.Section}:Redis"] is { Length: > 0 } redis)
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("loopdesk"));
        services.AddCors(o => o.AddPolicy(ChatEndpoints.CorsPolicy, p => p.SetIsOriginAllowed(_ => true).AllowAnyHeader().WithMethods("GET", "POST").AllowCredentials()));
        return services;
    }
}
