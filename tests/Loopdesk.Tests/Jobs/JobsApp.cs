using System.Collections.Concurrent;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Jobs;

/// <summary>One delivery an adapter was asked to make.</summary>
public sealed record Delivered(Guid DeliveryId, Guid MessageId, Guid TicketId, string Reference, Guid CustomerId, string? CustomerEmail, string Text);

/// <summary>
/// An email channel that records what it is asked to deliver. It stands in for the email and chat adapters built later,
/// which plug in the same way: one <see cref="IChannelAdapter"/> per channel. Like the email channel it takes the
/// deliveries due together as one batch; it refuses those to an address in <see cref="Refused"/>, as a server that is down would.
/// </summary>
public sealed class RecordingChannel : IChannelBatchAdapter
{
    private readonly ConcurrentQueue<Delivered> _delivered = new();
    private readonly ConcurrentQueue<int> _batches = new();

    public Channel Channel => Channel.Email;

    public IReadOnlyList<Delivered> All => [.. _delivered];

    /// <summary>How many deliveries each call was given, in order.</summary>
    public IReadOnlyList<int> Batches => [.. _batches];

    public ConcurrentDictionary<string, bool> Refused { get; } = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<Delivered> For(Guid ticketId) => [.. _delivered.Where(d => d.TicketId == ticketId)];

    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest r, CancellationToken ct)
    {
        var (result, error) = (await DeliverAllAsync([r], ct))[0];
        return result ?? throw error!;
    }

    public Task<IReadOnlyList<(DeliveryResult? Result, Exception? Error)>> DeliverAllAsync(IReadOnlyList<DeliveryRequest> requests, CancellationToken ct)
    {
        _batches.Enqueue(requests.Count);
        var results = new List<(DeliveryResult?, Exception?)>();
        foreach (var r in requests)
        {
            if (r.Customer.PrimaryEmail is { } to && Refused.ContainsKey(to))
            {
                results.Add((null, new IOException($"{to}: the server refused the connection.")));
                continue;
            }
            _delivered.Enqueue(new Delivered(r.DeliveryId, r.Message.Id, r.Ticket.Id, r.Ticket.Reference, r.Customer.Id, r.Customer.PrimaryEmail, r.Message.Text));
            results.Add((DeliveryResult.Sent(), null));
        }
        return Task.FromResult<IReadOnlyList<(DeliveryResult?, Exception?)>>(results);
    }
}

/// <summary>The host settings the job tests run with: a recording email channel, webhooks to this machine allowed, three attempts.</summary>
public static class JobsSetup
{
    public const int MaxAttempts = 3;

    public static void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Loopdesk:Jobs:MaxAttempts", MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Loopdesk:Jobs:RetryDelaySeconds", "10");
        builder.UseSetting("Loopdesk:Rules:AllowPrivateWebhooks", "true");
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<RecordingChannel>();
            services.AddSingleton<IChannelAdapter>(sp => sp.GetRequiredService<RecordingChannel>());
        });
    }

    /// <summary>The recording channel of a host built with <see cref="Configure"/>.</summary>
    public static RecordingChannel Deliveries(this LoopdeskApp app) => app.Services.GetRequiredService<RecordingChannel>();
}

public sealed class JobsSqliteApp : SqliteApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        JobsSetup.Configure(builder);
    }
}

public sealed class JobsPostgresApp : PostgresApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        JobsSetup.Configure(builder);
    }
}
