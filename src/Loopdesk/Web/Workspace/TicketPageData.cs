using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Service;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Web.Workspace;

/// <summary>One entry of a ticket's timeline: a message, a note, a logged contact or a change.</summary>
public sealed record TimelineEntry(
    string Kind, DateTimeOffset At, string Who, string Title, string? Text, string? Html, Channel? Channel, bool Internal,
    Guid? MessageId = null, string? Quoted = null, DeliveryState? Delivery = null, IReadOnlyList<Attachment>? Attachments = null);

public sealed record NamedId(Guid Id, string Name);

public sealed record SlaLine(string Metric, DateTimeOffset Due);

public sealed record LinkedTicket(string Reference, string Subject, TicketStatus Status, string Relation);

/// <summary>Everything the ticket page shows, read in one short-lived context.</summary>
public sealed class TicketPageData
{
    public required Ticket Ticket { get; init; }
    public required Customer Customer { get; init; }
    public required List<TimelineEntry> Timeline { get; init; }
    public required List<NamedId> Teams { get; init; }
    public required List<NamedId> Agents { get; init; }
    public required List<SlaTime> Sla { get; init; }
    public required List<Commitment> Commitments { get; init; }
    public required List<LinkedTicket> Linked { get; init; }
    /// <summary>The standard procedures that fit the ticket, with their steps ticked or not.</summary>
    public List<Procedures.ChecklistDto> Checklists { get; init; } = [];
    /// <summary>The rule of three noticed rounds of writing without a fix: the composer offers a call.</summary>
    public bool OfferCall { get; init; }
    /// <summary>The customer's other tickets that are not closed: what this one could be merged into.</summary>
    public required List<LinkedTicket> MergeCandidates { get; init; }

    public static async Task<TicketPageData?> LoadAsync(LoopdeskDb db, string reference, System.Security.Claims.ClaimsPrincipal user, CancellationToken ct)
    {
        var parsed = TicketReference.Parse(reference);
        if (parsed is null) return null;
        var ticket = await db.Tickets.AsNoTracking().VisibleTo(user).FirstOrDefaultAsync(t => t.Reference == parsed, ct);
        if (ticket is null) return null;
        var customer = await db.Customers.AsNoTracking().Include(c => c.Identities).FirstAsync(c => c.Id == ticket.CustomerId, ct);
        var staff = await db.Agents.AsNoTracking().Select(a => new { a.Id, a.Name, a.Active, a.Role }).ToListAsync(ct);
        var names = staff.ToDictionary(a => a.Id, a => a.Name);
        string Who(ActorKind kind, Guid? id) => kind switch
        {
            ActorKind.Customer => customer.PreferredName ?? customer.Name,
            ActorKind.Agent => id is { } a && names.TryGetValue(a, out var n) ? n : "A former colleague",
            _ => "Loopdesk",
        };

        var timeline = new List<TimelineEntry>();
        var messages = await db.Messages.AsNoTracking().Where(m => m.TicketId == ticket.Id).ToListAsync(ct);
        foreach (var m in messages)
        {
            var kind = m.Internal ? "note" : m.Direction == MessageDirection.Inbound ? "inbound" : "outbound";
            var title = m.Internal ? "Internal note" : m.Direction == MessageDirection.Inbound ? $"{Labels.Channel(m.Channel)} from the customer" : $"Reply by {Labels.Channel(m.Channel).ToLowerInvariant()}";
            timeline.Add(new TimelineEntry(kind, m.OccurredAt, Who(m.AuthorKind, m.AuthorId), title, m.Text, m.Html, m.Channel, m.Internal,
                m.Id, m.QuotedText, m.Delivery, m.Attachments));
        }
        var contacts = await db.Contacts.AsNoTracking().Where(c => c.TicketId == ticket.Id && c.Summary != null).ToListAsync(ct);
        foreach (var c in contacts)
            timeline.Add(new TimelineEntry("contact", c.OccurredAt, Who(c.RecordedByKind, c.RecordedById), $"{Labels.Channel(c.Channel)} contact logged", c.Summary, null, c.Channel, false));
        var teams = await db.Teams.AsNoTracking().OrderBy(t => t.Name).Select(t => new NamedId(t.Id, t.Name)).ToListAsync(ct);
        var teamNames = teams.ToDictionary(t => t.Id, t => t.Name);
        var events = await db.TicketEvents.AsNoTracking().Where(e => e.TicketId == ticket.Id).ToListAsync(ct);
        // messages, notes and logged calls are entries of their own; their events would only repeat them
        foreach (var e in events.Where(e => !Repeats.Contains(e.Type)))
            timeline.Add(new TimelineEntry("event", e.OccurredAt, Who(e.ActorKind, e.ActorId), Describe(e, names, teamNames), null, null, null, false));

        var lines = (await SlaTimes.ForTicketsAsync(db, [ticket.Id], ct)).GetValueOrDefault(ticket.Id) ?? [];

        var linked = new List<LinkedTicket>();
        if (ticket.FollowUpOfId is { } parent)
            linked.AddRange(await db.Tickets.AsNoTracking().Where(t => t.Id == parent).Select(t => new LinkedTicket(t.Reference, t.Subject, t.Status, "Follows up")).ToListAsync(ct));
        linked.AddRange(await db.Tickets.AsNoTracking().Where(t => t.FollowUpOfId == ticket.Id).Select(t => new LinkedTicket(t.Reference, t.Subject, t.Status, "Followed up by")).ToListAsync(ct));
        // merges and splits are told by the events of both tickets
        var links = events.Select(e => Link(e)).OfType<(string Relation, Guid Id)>().ToList();
        var ids = links.Select(l => l.Id).ToList();
        var others = await db.Tickets.AsNoTracking().Where(t => ids.Contains(t.Id)).Select(t => new { t.Id, t.Reference, t.Subject, t.Status }).ToListAsync(ct);
        foreach (var (relation, id) in links)
        {
            if (others.FirstOrDefault(o => o.Id == id) is { } o) linked.Add(new LinkedTicket(o.Reference, o.Subject, o.Status, relation));
        }
        var mergeCandidates = await db.Tickets.AsNoTracking()
            .Where(t => t.CustomerId == ticket.CustomerId && t.Id != ticket.Id && t.Status != TicketStatus.Closed)
            .OrderByDescending(t => t.CreatedAt).Take(20).Select(t => new LinkedTicket(t.Reference, t.Subject, t.Status, "Same customer")).ToListAsync(ct);

        return new TicketPageData
        {
            Ticket = ticket,
            Customer = customer,
            Timeline = [.. timeline.OrderByDescending(e => e.At)],
            Teams = teams,
            Agents = [.. staff.Where(a => a.Active && a.Role != Core.Agents.AgentRole.Collaborator).OrderBy(a => a.Name).Select(a => new NamedId(a.Id, a.Name))],
            Sla = lines,
            Commitments = await db.Commitments.AsNoTracking().Where(c => c.TicketId == ticket.Id).OrderBy(c => c.DueAt).ToListAsync(ct),
            Linked = linked,
            MergeCandidates = mergeCandidates,
            Checklists = await Procedures.Checklists.ForTicketAsync(db, ticket, ct),
            OfferCall = TicketLifecycle.IsUnresolved(ticket.Status) && events.Any(e => e.Type == TicketEventTypes.RuleNoted && e.Data.Contains("\"offer-call\"", StringComparison.Ordinal)),
        };
    }

