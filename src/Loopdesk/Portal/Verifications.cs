using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Portal;

public sealed class VerificationRequest
{
    /// <summary>What the customer is asked for, by key: account-number, date-of-birth, card-last4, postcode, phone-number, order-number.</summary>
    [Required, MinLength(1), MaxLength(PortalVerification.MaxFields)]
    public required IReadOnlyList<string> Fields { get; init; }
}

public sealed record VerificationDto(Guid Id, string Reference, IReadOnlyList<string> Fields, string SentTo, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? CompletedAt);

/// <summary>
/// Identity verification for sensitive requests. An agent asks for fields; a single-use link goes to the ticket's
/// customer address (whoever opens it controls that mailbox); the customer fills the fields on the portal; the ticket
/// records <c>verified</c> with the fields given, never their values.
/// </summary>
public sealed class Verifications(TimeProvider clock, IOptions<PortalOptions> options, IOptions<LoopdeskOptions> loopdesk, PortalMail mail)
{
    public const string Requested = "verification.requested";
    public const string Completed = "verified";

    public static void Map(IEndpointRouteBuilder api)
    {
        var group = api.MapGroup("/tickets/{reference}/verifications").WithTags("Tickets").RequireAuthorization(Policies.Agent);
        group.MapPost("/", RequestAsync).WithName("RequestVerification").WithSummary("Ask the customer to verify their identity")
            .WithDescription("Mails the ticket's customer a single-use link (valid Loopdesk:Portal:VerificationHours) to a secure form asking for the fields named. "
                + "The ticket records `verification.requested`, and `verification.completed` with the fields given once the customer sends the form; the values "
                + "themselves are never stored. Unknown fields are 400; a customer without an email address is 422.");
        group.MapGet("/", ListAsync).WithName("ListVerifications").WithSummary("The ticket's identity verifications").WithDescription("Newest first.");
    }

    private static async Task<Results<Created<VerificationDto>, ProblemHttpResult>> RequestAsync(
        string reference, VerificationRequest body, ClaimsPrincipal user, LoopdeskDb db, Verifications verifications, CancellationToken ct)
    {
        var unknown = body.Fields.FirstOrDefault(f => !VerificationFields.All.ContainsKey(f));
        if (unknown is not null) return Problems.Validation("fields", $"Unknown field \"{unknown}\": ask for {string.Join(", ", VerificationFields.All.Keys)}.");
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var (created, problem) = await verifications.StartAsync(db, ticket, [.. body.Fields.Distinct()], user.AgentId(), ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/api/v1/tickets/{ticket.Reference}/verifications", ToDto(created!, ticket.Reference));
    }

    private static async Task<Results<Ok<List<VerificationDto>>, ProblemHttpResult>> ListAsync(string reference, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        var ticket = await TicketEndpoints.FindAsync(db, reference, user, ct);
        if (ticket is null) return Problems.NotFound("ticket");
        var rows = await db.PortalVerifications.AsNoTracking().Where(v => v.TicketId == ticket.Id).OrderByDescending(v => v.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(v => ToDto(v, ticket.Reference)).ToList());
    }

    private static VerificationDto ToDto(PortalVerification v, string reference) => new(v.Id, reference, v.Fields, Mask(v.Email), v.CreatedAt, v.ExpiresAt, v.CompletedAt);

    /// <summary>"a•••@example.org": enough for the agent to tell the customer where to look.</summary>
    public static string Mask(string email)
    {
        var at = email.IndexOf('@', StringComparison.Ordinal);
        return at <= 1 ? "•••" + email[Math.Max(at, 0)..] : email[0] + "•••" + email[at..];
    }

    /// <summary>Starts a verification on a tracked ticket and mails the link; the workspace and the API share it.</summary>
    public async Task<(PortalVerification? Created, ProblemHttpResult? Problem)> StartAsync(LoopdeskDb db, Core.Tickets.Ticket ticket, IReadOnlyList<string> fields, Guid agentId, CancellationToken ct)
    {
        var customerId = ticket.CustomerId;
        var email = await db.CustomerIdentities.Where(i => i.CustomerId == customerId && i.Kind == Core.Customers.IdentityKind.Email)
            .OrderBy(i => i.AddedAt).Select(i => i.Value).FirstOrDefaultAsync(ct);
        if (email is null) return (null, Problems.Unprocessable("verification.no_email", "The customer has no email address to send the link to.", "reference"));
        var now = clock.GetUtcNow();
        var token = LinkTokens.New();
        var verification = new PortalVerification(ticket.Id, customerId, email, fields, LinkTokens.Hash(token), agentId, now, now.AddHours(options.Value.VerificationHours));
        db.PortalVerifications.Add(verification);
        ticket.Remark(Requested, new { verificationId = verification.Id, fields }, Core.Common.Actor.Agent(agentId), now);
        var link = $"{loopdesk.Value.PublicUrl.TrimEnd('/')}/verify?token={token}";
        var labels = string.Join("\n", fields.Select(f => "- " + VerificationFields.All[f]));
        mail.Queue(db, new PortalMailMessage(email, $"Please confirm your identity ({ticket.Reference})",
            $"Hello,\n\nTo go on with your request {ticket.Reference} we need to confirm that it is you. Please open this secure form and fill in:\n\n{labels}\n\n{link}\n\n"
            + $"The link works once, for {options.Value.VerificationHours} hours. We will never ask for these details by email or phone; only on this form.\n"), now);
        await db.SaveChangesAsync(ct);
        return (verification, null);
    }

    /// <summary>The open verification a link names, or null (unknown, used or expired: all alike).</summary>
    public async Task<PortalVerification?> FindOpenAsync(LoopdeskDb db, string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100) return null;
        var hash = LinkTokens.Hash(token);
        var row = await db.PortalVerifications.FirstOrDefaultAsync(v => v.TokenHash == hash, ct);
        return row is not null && row.Open(clock.GetUtcNow()) ? row : null;
    }

    /// <summary>
    /// Completes the verification with what the customer typed: every field must be filled. The values are checked and
    /// dropped; the ticket records which fields were given. False when a field is missing.
    /// </summary>
    public async Task<bool> CompleteAsync(LoopdeskDb db, PortalVerification verification, IReadOnlyDictionary<string, string?> values, CancellationToken ct)
    {
        if (verification.Fields.Any(f => string.IsNullOrWhiteSpace(values.GetValueOrDefault(f)) || values[f]!.Length > 200)) return false;
        var now = clock.GetUtcNow();
        var ticket = await db.Tickets.FirstAsync(t => t.Id == verification.TicketId, ct);
        verification.Complete(now);
        // no stored values to compare with: what is proven is control of the address and that every field was given
        ticket.Remark(Completed, new { verificationId = verification.Id, fields = verification.Fields, addressProven = true, matched = (bool?)null }, Core.Common.Actor.Customer(verification.CustomerId), now);
        await db.SaveChangesAsync(ct);
        return true;
    }
}
