using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Data;
using Loopdesk.Platform;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tickets;

/// <summary>A ticket to open, with everything decided at the time of the request.</summary>
public sealed record OpenTicket(CreateTicketRequest Request, Actor Actor, AgentRole Role, DateTimeOffset OccurredAt, DateTimeOffset Now, string? Html, Guid? FollowUpOfId = null,
    IReadOnlyList<Attachment>? Attachments = null);

/// <summary>
/// Opens tickets in groups: requests that arrive together are written in one transaction (group commit), which spends
/// the fixed cost of a save — a transaction, a commit, for PostgreSQL a flush of its log — once per group instead of once
/// per ticket. A request still returns only after its own ticket is committed. When a group fails (a reference drawn
/// twice, a customer made by another process meanwhile), each of its tickets is written on its own, with retries.
/// </summary>
public sealed class TicketWriter : IHostedService, IAsyncDisposable
{
    private const int MaxGroup = 64;

    /// <summary>
    /// Groups written at once: while one group commits, the next reads its customers and runs its rules (on SQLite the
    /// commits still take turns at the write gate). Measured best of 1, 2 and 4 on PostgreSQL, and better than 1 on SQLite
    /// once a save's commands were built before the gate.
    /// </summary>
    private const int Writers = 2;

    private readonly System.Threading.Channels.Channel<Pending> _queue = System.Threading.Channels.Channel.CreateBounded<Pending>(new System.Threading.Channels.BoundedChannelOptions(10_000)
    {
        FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait,
        SingleWriter = false,
    });
    private readonly IServiceScopeFactory _scopes;
    private readonly LoopdeskMetrics _metrics;
    private readonly Lock _startGate = new();
    private Task? _running;

    public TicketWriter(IServiceScopeFactory scopes, LoopdeskMetrics metrics)
    {
        _scopes = scopes;
        _metrics = metrics;
    }

    private sealed record Pending(OpenTicket Command, TaskCompletionSource<Ticket> Done);

    /// <summary>Opens the ticket and returns it (no longer tracked) once it is committed.</summary>
    public async Task<Ticket> OpenAsync(OpenTicket command, CancellationToken ct)
    {
        EnsureRunning();
        var pending = new Pending(command, new TaskCompletionSource<Ticket>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        return await pending.Done.Task;
    }

    private void EnsureRunning()
    {
        if (_running is not null) return;
        lock (_startGate)
        {
            _running ??= Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync)));
        }
    }

    private async Task WriteLoopAsync()
    {
        var group = new List<Pending>(MaxGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var pending)) group.Add(pending);
            if (group.Count > 0) await WriteGroupAsync(group);
        }
    }

    private async Task WriteGroupAsync(List<Pending> group)
    {
        if (group.Count == 1)
        {
            await WriteAloneAsync(group[0]);
            return;
        }
        var built = new List<(Pending Pending, Ticket Ticket)>(group.Count);
        try
        {
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            var lookup = await CustomerLookup.LoadAsync(db, [.. group.Select(p => (p.Command.Request.Customer.Email, p.Command.Request.Customer.Phone))], CancellationToken.None);
            foreach (var pending in group) built.Add((pending, Build(db, pending.Command, lookup)));
            await db.SaveChangesAsync();
        }
        catch (DbUpdateException)
        {
            foreach (var pending in group) await WriteAloneAsync(pending);
            return;
        }
        catch (Exception e)
        {
            foreach (var pending in group) pending.Done.TrySetException(e);
            return;
        }
        foreach (var (pending, ticket) in built) Succeeded(pending, ticket);
    }

    private async Task WriteAloneAsync(Pending pending)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
                var customer = pending.Command.Request.Customer;
                var lookup = await CustomerLookup.LoadAsync(db, [(customer.Email, customer.Phone)], CancellationToken.None);
                var ticket = Build(db, pending.Command, lookup);
                await db.SaveChangesAsync();
                Succeeded(pending, ticket);
                return;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // another request made the same new customer, or a reference collided: start again from the database
            }
            catch (Exception e)
            {
                pending.Done.TrySetException(e);
                return;
            }
        }
    }

    private void Succeeded(Pending pending, Ticket ticket)
    {
        _metrics.TicketsCreated.Add(1, new KeyValuePair<string, object?>("channel", Wire.Name(ticket.Channel)));
        pending.Done.TrySetResult(ticket);
    }

    private static Ticket Build(LoopdeskDb db, OpenTicket c, CustomerLookup lookup)
    {
        var r = c.Request;
        var customer = lookup.Resolve(db, r.Customer.Name, r.Customer.Email, r.Customer.Phone, c.Now);
        var ticket = Ticket.Open(
            new NewTicket(TicketReference.New(), r.Subject, r.Channel, customer.Id, customer.OrganizationId, r.Type, r.Priority, r.Tags, r.TeamId,
                CreatorIsCollaborator: c.Role == AgentRole.Collaborator, FollowUpOfId: c.FollowUpOfId),
            c.Actor, c.OccurredAt, c.Now);
        ticket.AddMessage(new NewMessage(MessageDirection.Inbound, r.Channel, r.Body.Trim(), c.Html, Attachments: c.Attachments), Actor.Customer(customer.Id), c.OccurredAt, c.Now, out _);
        ticket.RecordContact(r.Channel, null, Actor.Customer(customer.Id), c.OccurredAt, c.Now);
        db.Tickets.Add(ticket);
        return ticket;
    }

    /// <summary>The writers start with the first ticket, so a command-line run that opens none starts none.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On shutdown, stops taking tickets and writes those already queued, while the database is still there.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_running is not null) await _running.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_running is not null) await _running;
    }
}
