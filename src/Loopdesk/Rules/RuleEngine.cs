using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Rules;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Loopdesk.Rules;

/// <summary>
/// Runs the rules on every ticket event, inside the save that records the event: whatever the rules change, note, send
/// or schedule is committed together with the change that started them, or not at all. Events a rule records are
/// offered to the other rules in turn (up to <see cref="MaxRounds"/> rounds), never to a rule already in their chain of
/// causes, so no rule ever runs on its own change.
/// </summary>
public sealed class RuleEngine(RuleBook book, RuleServices services, Service.SlaTracker sla, Service.Router router, ILogger<RuleEngine> log) : SaveChangesInterceptor
{
    public const int MaxRounds = 8;

    private readonly ConditionalWeakTable<DbContext, RunState> _states = [];

    private sealed class RunState
    {
        public readonly HashSet<Guid> Seen = [];
        public readonly Dictionary<Guid, ImmutableHashSet<Guid>> Chains = [];
        public bool Running;
        /// <summary>The rules opened the context's connection, and the end of the save closes it.</summary>
        public bool Opened;
    }

    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is LoopdeskDb db)
        {
            try
            {
                await RunAsync(db, cancellationToken);
            }
            catch
            {
                await EndAsync(db);
                throw;
            }
        }
        return result;
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context) await EndAsync(context);
        return result;
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
        => eventData.Context is { } context ? EndAsync(context) : Task.CompletedTask;

    public override Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
        => eventData.Context is { } context ? EndAsync(context) : Task.CompletedTask;

    /// <summary>
    /// Ends the rules' part in a save, whichever way it ended. The connection they opened is closed here and never left
    /// open: a pooled context hands an open connection on to its next user, who would hold it for good.
    /// </summary>
    private async Task EndAsync(DbContext context)
    {
        if (!_states.TryGetValue(context, out var state)) return;
        _states.Remove(context);
        if (state.Opened)
        {
            state.Opened = false;
            await context.Database.CloseConnectionAsync();
        }
    }

    private async Task RunAsync(LoopdeskDb db, CancellationToken ct)
    {
        var tracker = db.ChangeTracker;
        var detect = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            if (!tracker.Entries<Ticket>().Any()) return;
            var state = _states.GetOrCreateValue(db);
            if (state.Running) return;
            state.Running = true;
            if (!state.Opened)
            {
                // the rules read with a query or two per event, and the save writes after them: one opening of the
                // connection serves them all (each opening of a SQLite connection registers EF Core's SQL functions on
                // it again, and each of PostgreSQL's takes a connection from the pool); the end of the save closes it
                await db.Database.OpenConnectionAsync(ct);
                state.Opened = true;
            }
            try
            {
                for (var round = 0; round < MaxRounds; round++)
                {
                    // events reach the tracker through their ticket's collections (or are added to it directly), so
                    // looking at the tickets finds them all, without comparing every other tracked row each round;
                    // the save itself still detects every change once
                    foreach (var entry in tracker.Entries<Ticket>().ToList()) entry.DetectChanges();
                    var fresh = tracker.Entries<TicketEvent>()
                        .Where(e => e.State == EntityState.Added && !state.Seen.Contains(e.Entity.Id))
                        .Select(e => e.Entity).OrderBy(e => e.Id).ToList();
                    if (fresh.Count == 0) return;
                    foreach (var e in fresh) state.Seen.Add(e.Id);
                    var snapshot = await book.GetAsync(db, ct);
                    var tickets = tracker.Entries<Ticket>().ToDictionary(e => e.Entity.Id, e => e.Entity);
                    foreach (var ev in fresh)
                    {
                        if (!tickets.TryGetValue(ev.TicketId, out var ticket)) continue;
                        // the service-level clocks move first, so rules see the new due times
                        await sla.OnEventAsync(db, ticket, ev, services.Clock.GetUtcNow(), ct);
                        await router.OnEventAsync(db, ticket, ev, services.Clock.GetUtcNow(), ct);
                        if (!snapshot.ByEvent.TryGetValue(ev.Type, out var rules)) continue;
                        var chain = state.Chains.GetValueOrDefault(ev.Id) ?? [];
                        Facts? facts = null;
                        foreach (var rule in rules)
                        {
                            if (ev.ActorKind == ActorKind.System && ev.ActorId == rule.Id) continue;
                            if (chain.Contains(rule.Id)) continue;
                            var before = ticket.Events.Count;
                            if (rule.Key is null) facts ??= await Facts.ForAsync(db, ticket, ev, snapshot, services.Clock.GetUtcNow(), ct);
                            await RunRuleAsync(db, rule, ticket, ev, facts, ct);
                            var caused = chain.Add(rule.Id);
                            for (var i = before; i < ticket.Events.Count; i++) state.Chains[ticket.Events[i].Id] = caused;
                        }
                    }
                }
                log.LogWarning("Rules stopped after {Rounds} rounds of events caused by rules", MaxRounds);
            }
            finally
            {
                state.Running = false;
            }
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detect;
        }
    }

    /// <summary>Runs one rule on one event and logs what it did. A rule that fails is logged and skipped; the change that started it still saves.</summary>
    private async Task RunRuleAsync(LoopdeskDb db, Rule rule, Ticket ticket, TicketEvent? ev, Facts? facts, CancellationToken ct)
    {
        var now = services.Clock.GetUtcNow();
        var context = new RuleContext(db, rule, ticket, ev, now, services);
        try
        {
            if (rule.Key is { } key)
            {
                await book.Builtins[key].OnEventAsync(context, ct);
            }
            else
            {
                if (!RuleVocabulary.Matches(rule.Match, rule.Conditions, facts!.Values)) return;
                await ApplyActionsAsync(context, ct);
            }
            if (context.Done.Count > 0) db.RuleRuns.Add(new RuleRun(rule.Id, ticket.Id, ev?.Type ?? "timer", RuleOutcome.Applied, string.Join("; ", context.Done), now));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Rule {Rule} failed on ticket {Ticket}", rule.Name, ticket.Reference);
            db.RuleRuns.Add(new RuleRun(rule.Id, ticket.Id, ev?.Type ?? "timer", RuleOutcome.Failed, e.Message, now));
        }
    }

    /// <summary>The pseudo-event of automations: rules listening to it are tried on every unresolved ticket at each sweep.</summary>
    public const string TimeElapsed = "time.elapsed";

    /// <summary>
    /// An automation sweep: every rule listening to <see cref="TimeElapsed"/> is tried on the unresolved tickets, in
    /// batches, and acts on a ticket at most once until the ticket changes again. Conditions like
    /// <c>ticket.hours_since_updated</c> are what make this useful.
    /// </summary>
    public async Task<int> SweepAsync(IServiceProvider services, DateTimeOffset now, CancellationToken ct)
    {
        const int batch = 500;
        var acted = 0;
        for (var skip = 0; ; skip += batch)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
            var snapshot = await book.GetAsync(db, ct);
            if (!snapshot.ByEvent.TryGetValue(TimeElapsed, out var rules)) return acted;
            var tickets = await db.Tickets
                .Where(t => t.Status == TicketStatus.New || t.Status == TicketStatus.Open || t.Status == TicketStatus.Pending || t.Status == TicketStatus.OnHold)
                .OrderBy(t => t.CreatedAt).ThenBy(t => t.Reference).Skip(skip).Take(batch).ToListAsync(ct);
            if (tickets.Count == 0) return acted;
            var ids = tickets.Select(t => t.Id).ToList();
            var ruleIds = rules.Select(r => r.Id).ToList();
            var lastRuns = await db.RuleRuns.AsNoTracking().Where(r => r.TicketId != null && ids.Contains(r.TicketId.Value) && ruleIds.Contains(r.RuleId))
                .GroupBy(r => new { r.RuleId, r.TicketId }).Select(g => new { g.Key.RuleId, g.Key.TicketId, At = g.Max(r => r.At) }).ToListAsync(ct);
            var ranAt = lastRuns.ToDictionary(r => (r.RuleId, r.TicketId!.Value), r => r.At);
            foreach (var ticket in tickets)
            {
                var tick = new TicketEvent(ticket.Id, TimeElapsed, "{}", Actor.System, now, now);
                Facts? facts = null;
                foreach (var rule in rules)
                {
                    // once per quiet spell: not again until the ticket changed after the rule last acted on it
                    if (ranAt.TryGetValue((rule.Id, ticket.Id), out var last) && last >= ticket.UpdatedAt) continue;
                    facts ??= await Facts.ForAsync(db, ticket, tick, snapshot, now, ct);
                    var runs = db.RuleRuns.Local.Count;
                    await RunRuleAsync(db, rule, ticket, tick, facts, ct);
                    if (db.RuleRuns.Local.Count > runs) acted++;
                }
            }
            await db.SaveChangesAsync(ct);
        }
    }

    /// <summary>Runs a rule's timer: the rule acts in the job's transaction and its events go through the rules like any other.</summary>
    public async Task RunTimerAsync(LoopdeskDb db, RuleTimer timer, CancellationToken ct)
    {
        var snapshot = await book.GetAsync(db, ct);
        if (!snapshot.All.TryGetValue(timer.RuleId, out var rule) || !rule.Enabled || rule.Key is not { } key || !book.Builtins.TryGetValue(key, out var builtin)) return;
        var ticket = await db.Tickets.FirstOrDefaultAsync(t => t.Id == timer.TicketId, ct);
        if (ticket is null) return;
        var now = services.Clock.GetUtcNow();
        var context = new RuleContext(db, rule, ticket, null, now, services);
        try
        {
            await builtin.OnTimerAsync(context, timer.Timer, timer.Data ?? default, ct);
            if (context.Done.Count > 0) db.RuleRuns.Add(new RuleRun(rule.Id, ticket.Id, "timer:" + timer.Timer, RuleOutcome.Applied, string.Join("; ", context.Done), now));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning(e, "Rule {Rule} failed on its timer {Timer} for ticket {Ticket}", rule.Name, timer.Timer, ticket.Reference);
            db.ChangeTracker.Clear();
            db.RuleRuns.Add(new RuleRun(rule.Id, timer.TicketId, "timer:" + timer.Timer, RuleOutcome.Failed, e.Message, now));
        }
    }

    private async Task ApplyActionsAsync(RuleContext c, CancellationToken ct)
    {
        var ticket = c.Ticket;
        foreach (var action in c.Rule.Actions)
        {
            var value = action.Value ?? "";
            switch (action.Type)
            {
                case "set_status":
                    Change(c, new TicketChange { Status = Parse<TicketStatus>(value) }, action.Type);
                    break;
                case "set_priority":
                    Change(c, new TicketChange { Priority = Parse<TicketPriority>(value) }, action.Type);
                    break;
                case "set_type":
                    Change(c, new TicketChange { Type = Parse<TicketType>(value) }, action.Type);
                    break;
                case "assign_team":
                    var teamId = Guid.Parse(value);
                    if (!await c.Db.Teams.AnyAsync(t => t.Id == teamId, ct)) throw new InvalidOperationException($"The team {teamId} no longer exists.");
                    Change(c, new TicketChange { TeamId = teamId }, action.Type);
                    break;
                case "assign_agent":
                    var agentId = Guid.Parse(value);
                    if (!await c.Db.Agents.AnyAsync(a => a.Id == agentId && a.Active && a.Role != Core.Agents.AgentRole.Collaborator, ct))
                        throw new InvalidOperationException($"The agent {agentId} is not an active agent.");
                    Change(c, new TicketChange { AssigneeId = agentId }, action.Type);
                    break;
                case "add_tag":
                    Change(c, new TicketChange { Tags = [.. ticket.Tags, value] }, action.Type);
                    break;
                case "remove_tag":
                    var tag = value.Trim().ToLowerInvariant();
                    Change(c, new TicketChange { Tags = [.. ticket.Tags.Where(t => t != tag)] }, action.Type);
                    break;
                case "add_note":
                    var note = await services.Templates.RenderTextAsync(action.Body!, c, await c.CustomerAsync(ct), null, ct);
                    ticket.AddMessage(new NewMessage(MessageDirection.Outbound, ticket.Channel, note, Internal: true), c.Actor, c.Now, c.Now, out _);
                    c.Done.Add("add_note");
                    break;
                case "send_reply":
                    var reply = await services.Templates.RenderTextAsync(action.Body!, c, await c.CustomerAsync(ct), null, ct);
                    if (services.Outbound.SendToCustomer(c.Db, ticket, reply, c.TriggerChannel ?? ticket.Channel, c.Actor, c.Now) is not null) c.Done.Add("send_reply");
                    break;
                case "notify_team":
                    var text = await services.Templates.RenderTextAsync(action.Body!, c, await c.CustomerAsync(ct), null, ct);
                    Outbound.Notify(c.Db, await Outbound.TeamMembersAsync(c.Db, Guid.Parse(value), ct), ticket, "rule", text, c.Now);
                    c.Done.Add("notify_team");
                    break;
                case "webhook":
                    services.Outbound.CallWebhook(c.Db, ticket, c.Rule.Id, value, c.Trigger?.Type ?? "timer", c.Now);
                    c.Done.Add("webhook");
                    break;
                case "create_commitment":
                    var description = await services.Templates.RenderTextAsync(action.Body!, c, await c.CustomerAsync(ct), null, ct);
                    var made = ticket.MakeCommitment(description, c.Now.AddSeconds(action.DueInSeconds ?? 3600), null, c.Actor, c.Now, out var commitment);
                    if (!made.IsOk) throw new InvalidOperationException(made.Message);
                    c.Db.Commitments.Add(commitment);
                    c.Done.Add("create_commitment");
                    break;
                default:
                    throw new InvalidOperationException($"Unknown action {action.Type}.");
            }
        }
        if (c.Done.Count == 0) c.Done.Add("matched; nothing to change");
    }

    private static void Change(RuleContext c, TicketChange change, string action)
    {
        var before = c.Ticket.Version;
        var verdict = c.Ticket.Apply(change, c.Actor, c.Now);
        if (!verdict.IsOk) throw new InvalidOperationException(verdict.Message);
        if (c.Ticket.Version != before) c.Done.Add(action);
    }

    private static T Parse<T>(string value) where T : struct, Enum => Enum.GetValues<T>().First(v => Wire.Name(v) == value);

    /// <summary>The facts conditions test, for one ticket and the event that started the rules.</summary>
    private sealed class Facts
    {
        public required Dictionary<string, object?> Values { get; init; }

        public static async Task<Facts> ForAsync(LoopdeskDb db, Ticket t, TicketEvent ev, RuleBook.Snapshot snapshot, DateTimeOffset now, CancellationToken ct)
        {
            var values = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["ticket.status"] = Wire.Name(t.Status),
                ["ticket.priority"] = Wire.Name(t.Priority),
                ["ticket.type"] = Wire.Name(t.Type),
                ["ticket.channel"] = Wire.Name(t.Channel),
                ["ticket.tier"] = Wire.Name(t.Tier),
                ["ticket.subject"] = t.Subject,
                ["ticket.tags"] = t.Tags,
                ["ticket.team_id"] = t.TeamId?.ToString(),
                ["ticket.assignee_id"] = t.AssigneeId?.ToString(),
                ["ticket.hours_since_created"] = (now - t.CreatedAt).TotalHours,
                ["ticket.hours_since_updated"] = (now - t.UpdatedAt).TotalHours,
                ["event.type"] = ev.Type,
                ["event.actor"] = Wire.Name(ev.ActorKind),
            };
            foreach (var (name, value) in t.CustomFields) values[RuleVocabulary.CustomFieldPrefix + name] = value;
            using var data = JsonDocument.Parse(ev.Data);
            if (data.RootElement.TryGetProperty("messageId", out var mid) && mid.TryGetGuid(out var messageId)
                && t.Messages.FirstOrDefault(m => m.Id == messageId) is { } message)
            {
                values["message.body"] = message.Text;
                values["message.direction"] = Wire.Name(message.Direction);
                values["message.channel"] = Wire.Name(message.Channel);
                values["message.internal"] = message.Internal;
            }
            if (ev.Type == TicketEventTypes.ContactRecorded)
            {
                values["contact.channel"] = data.RootElement.TryGetProperty("channel", out var channel) ? channel.GetString() : null;
                values["contact.summary"] = data.RootElement.TryGetProperty("summary", out var summary) && summary.ValueKind == JsonValueKind.String ? summary.GetString() : null;
            }
            if (snapshot.NeedsContacts)
            {
                var added = t.Contacts.Count(c => db.Entry(c).State == EntityState.Added);
                values["ticket.contacts"] = (double)(await db.Contacts.CountAsync(c => c.TicketId == t.Id, ct) + added);
            }
            if (snapshot.NeedsCustomer)
            {
                var customer = await db.Customers.FindAsync([t.CustomerId], ct) ?? throw new InvalidOperationException("The ticket's customer is gone.");
                values["customer.name"] = customer.Name;
                values["customer.vip"] = customer.Vip;
                values["customer.language"] = customer.Language;
                values["customer.organization_id"] = customer.OrganizationId?.ToString();
                values["customer.email_domain"] = customer.PrimaryEmail is { } email ? email[(email.IndexOf('@') + 1)..] : null;
            }
            if (snapshot.NeedsOpenTickets)
            {
                values["customer.open_tickets"] = (double)await db.Tickets.CountAsync(x => x.CustomerId == t.CustomerId
                    && (x.Status == TicketStatus.New || x.Status == TicketStatus.Open || x.Status == TicketStatus.Pending || x.Status == TicketStatus.OnHold), ct);
            }
            return new Facts { Values = values };
        }
    }
}

