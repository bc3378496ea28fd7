using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Rules;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>
/// Delivers an outbound message on one channel (email, chat, SMS…). A channel plugs in by registering one; a message on
/// a channel with no adapter stays on the ticket, where the customer reads it in the portal.
/// </summary>
public interface IChannelAdapter
{
    Channel Channel { get; }

    /// <summary>Whether the channel can deliver now (email: a mailbox that sends is set up). When not, messages stay on the ticket.</summary>
    bool Ready => true;

    /// <summary>
    /// Sends the message and says how it went; throws to have the delivery tried again later. The request's delivery
    /// id is the same on a repeat, so the far side can drop a duplicate.
    /// </summary>
    Task<DeliveryResult> DeliverAsync(DeliveryRequest r, CancellationToken ct);
}

/// <summary>
/// An adapter that sends several messages at once, reading what they need together. It only reads through the
/// requests' context (the handler saves); each request gets its result or the exception it would have thrown alone.
/// </summary>
public interface IChannelBatchAdapter : IChannelAdapter
{
    Task<IReadOnlyList<(DeliveryResult? Result, Exception? Error)>> DeliverAllAsync(IReadOnlyList<DeliveryRequest> requests, CancellationToken ct);
}

/// <summary>One delivery: the message, its ticket and customer, and a database context to read more from.</summary>
public sealed record DeliveryRequest(Guid DeliveryId, Message Message, Ticket Ticket, Customer Customer, LoopdeskDb Db, DateTimeOffset Now);

/// <summary>How a delivery went: sent, or suppressed (a loop or flood guard) or failed for good, with the detail.</summary>
public sealed record DeliveryResult(DeliveryState State, string? Detail)
{
    public static DeliveryResult Sent(string? detail = null) => new(DeliveryState.Sent, detail);
}

/// <summary>What leaves the process because of a rule: messages to the customer, notices to staff, webhook calls; all through the outbox.</summary>
public sealed class Outbound(IEnumerable<IChannelAdapter> adapters)
{
    public const string DeliverKind = "message.deliver";
    public const string WebhookKind = "webhook.call";

    private readonly Dictionary<Channel, IChannelAdapter> _adapters = adapters.GroupBy(a => a.Channel).ToDictionary(g => g.Key, g => g.Last());

    /// <summary>
    /// Adds an outbound message to the ticket and, when a channel adapter delivers that channel, queues its delivery in
    /// the same transaction; without one the message stays on the ticket for the portal. Null when the ticket takes no messages.
    /// </summary>
    public Message? SendToCustomer(LoopdeskDb db, Ticket ticket, string text, Channel channel, Actor actor, DateTimeOffset now)
    {
        if (!ticket.AddMessage(new NewMessage(MessageDirection.Outbound, channel, text), actor, now, now, out var message).IsOk) return null;
        QueueDelivery(db, message, now);
        return message;
    }

    /// <summary>Queues the delivery of an outbound message (an agent's reply, a rule's words) on its channel, if an adapter delivers it.</summary>
    public void QueueDelivery(LoopdeskDb db, Message message, DateTimeOffset now)
    {
        if (message.Direction != MessageDirection.Outbound || message.Internal) return;
        if (!_adapters.TryGetValue(message.Channel, out var adapter) || !adapter.Ready) return;
        message.RecordDelivery(DeliveryState.Queued, null, now);
        db.Enqueue(DeliverKind, new Delivery(message.Id, message.TicketId), now, message.TicketId);
    }

    /// <summary>Tells staff members something, in the same transaction.</summary>
    public static void Notify(LoopdeskDb db, IEnumerable<Guid> agentIds, Ticket? ticket, string kind, string text, DateTimeOffset now)
    {
        foreach (var id in agentIds.Distinct()) db.Notifications.Add(new Notification(id, ticket?.Id, kind, text, now));
    }

