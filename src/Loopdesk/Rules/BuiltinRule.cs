using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Rules;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>What a setting of a built-in rule holds: a duration in seconds, a count, a number, a flag, an id or text.</summary>
public enum SettingKind { Seconds, Count, Number, Flag, Id, Text }

/// <summary>One setting of a built-in rule, with its default and the range it must stay in.</summary>
public sealed record SettingSpec(SettingKind Kind, object? Default, string Description, double Min = 0, double Max = double.MaxValue)
{
    public JsonElement DefaultJson => JsonSerializer.SerializeToElement(Default);
}

/// <summary>
/// One of the service rules that ship enabled. Its behaviour is code; its switch and its thresholds are a row in the
/// rules table, edited through the same API as any other rule, and read afresh for every event.
/// </summary>
public interface IBuiltinRule
{
    /// <summary>The stable name of the rule (<c>repeat-contact</c>), also its row's key.</summary>
    string Key { get; }

    string Name { get; }

    string Description { get; }

    /// <summary>Position among the rules: built-ins run in DESIGN order before admins' rules.</summary>
    int Position { get; }

    /// <summary>The ticket events the rule reacts to.</summary>
    IReadOnlyList<string> Events { get; }

    IReadOnlyDictionary<string, SettingSpec> Settings { get; }

    Task OnEventAsync(RuleContext c, CancellationToken ct);

    /// <summary>A timer the rule set has fired (<see cref="RuleContext.ScheduleAsync"/>).</summary>
    Task OnTimerAsync(RuleContext c, string timer, JsonElement data, CancellationToken ct);
}

/// <summary>Everything a rule acts with, on one ticket, in the transaction of the change (or of the timer) that started it.</summary>
public sealed class RuleContext(LoopdeskDb db, Rule rule, Ticket ticket, TicketEvent? trigger, DateTimeOffset now, RuleServices services)
{
    private Customer? _customer;

    public LoopdeskDb Db => db;
    public Rule Rule => rule;
    public Ticket Ticket => ticket;
    /// <summary>The event that started the rule; null when a timer did.</summary>
    public TicketEvent? Trigger => trigger;
    public DateTimeOffset Now => now;
    public RuleServices Services => services;
    /// <summary>Changes a rule makes are the system's, carrying the rule's id, so the history says which rule did it.</summary>
    public Actor Actor => new(ActorKind.System, rule.Id);
    /// <summary>What the rule did, for its execution log; nothing logged means it looked and had nothing to do.</summary>
    public List<string> Done { get; } = [];

    public JsonElement TriggerData => trigger is null ? default : JsonDocument.Parse(trigger.Data).RootElement;

    public async Task<Customer> CustomerAsync(CancellationToken ct)
        // a customer made in this very transaction is only in the change tracker, which FindAsync looks at first
        => _customer ??= await db.Customers.FindAsync([ticket.CustomerId], ct) ?? throw new InvalidOperationException("The ticket's customer is gone.");

    /// <summary>Says something to the customer from a template, on <paramref name="channel"/> (default: the channel of the trigger or of the ticket).</summary>
    public async Task<Message?> SendAsync(string templateKey, IReadOnlyDictionary<string, object?>? extra, Channel? channel, CancellationToken ct)
    {
        var customer = await CustomerAsync(ct);
        var text = await services.Templates.RenderAsync(db, templateKey, this, customer, extra, ct);
        var message = services.Outbound.SendToCustomer(db, ticket, text, channel ?? TriggerChannel ?? ticket.Channel, Actor, now);
        if (message is not null) Done.Add($"sent {templateKey}");
        return message;
    }

    /// <summary>Writes an internal note for the agents from a template.</summary>
    public async Task NoteAsync(string templateKey, IReadOnlyDictionary<string, object?>? extra, CancellationToken ct)
    {
        var customer = await CustomerAsync(ct);
        var text = await services.Templates.RenderAsync(db, templateKey, this, customer, extra, ct);
        ticket.AddMessage(new NewMessage(MessageDirection.Outbound, ticket.Channel, text, Internal: true), Actor, now, now, out _);
        Done.Add($"noted {templateKey}");
    }