    private static readonly HashSet<string> Repeats =
        [TicketEventTypes.Created, TicketEventTypes.MessageAdded, TicketEventTypes.NoteAdded, TicketEventTypes.ContactRecorded, TicketEventTypes.RuleNoted,
            Procedures.Checklists.StepEvent];

    private static (string Relation, Guid Id)? Link(TicketEvent e)
    {
        (string Relation, string Field)? kind = e.Type switch
        {
            TicketEventTypes.Merged => ("Merged into", "intoId"),
            TicketEventTypes.MergedIn => ("Merged in", "fromId"),
            TicketEventTypes.SplitOut => ("Split into", "intoId"),
            TicketEventTypes.SplitFrom => ("Split from", "fromId"),
            _ => null,
        };
        if (kind is not { } k) return null;
        using var json = JsonDocument.Parse(e.Data);
        return json.RootElement.TryGetProperty(k.Field, out var id) && id.TryGetGuid(out var guid) ? (k.Relation, guid) : null;
    }

    private static string Describe(TicketEvent e, Dictionary<Guid, string> agents, Dictionary<Guid, string> teams)
    {
        using var json = JsonDocument.Parse(e.Data);
        var data = json.RootElement;
        string? To() => data.ValueKind == JsonValueKind.Object && data.TryGetProperty("to", out var to) && to.ValueKind == JsonValueKind.String ? to.GetString() : null;
        Guid? ToId() => Guid.TryParse(To(), out var id) ? id : null;
        string? Text(string name) => data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return e.Type switch
        {
            TicketEventTypes.StatusChanged => $"Status set to {To()}",
            TicketEventTypes.PriorityChanged => $"Priority set to {To()}",
            TicketEventTypes.Assigned => ToId() is { } a ? $"Assigned to {agents.GetValueOrDefault(a, "a former colleague")}" : "Unassigned",
            TicketEventTypes.TeamChanged => ToId() is { } t ? $"Moved to team {teams.GetValueOrDefault(t, "(deleted team)")}" : "Removed from its team",
            TicketEventTypes.TagsChanged => "Tags changed",
            TicketEventTypes.Escalated => $"Escalated to tier {To()}",
            TicketEventTypes.CommitmentMade => "Commitment made",
            TicketEventTypes.CommitmentKept => "Commitment kept",
            TicketEventTypes.CommitmentOverdue => "Commitment overdue",
            TicketEventTypes.MessageBounced => "A reply bounced",
            TicketEventTypes.Merged => $"Merged into {Text("into")}; its conversation continues there",
            TicketEventTypes.MergedIn => $"{Text("from")} was merged into this ticket",
            TicketEventTypes.SplitOut => $"A message was split into {Text("into")}",
            TicketEventTypes.SplitFrom => $"Split from {Text("from")}",
            _ => char.ToUpperInvariant(e.Type[0]) + e.Type[1..].Replace('.', ' ').Replace('_', ' '),
        };
    }
}
