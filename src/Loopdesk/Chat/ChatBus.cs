using System.Text.Json;
using Loopdesk.Core.Common;
using StackExchange.Redis;

namespace Loopdesk.Chat;

/// <summary>Something agents' screens should know about a chat: it queued, changed hands or state, got a line, or the visitor types.</summary>
public sealed record ChatSignal(Guid ChatId, string Kind, Guid? TeamId, Guid? AgentId, object? Data = null)
{
    public const string Queued = "queued";
    public const string Changed = "changed";
    public const string Line = "line";
    public const string VisitorTyping = "typing";
    public const string Idle = "idle";
}

/// <summary>
/// Tells the agents' screens in this process about chats. With <c>Loopdesk:Redis</c> set, every signal goes through Redis
/// so that an agent on one server process hears a visitor on another (the visitors' side goes through SignalR's Redis
/// backplane).
/// </summary>
public sealed class ChatBus : IDisposable
{
    private static readonly RedisChannel Topic = RedisChannel.Literal("loopdesk:chat-signals");
    private readonly ConnectionMultiplexer? _redis;
    private readonly ILogger<ChatBus> _log;

    public ChatBus(IConfiguration configuration, ILogger<ChatBus> log)
    {
        _log = log;
        var redis = configuration[$"{Platform.LoopdeskOptions.Section}:Redis"];
        if (string.IsNullOrWhiteSpace(redis)) return;
        _redis = ConnectionMultiplexer.Connect(redis);
        _redis.GetSubscriber().Subscribe(Topic, (_, value) =>
        {
            try
            {
                var wire = Wire.Read<WireSignal>(value.ToString());
                Raise(new ChatSignal(wire.ChatId, wire.Kind, wire.TeamId, wire.AgentId, wire.Data));
            }
            catch (JsonException e)
            {
                _log.LogWarning(e, "A chat signal from Redis could not be read");
            }
        });
    }

    private sealed record WireSignal(Guid ChatId, string Kind, Guid? TeamId, Guid? AgentId, JsonElement? Data);

    /// <summary>Every signal, from this process or (with Redis) any other.</summary>
    public event Action<ChatSignal>? Signalled;

    /// <summary>Only the signals this process published, for what spreads them further itself (the agent hub, over SignalR's backplane).</summary>
    public event Action<ChatSignal>? PublishedHere;

    public void Publish(ChatSignal signal)
    {
        PublishedHere?.Invoke(signal);
        if (_redis is null)
        {
            Raise(signal);
            return;
        }
        var data = signal.Data is null ? (JsonElement?)null : JsonDocument.Parse(Wire.Json(signal.Data)).RootElement.Clone();
        _redis.GetSubscriber().Publish(Topic, Wire.Json(new WireSignal(signal.ChatId, signal.Kind, signal.TeamId, signal.AgentId, data)), CommandFlags.FireAndForget);
    }

    private void Raise(ChatSignal signal)
    {
        foreach (var listener in Signalled?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<ChatSignal>)listener)(signal);
            }
            catch (Exception e)
            {
                _log.LogWarning(e, "A chat screen failed on a signal");
            }
        }
    }

    public void Dispose() => _redis?.Dispose();
}
