using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Loopdesk.Chat;

/// <summary>
/// Chat signals for agents' own tools (the workspace's console hears them in-process): every queued chat, change of
/// hands or state, line and visitor typing, as <c>Signal {chatId, kind, teamId, agentId, data}</c>. Agents and up, by
/// session cookie or API token.
/// </summary>
[Authorize(Policy = Policies.Agent)]
public sealed class AgentHub : Hub
{
    public const string Everyone = "agents";

    public override async Task OnConnectedAsync()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, Everyone);
        await base.OnConnectedAsync();
    }
}

/// <summary>Passes what this process publishes on the chat bus to the agent hub (which the Redis backplane, when set, spreads to every process).</summary>
public sealed class AgentHubRelay(ChatBus bus, IHubContext<AgentHub> hub, ILogger<AgentHubRelay> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        bus.PublishedHere += Relay;
        return Task.CompletedTask;
    }

    private void Relay(ChatSignal signal)
        => hub.Clients.Group(AgentHub.Everyone).SendAsync("Signal", signal).ContinueWith(t => log.LogWarning(t.Exception, "A chat signal did not reach the agent hub"),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    public Task StopAsync(CancellationToken cancellationToken)
    {
        bus.PublishedHere -= Relay;
        return Task.CompletedTask;
    }
}