    /// <summary>The members of a team (its lead included), active ones only.</summary>
    public static async Task<List<Guid>> TeamMembersAsync(LoopdeskDb db, Guid teamId, CancellationToken ct)
    {
        var lead = await db.Teams.Where(t => t.Id == teamId).Select(t => t.LeadId).FirstOrDefaultAsync(ct);
        var members = await db.Agents.Where(a => a.Active && a.TeamIds.Contains(teamId)).Select(a => a.Id).ToListAsync(ct);
        if (lead is { } l) members.Add(l);
        return members;
    }

    public void CallWebhook(LoopdeskDb db, Ticket ticket, Guid ruleId, string url, string eventType, DateTimeOffset now)
        => db.Enqueue(WebhookKind, new WebhookCall(url, ruleId, ticket.Id, ticket.Reference, eventType), now, ticket.Id);
}

public sealed record Delivery(Guid MessageId, Guid TicketId);

public sealed record WebhookCall(string Url, Guid RuleId, Guid TicketId, string Reference, string Event);

/// <summary>
/// Runs <see cref="Outbound.DeliverKind"/> jobs through the channel's adapter. Deliveries due together are read
/// together (their messages, tickets and customers in three queries) and, on a channel that sends in batches, sent as
/// one batch; a channel that does not (live chat) gets its deliveries one by one.
/// </summary>
public sealed class DeliveryHandler(IEnumerable<IChannelAdapter> adapters) : IJobBatchHandler
{
    private readonly Dictionary<Channel, IChannelAdapter> _adapters = adapters.GroupBy(a => a.Channel).ToDictionary(g => g.Key, g => g.Last());

    public string Kind => Outbound.DeliverKind;

    // every acknowledgement and reply goes through here: the reads are compiled once
    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<Message>>> MessagesByIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids) => db.Messages.Where(m => ids.Contains(m.Id))));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<Ticket>>> TicketsByIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids) => db.Tickets.AsNoTracking().Where(t => ids.Contains(t.Id))));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<Customer>>> CustomersByIds = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids) => db.Customers.AsNoTracking().Include(c => c.Identities).Where(c => ids.Contains(c.Id))));

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var (outcome, error) = (await HandleAsync([context.Job], context.Db, context.Now, alone: true, ct))[0];
        if (outcome == JobOutcome.Kinds.Failed) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error!);
    }

    public Task<IReadOnlyList<JobOutcome>> HandleBatchAsync(IReadOnlyList<Job> jobs, LoopdeskDb db, IServiceProvider services, DateTimeOffset now, CancellationToken ct)
        => HandleAsync(jobs, db, now, alone: false, ct);

    private async Task<IReadOnlyList<JobOutcome>> HandleAsync(IReadOnlyList<Job> jobs, LoopdeskDb db, DateTimeOffset now, bool alone, CancellationToken ct)
    {
        var deliveries = jobs.Select(j => Wire.Read<Delivery>(j.Payload)).ToList();
        var messages = new Dictionary<Guid, Message>();
        await foreach (var m in MessagesByIds.For(db)(db, [.. deliveries.Select(d => d.MessageId).Distinct()]).WithCancellation(ct)) messages[m.Id] = m;
        var ticketIds = deliveries.Where(d => messages.ContainsKey(d.MessageId)).Select(d => d.TicketId).Distinct().ToList();
        var tickets = new Dictionary<Guid, Ticket>();
        if (ticketIds.Count > 0) await foreach (var t in TicketsByIds.For(db)(db, ticketIds).WithCancellation(ct)) tickets[t.Id] = t;
        var customerIds = tickets.Values.Select(t => t.CustomerId).Distinct().ToList();
        var customers = new Dictionary<Guid, Customer>();
        if (customerIds.Count > 0) await foreach (var c in CustomersByIds.For(db)(db, customerIds).WithCancellation(ct)) customers[c.Id] = c;

        var outcomes = new JobOutcome[jobs.Count];
        var batches = new Dictionary<IChannelBatchAdapter, List<(int Index, DeliveryRequest Request)>>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var delivery = deliveries[i];
            outcomes[i] = JobOutcome.Done;
            // the ticket is gone; a channel without an adapter keeps the message on the ticket, read in the portal
            if (!messages.TryGetValue(delivery.MessageId, out var message) || !_adapters.TryGetValue(message.Channel, out var adapter)) continue;
            if (!tickets.TryGetValue(delivery.TicketId, out var ticket))
                outcomes[i] = JobOutcome.Failed(new InvalidOperationException("The ticket of the message is gone."));
            else if (!customers.TryGetValue(ticket.CustomerId, out var customer))
                outcomes[i] = JobOutcome.Failed(new InvalidOperationException("The customer of the ticket is gone."));
            else
            {
                var request = new DeliveryRequest(jobs[i].Id, message, ticket, customer, db, now);
                if (adapter is IChannelBatchAdapter together)
                {
                    if (!batches.TryGetValue(together, out var list)) batches[together] = list = [];
                    list.Add((i, request));
                }
                else if (!alone) outcomes[i] = JobOutcome.Alone; // it may save as it goes (live chat): in a context of its own
                else
                {
                    try
                    {
                        var result = await adapter.DeliverAsync(request, ct);
                        message.RecordDelivery(result.State, result.Detail, now);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        outcomes[i] = JobOutcome.Failed(e);
                    }
                }
            }
        }
        foreach (var (adapter, list) in batches)
        {
            var results = await adapter.DeliverAllAsync([.. list.Select(x => x.Request)], ct);
            for (var k = 0; k < list.Count; k++)
            {
                var (index, request) = list[k];
                if (results[k] is { Result: { } result }) request.Message.RecordDelivery(result.State, result.Detail, now);
                else outcomes[index] = JobOutcome.Failed(results[k].Error ?? new InvalidOperationException("The channel gave no result."));
            }
        }
        return outcomes;
    }
}