/// <summary>Runs the automation sweep and sets the next one.</summary>
public sealed class RuleSweepHandler(RuleEngine engine, Microsoft.Extensions.Options.IOptions<Platform.LoopdeskOptions> options) : Jobs.IJobHandler
{
    public const string JobKind = "rules.sweep";

    public string Kind => JobKind;

    public async Task HandleAsync(Jobs.JobContext context, CancellationToken ct)
    {
        await engine.SweepAsync(context.Services, context.Now, ct);
        Next(context.Db, context.Now, options.Value.Rules.AutomationIntervalSeconds);
    }

    /// <summary>Adds the next sweep; there is one pending sweep at a time (the running one is deleted as this one is added).</summary>
    public static void Next(LoopdeskDb db, DateTimeOffset now, int intervalSeconds)
        => db.Jobs.Add(new Jobs.Job(JobKind, "{}", now.AddSeconds(Math.Max(60, intervalSeconds)), now));

    /// <summary>At start: a sweep is pending, unless one is already.</summary>
    public static async Task EnsureAsync(LoopdeskDb db, DateTimeOffset now, int intervalSeconds, CancellationToken ct)
    {
        if (await db.Jobs.AnyAsync(j => j.Kind == JobKind && j.State == Jobs.JobState.Pending, ct)) return;
        Next(db, now, intervalSeconds);
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>Runs rule timers (<see cref="RuleContext.ScheduleAsync"/>).</summary>
public sealed class RuleTimerHandler(RuleEngine engine) : Jobs.IJobHandler
{
    public const string JobKind = "rule.timer";

    public string Kind => JobKind;

    public Task HandleAsync(Jobs.JobContext context, CancellationToken ct)
    {
        var timer = Wire.Read<RuleTimer>(context.Job.Payload);
        return engine.RunTimerAsync(context.Db, timer, ct);
    }
}