    /// <summary>Sets (or moves) this rule's timer <paramref name="timer"/> on this ticket.</summary>
    public Task ScheduleAsync(string timer, DateTimeOffset dueAt, object? data, CancellationToken ct)
    {
        Done.Add($"timer {timer} at {dueAt:u}");
        return db.ScheduleAsync(TimerKey(rule.Key ?? rule.Id.ToString(), ticket.Id, timer), RuleTimerHandler.JobKind,
            new RuleTimer(rule.Id, ticket.Id, timer, data is null ? null : JsonSerializer.SerializeToElement(data)), dueAt, now, ticket.Id, ct, IsNew);
    }

    public Task CancelAsync(string timer, CancellationToken ct) => db.CancelAsync(TimerKey(rule.Key ?? rule.Id.ToString(), ticket.Id, timer), ct, IsNew);

    /// <summary>The ticket is being opened in this transaction: nothing of it is stored yet, so look-ups of its past can be skipped.</summary>
    public bool IsNew => db.Entry(ticket).State == EntityState.Added;

    public static string TimerKey(string rule, Guid ticketId, string timer) => $"rule:{rule}:{ticketId}:{timer}";

    /// <summary>The channel of the contact or message that started the rule.</summary>
    public Channel? TriggerChannel
    {
        get
        {
            if (trigger is null) return null;
            var data = TriggerData;
            return data.ValueKind == JsonValueKind.Object && data.TryGetProperty("channel", out var c) && c.GetString() is { } name
                && Enum.GetValues<Channel>().FirstOrDefault(v => Wire.Name(v) == name) is var channel && Wire.Name(channel) == name ? channel : null;
        }
    }

    /// <summary>This ticket's contacts since <paramref name="since"/>, counting those added in this very transaction.</summary>
    public async Task<int> ContactsSinceAsync(DateTimeOffset since, CancellationToken ct)
    {
        var added = ticket.Contacts.Where(c => db.Entry(c).State == EntityState.Added && c.OccurredAt >= since).ToList();
        if (IsNew) return added.Count;
        var addedIds = added.Select(c => c.Id).ToList();
        var saved = await db.Contacts.CountAsync(c => c.TicketId == ticket.Id && c.OccurredAt >= since && !addedIds.Contains(c.Id), ct);
        return saved + added.Count;
    }

    /// <summary>Whether this rule already acted on this ticket in a way recorded as <paramref name="detail"/> (so it acts once).</summary>
    public Task<bool> HasRunAsync(string detail, CancellationToken ct)
    {
        var local = db.RuleRuns.Local.Any(r => r.RuleId == rule.Id && r.TicketId == ticket.Id && r.Detail.Contains(detail, StringComparison.Ordinal));
        return local || IsNew ? Task.FromResult(local) : db.RuleRuns.AnyAsync(r => r.RuleId == rule.Id && r.TicketId == ticket.Id && r.Detail.Contains(detail), ct);
    }
}

/// <summary>The timer payload of a rule.</summary>
public sealed record RuleTimer(Guid RuleId, Guid TicketId, string Timer, JsonElement? Data);

/// <summary>The services rules share, singletons all.</summary>
public sealed class RuleServices(TemplateStore templates, Outbound outbound, TimeProvider clock, Microsoft.Extensions.Options.IOptions<Platform.LoopdeskOptions> options,
    IEnumerable<IServiceExpectations> expectations)
{
    public IServiceExpectations? Expectations { get; } = expectations.FirstOrDefault();
    public TemplateStore Templates => templates;
    public Outbound Outbound => outbound;
    public TimeProvider Clock => clock;
    public Platform.LoopdeskOptions Options => options.Value;
}
