using System.Security.Claims;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tickets;

/// <summary>The ticket use cases the API, the CLI (seed, import) and the workspace share.</summary>
public sealed class TicketCommands(
    TicketWriter writer, TimeProvider clock, HtmlCleaner html, LoopdeskMetrics metrics,
    Rules.RuleBook book, Lexicon.LexiconService lexicon, Rules.Outbound outbound, Teams.KnownTeams teams)
{
    /// <summary>
    /// Opens a ticket with the customer's first message and contact, in one transaction, and returns it once committed.
    /// The ticket is not tracked by any context: load it again to change it.
    /// </summary>
    public Task<Ticket> CreateAsync(CreateTicketRequest request, Actor actor, AgentRole role, CancellationToken ct, Guid? followUpOfId = null,
        IReadOnlyList<Attachment>? attachments = null)
    {
        var now = clock.GetUtcNow();
        return writer.OpenAsync(new OpenTicket(request, actor, role, request.OccurredAt ?? now, now, html.Clean(request.Html), followUpOfId, attachments), ct);
    }

    /// <summary>Applies a partial change to a tracked ticket and saves it; the problem says why nothing changed.</summary>
    public async Task<ProblemHttpResult?> UpdateAsync(LoopdeskDb db, Ticket ticket, UpdateTicketRequest body, ClaimsPrincipal user, CancellationToken ct)
    {
        var change = body.ToChange();
        if (body.TeamId is { HasValue: true, Value: { } teamId } && !await teams.ExistsAsync(db, teamId, ct))
            return Problems.Unprocessable("team.unknown", "No team with that id.", "teamId");
        if (body.AssigneeId is { HasValue: true, Value: { } assigneeId }
            && !await db.Agents.AnyAsync(a => a.Id == assigneeId && a.Active && a.Role != AgentRole.Collaborator, ct))
            return Problems.Unprocessable("agent.unknown", "No active agent with that id can own tickets.", "assigneeId");
        if (body.ShareWith is { } collaboratorId && !await db.Agents.AnyAsync(a => a.Id == collaboratorId && a.Active, ct))
            return Problems.Unprocessable("agent.unknown", "No active staff member with that id.", "shareWith");
        if (body.CustomerId is { } customerId)
        {
            var customer = await db.Customers.AsNoTracking().Where(c => c.Id == customerId).Select(c => new { c.MergedIntoId, c.OrganizationId }).FirstOrDefaultAsync(ct);
            if (customer is null || customer.MergedIntoId is not null)
                return Problems.Unprocessable("customer.unknown", "No current customer with that id.", "customerId");
            change = change with { OrganizationId = customer.OrganizationId };
        }

        var verdict = ticket.Apply(change, user.Actor(), clock.GetUtcNow());
        if (!verdict.IsOk) return Problems.RuleViolation(verdict);
        // a lost race throws DbUpdateConcurrencyException: 412 for the API, "changed meanwhile" in the workspace
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>
    /// Adds a reply, a logged inbound message or an internal note to a tracked ticket and saves it. A reply the lexicon has
    /// findings on is refused unless the caller overrides, and the override is recorded with the message.
    /// </summary>
    public async Task<(Message? Message, ProblemHttpResult? Problem)> AddMessageAsync(
        LoopdeskDb db, Ticket ticket, AddMessageRequest body, ClaimsPrincipal user, CancellationToken ct, IReadOnlyList<Attachment>? attachments = null)
    {
        if (!body.Internal && !user.IsAtLeast(AgentRole.Agent))
            return (null, Problems.Forbidden("Collaborators add internal notes; a reply to the customer is an agent's.", "internal"));

        var findings = 0;
        if (body.Direction == MessageDirection.Outbound && !body.Internal && body.OccurredAt is null
            && (await book.GetAsync(db, ct)).All.Values.FirstOrDefault(r => r.Key == "language") is { Enabled: true } language && language.Flag("requireOverride", true))
        {
            var found = await lexicon.CheckAsync(db, body.Body, ticket, ct);
            findings = found.Count;
            if (findings > 0 && !body.LexiconOverride)
            {
                var problem = Problems.Unprocessable("lexicon.findings",
                    $"The reply has {findings} lexicon finding(s); change the words, or send it with lexiconOverride: true.", "body");
                problem.ProblemDetails.Extensions["findings"] = found.Select(Lexicon.LexiconEndpoints.ToDto).ToList();
                return (null, problem);
            }
        }
        var now = clock.GetUtcNow();
        var channel = body.Channel ?? ticket.Channel;
        // an agent logging what the customer said writes in the customer's name
        var author = body.Direction == MessageDirection.Inbound ? Actor.Customer(ticket.CustomerId) : user.Actor();
        var verdict = ticket.AddMessage(new NewMessage(body.Direction, channel, body.Body.Trim(), html.Clean(body.Html), body.Internal, attachments),
            author, body.OccurredAt ?? now, now, out var message);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        if (findings > 0) message.OverrodeLexicon(findings);
        // imported history was delivered long ago, elsewhere
        if (body.OccurredAt is null) outbound.QueueDelivery(db, message, now);
        if (body.Direction == MessageDirection.Inbound) ticket.RecordContact(channel, null, author, body.OccurredAt ?? now, now);
        await db.SaveChangesAsync(ct);
        metrics.MessagesAdded.Add(1, new KeyValuePair<string, object?>("channel", Wire.Name(channel)));
        return (message, null);
    }

    /// <summary>
    /// Merges a tracked ticket into another of the same customer: its messages, contacts, commitments and mail thread ids
    /// move to the target, and it is closed as merged, all in one transaction. Returns the target.
    /// </summary>
    public async Task<(Ticket? Target, ProblemHttpResult? Problem)> MergeAsync(LoopdeskDb db, Ticket source, string into, ClaimsPrincipal user, CancellationToken ct)
    {
        var target = await TicketEndpoints.FindAsync(db, into, user, ct);
        if (target is null) return (null, Problems.Unprocessable("ticket.unknown", "No ticket with that reference to merge into.", "into"));
        var verdict = source.MergeInto(target, user.Actor(), clock.GetUtcNow());
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var (from, to) = (source.Id, target.Id);
        await db.Messages.Where(m => m.TicketId == from).ExecuteUpdateAsync(u => u.SetProperty(m => m.TicketId, to), ct);
        await db.Contacts.Where(c => c.TicketId == from).ExecuteUpdateAsync(u => u.SetProperty(c => c.TicketId, to), ct);
        await db.Commitments.Where(c => c.TicketId == from).ExecuteUpdateAsync(u => u.SetProperty(c => c.TicketId, to), ct);
        // replies to mail of either ticket thread into the one that lives on
        await db.MailIds.Where(m => m.TicketId == from).ExecuteUpdateAsync(u => u.SetProperty(m => m.TicketId, to), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (target, null);
    }

    /// <summary>
    /// Opens a new ticket for the same customer from one message of a tracked ticket (a second issue raised in the same
    /// mail); the message stays where it was too, and both tickets note the split.
    /// </summary>
    public async Task<(Ticket? Created, ProblemHttpResult? Problem)> SplitAsync(LoopdeskDb db, Ticket ticket, SplitTicketRequest body, ClaimsPrincipal user, CancellationToken ct)
    {
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == body.MessageId && m.TicketId == ticket.Id, ct);
        if (message is null) return (null, Problems.Unprocessable("message.unknown", "No message with that id on this ticket.", "messageId"));
        if (message.Internal) return (null, Problems.Unprocessable("message.internal", "An internal note cannot start a ticket; split a message of the conversation.", "messageId"));
        if (ticket.Status == TicketStatus.Closed) return (null, Problems.Unprocessable("ticket.closed", "A closed ticket cannot be split.", "reference"));
        var subject = string.IsNullOrWhiteSpace(body.Subject) ? Shorten($"{ticket.Subject} (split)") : body.Subject.Trim();
        if (TextRules.FindProblem(subject) is { } bad) return (null, Problems.Validation("subject", $"The subject {bad}."));

        var now = clock.GetUtcNow();
        var actor = user.Actor();
        var created = Ticket.Open(new NewTicket(TicketReference.New(), subject, message.Channel, ticket.CustomerId, ticket.OrganizationId,
            ticket.Type, ticket.Priority, ticket.Tags, ticket.TeamId), actor, now, now);
        var verdict = created.AddMessage(new NewMessage(message.Direction, message.Channel, message.Text, message.Html, false, message.Attachments, null, message.QuotedText),
            new Actor(message.AuthorKind, message.AuthorId), message.OccurredAt, now, out _);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        ticket.SplitInto(created, message.Id, actor, now);
        db.Tickets.Add(created);
        await db.SaveChangesAsync(ct);
        return (created, null);
    }

    private static string Shorten(string subject) => subject.Length <= Ticket.SubjectMaxLength ? subject : subject[..Ticket.SubjectMaxLength];
}