/// <summary>
/// Calls a rule's webhook: a JSON POST naming the rule, the ticket and the event, with the delivery id in
/// <c>Loopdesk-Delivery</c>. The address is checked again at call time against what its name resolves to, so a name
/// that points inside the network is refused unless private webhooks are allowed.
/// </summary>
public sealed class WebhookHandler(IHttpClientFactory http, Microsoft.Extensions.Options.IOptions<Platform.LoopdeskOptions> options) : IJobHandler
{
    public const string ClientName = "webhooks";

    public string Kind => Outbound.WebhookKind;

    public async Task HandleAsync(JobContext context, CancellationToken ct)
    {
        var call = Wire.Read<WebhookCall>(context.Job.Payload);
        var allowPrivate = options.Value.Rules.AllowPrivateWebhooks;
        var check = RuleVocabulary.CheckWebhookUrl(call.Url, allowPrivate);
        if (!check.IsOk) throw new InvalidOperationException(check.Message);
        var uri = new Uri(call.Url);
        if (!allowPrivate)
        {
            var addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, ct);
            if (addresses.Length == 0 || addresses.Any(RuleVocabulary.IsPrivate))
                throw new InvalidOperationException($"The webhook host {uri.Host} resolves to a private address.");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = System.Net.Http.Json.JsonContent.Create(new
            {
                deliveryId = context.Job.Id,
                @event = call.Event,
                ruleId = call.RuleId,
                ticket = new { id = call.TicketId, reference = call.Reference },
                sentAt = context.Now,
            }),
        };
        request.Headers.Add("Loopdesk-Delivery", context.Job.Id.ToString());
        using var response = await http.CreateClient(ClientName).SendAsync(request, ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"The webhook answered {(int)response.StatusCode}.", null, response.StatusCode);
    }

    /// <summary>The connection step of the webhook client: refuses to connect to a private address a name resolved to.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken ct)
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
        var allowed = addresses.Where(a => allowPrivate || !RuleVocabulary.IsPrivate(a)).ToArray();
        if (allowed.Length == 0) throw new HttpRequestException($"The webhook host {context.DnsEndPoint.Host} resolves to no public address.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
