using System.Security.Claims;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Customers;

public static class CustomerEndpoints
{
    public static RouteGroupBuilder MapCustomers(this IEndpointRouteBuilder app)
    {
        var customers = app.MapGroup("/customers").WithTags("Customers").RequireAuthorization(Policies.Agent);
        customers.MapGet("/", ListAsync).WithName("ListCustomers")
            .WithSummary("List customers").WithDescription("Newest first; `q` searches names. Merged records are left out.");
        customers.MapGet("/lookup", LookupAsync).WithName("LookupCustomer")
            .WithSummary("Find the person")
            .WithDescription("Matches `q` as an email, a phone in any common format, a ticket reference, or a name, in that order; "
                + "each hit says what matched.");
        customers.MapGet("/{id:guid}", GetAsync).WithName("GetCustomer").WithSummary("Get a customer")
            .WithDescription("Agents, supervisors and admins. The ETag is the version to send as `If-Match` when changing it; a merged record is still returned, with `mergedIntoId`. 404 when there is none.");
        customers.MapPost("/", CreateAsync).WithName("CreateCustomer")
            .WithSummary("Create a customer").WithDescription("409 when an email or phone already belongs to someone.");
        customers.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateCustomer")
            .WithSummary("Change a customer").WithDescription("Partial update with optional `If-Match`; listed emails and phones are added.");
        customers.MapGet("/{id:guid}/timeline", TimelineAsync).WithName("CustomerTimeline")
            .WithSummary("Everything with this customer")
            .WithDescription("Every message, contact and commitment on every channel, newest first. Pass `nextCursor` back as `cursor`.");
        customers.MapPost("/{id:guid}/merge", MergeAsync).WithName("MergeCustomers")
            .WithSummary("Merge another record into this one")
            .WithDescription("The source's emails, phones, tickets and contacts move here; the source then points here (`mergedIntoId`).");
        return customers;
    }

    private static async Task<Results<Ok<CustomerPage>, ProblemHttpResult>> ListAsync(
        string? q, string? cursor, int? limit, LoopdeskDb db, ISearchIndex search, CancellationToken ct)
    {
        var size = limit ?? Tickets.Limits.PageSizeDefault;
        if (size is < 1 or > Tickets.Limits.PageSizeMax) return Problems.Validation("limit", $"limit is 1 to {Tickets.Limits.PageSizeMax}.");
        if (!PageCursor.TryDecode(cursor, PageCursor.IsGuidKey, out var after)) return Problems.Validation("cursor", "The cursor is not one this API gave out.");
        var query = db.Customers.AsNoTracking().Where(c => c.MergedIntoId == null);
        if (q is not null)
        {
            if (SearchTerms.Parse(q) is not { } terms) return Problems.Validation("q", "The search has no words in it (letters or digits).");
            var ids = await search.CustomerIdsAsync(db, terms, 500, ct);
            query = query.Where(c => ids.Contains(c.Id));
        }
        if (after is { } a) query = query.Where(c => c.CreatedAt <= a.At);
        var rows = await query.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id).Take(size + 50).ToListAsync(ct);
        var page = PageCursor.After(rows, after, c => c.CreatedAt, c => c.Id).Take(size + 1).ToList();
        string? next = null;
        if (page.Count > size)
        {
            page.RemoveAt(size);
            next = new PageCursor(page[^1].CreatedAt, page[^1].Id).Encode();
        }
        return TypedResults.Ok(new CustomerPage([.. page.Select(c => c.ToDto())], next));
    }

    private static async Task<Results<Ok<List<CustomerMatch>>, ProblemHttpResult>> LookupAsync(
        string? q, LoopdeskDb db, ISearchIndex search, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(q)) return Problems.Validation("q", "Give a name, email, phone or ticket reference.");
        if (q.Length > 320) return Problems.Validation("q", "The query is longer than 320 characters.");
        if (SearchTerms.Parse(q) is null) return Problems.Validation("q", "The query has no letters or digits in it.");
        return TypedResults.Ok(await MatchesAsync(db, search, q, ct));
    }

    /// <summary>The phone-call lookup the API and the workspace share: by email, handle, phone in any format, ticket reference, else name.</summary>
    public static async Task<List<CustomerMatch>> MatchesAsync(LoopdeskDb db, ISearchIndex search, string q, CancellationToken ct)
    {
        var hits = new List<CustomerMatch>();
        var seen = new HashSet<Guid>();
        void Add(string by, string? reference, Customer c)
        {
            var live = c;
            if (seen.Add(live.Id)) hits.Add(new CustomerMatch(by, reference, live.ToDto()));
        }

        if (q.Contains('@', StringComparison.Ordinal) && EmailAddress.Normalize(q, out _) is { } email && await db.FindByEmailAsync(email, ct) is { } byEmail)
            Add("email", null, byEmail);
        if (q.Contains(':', StringComparison.Ordinal) && SocialHandle.Normalize(q, out _) is { } handle)
        {
            var ownerId = await db.CustomerIdentities.Where(i => i.Kind == IdentityKind.Handle && i.Value == handle).Select(i => (Guid?)i.CustomerId).FirstOrDefaultAsync(ct);
            if (ownerId is not null && await db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.Id == ownerId, ct) is { } byHandle) Add("handle", null, byHandle);
        }
        if (PhoneNumber.Normalize(q, out _) is { } phone && await db.FindByPhoneAsync(phone, ct) is { } byPhone)
            Add("phone", null, byPhone);
        if (TicketReference.Parse(q) is { } reference)
        {
            var customerId = await db.Tickets.Where(t => t.Reference == reference).Select(t => (Guid?)t.CustomerId).FirstOrDefaultAsync(ct);
            if (customerId is not null && await db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.Id == customerId, ct) is { } byReference)
                Add("reference", reference, byReference);
        }
        if (hits.Count == 0 && SearchTerms.Parse(q) is { } terms)
        {
            var ids = await search.CustomerIdsAsync(db, terms, 20, ct);
            var byName = await db.Customers.AsNoTracking().Where(c => ids.Contains(c.Id) && c.MergedIntoId == null).ToListAsync(ct);
            foreach (var c in byName.OrderBy(c => ids.ToList().IndexOf(c.Id))) Add("name", null, c);
        }
        return hits;
    }

    private static async Task<Results<Ok<CustomerDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, HttpContext http, CancellationToken ct)
    {
        var customer = await db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, ct);
        if (customer is null) return Problems.NotFound("customer");
        http.Response.Headers.ETag = customer.ETag;
        return TypedResults.Ok(customer.ToDto());
    }

    private static async Task<Results<Created<CustomerDto>, ProblemHttpResult>> CreateAsync(
        CreateCustomerRequest body, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (body.OrganizationId is { } orgId && !await db.Organizations.AnyAsync(o => o.Id == orgId, ct))
            return Problems.Unprocessable("organization.unknown", "No organization with that id.", "organizationId");
        var now = clock.GetUtcNow();
        var customer = Customer.Create(body.Name, now);
        customer.Update(new CustomerChange
        {
            PreferredName = body.PreferredName, Language = body.Language, TimeZone = body.TimeZone, OrganizationId = body.OrganizationId,
            Expertise = body.Expertise, LifetimeValue = body.LifetimeValue, Referrals = body.Referrals, AccountCount = body.AccountCount,
            Vip = body.Vip, Notes = body.Notes,
        }, now);
        if (await AddIdentitiesAsync(db, customer, body.Emails, body.Phones, body.Handles, adding: false, now, ct) is { } conflict) return conflict;
        db.Customers.Add(customer);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return Problems.Conflict("customer.identity_taken", "An email or phone was taken by another customer at the same moment.", "emails");
        }
        http.Response.Headers.ETag = customer.ETag;
        return TypedResults.Created($"/api/v1/customers/{customer.Id}", customer.ToDto());
    }

    private static async Task<Results<Ok<CustomerDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateCustomerRequest body, [FromHeader(Name = "If-Match")] string? ifMatch, LoopdeskDb db, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        var customer = await db.Customers.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (customer is null) return Problems.NotFound("customer");
        if (ifMatch is not null && ifMatch != customer.ETag && ifMatch != "*") return Problems.PreconditionFailed(customer.ETag);
        if (body.OrganizationId is { HasValue: true, Value: { } orgId } && !await db.Organizations.AnyAsync(o => o.Id == orgId, ct))
            return Problems.Unprocessable("organization.unknown", "No organization with that id.", "organizationId");
        var now = clock.GetUtcNow();
        var verdict = customer.Update(body.ToChange(), now);
        if (!verdict.IsOk) return Problems.RuleViolation(verdict);
        if (await AddIdentitiesAsync(db, customer, body.AddEmails, body.AddPhones, body.AddHandles, adding: true, now, ct) is { } conflict) return conflict;
        await db.SaveChangesAsync(ct);
        http.Response.Headers.ETag = customer.ETag;
        return TypedResults.Ok(customer.ToDto());
    }

    private static async Task<ProblemHttpResult?> AddIdentitiesAsync(
        LoopdeskDb db, Customer customer, IReadOnlyList<string>? emails, IReadOnlyList<string>? phones, IReadOnlyList<string>? handles,
        bool adding, DateTimeOffset now, CancellationToken ct)
    {
        // the request's own field names: "emails" when creating, "addEmails" when updating
        string Field(string name) => adding ? "add" + char.ToUpperInvariant(name[0]) + name[1..] : name;
        foreach (var raw in handles ?? [])
        {
            var handle = SocialHandle.Normalize(raw, out _)!;
            var ownerId = await db.CustomerIdentities.Where(i => i.Kind == IdentityKind.Handle && i.Value == handle).Select(i => (Guid?)i.CustomerId).FirstOrDefaultAsync(ct);
            if (ownerId is not null && ownerId != customer.Id)
                return Problems.Conflict("customer.identity_taken", $"{handle} belongs to customer {ownerId}; merge the two instead.", Field("handles"));
            customer.AddIdentity(IdentityKind.Handle, handle, now);
        }
        foreach (var raw in emails ?? [])
        {
            var email = EmailAddress.Normalize(raw, out _)!;
            if (await db.FindByEmailAsync(email, ct) is { } owner && owner.Id != customer.Id)
                return Problems.Conflict("customer.identity_taken", $"{email} belongs to customer {owner.Id}; merge the two instead.", Field("emails"));
            customer.AddIdentity(IdentityKind.Email, email, now);
        }
        foreach (var raw in phones ?? [])
        {
            var phone = PhoneNumber.Normalize(raw, out _)!;
            if (await db.FindByPhoneAsync(phone, ct) is { } owner && owner.Id != customer.Id)
                return Problems.Conflict("customer.identity_taken", $"{phone} belongs to customer {owner.Id}; merge the two instead.", Field("phones"));
            if (!customer.Identities.Any(i => i.Kind == IdentityKind.Phone && PhoneNumber.SameLine(i.Value, phone)))
                customer.AddIdentity(IdentityKind.Phone, phone, now);
        }
        return null;
    }

    private static async Task<Results<Ok<TimelinePage>, ProblemHttpResult>> TimelineAsync(
        Guid id, string? cursor, int? limit, LoopdeskDb db, CancellationToken ct)
    {
        var size = limit ?? 50;
        if (size is < 1 or > 200) return Problems.Validation("limit", "limit is 1 to 200.");
        if (!PageCursor.TryDecode(cursor, PageCursor.IsGuidKey, out var after)) return Problems.Validation("cursor", "The cursor is not one this API gave out.");
        if (!await db.Customers.AnyAsync(c => c.Id == id, ct)) return Problems.NotFound("customer");
        var until = after?.At ?? DateTimeOffset.MaxValue;
        var fetch = size + 50;

        var messages = await (from m in db.Messages.AsNoTracking()
                              join t in db.Tickets.AsNoTracking() on m.TicketId equals t.Id
                              where t.CustomerId == id && m.OccurredAt <= until
                              orderby m.OccurredAt descending, m.Id descending
                              select new TimelineEntry("message", m.Id, m.OccurredAt, m.Channel, t.Reference, t.Subject,
                                  m.Direction == MessageDirection.Inbound ? "inbound" : "outbound", m.Internal,
                                  m.Text.Length > 500 ? m.Text.Substring(0, 500) : m.Text, m.AuthorKind)).Take(fetch).ToListAsync(ct);
        var contacts = await (from c in db.Contacts.AsNoTracking()
                              join t in db.Tickets.AsNoTracking() on c.TicketId equals t.Id into ticket
                              from t in ticket.DefaultIfEmpty()
                              where c.CustomerId == id && c.OccurredAt <= until
                              orderby c.OccurredAt descending, c.Id descending
                              select new TimelineEntry("contact", c.Id, c.OccurredAt, c.Channel, t == null ? null : t.Reference, t == null ? null : t.Subject,
                                  null, false, c.Summary, c.RecordedByKind)).Take(fetch).ToListAsync(ct);
        // a promise appears at the time it was made; its text says what and by when, and whether it was kept
        var commitments = await (from c in db.Commitments.AsNoTracking()
                                 join t in db.Tickets.AsNoTracking() on c.TicketId equals t.Id
                                 where c.CustomerId == id && c.CreatedAt <= until
                                 orderby c.CreatedAt descending, c.Id descending
                                 select new { c.Id, c.CreatedAt, t.Channel, t.Reference, t.Subject, c.Description, c.DueAt, c.KeptAt, c.OverdueAt, c.MadeByKind })
            .Take(fetch).ToListAsync(ct);
        var promised = commitments.Select(c => new TimelineEntry("commitment", c.Id, c.CreatedAt, c.Channel, c.Reference, c.Subject,
            null, false, $"{c.Description} (due {c.DueAt:yyyy-MM-dd HH:mm} UTC)", c.MadeByKind,
            c.KeptAt is not null ? "kept" : c.OverdueAt is not null ? "overdue" : "open"));
        var merged = messages.Concat(contacts).Concat(promised).OrderByDescending(e => e.At).ThenByDescending(e => e.Id.ToString("D").ToUpperInvariant(), StringComparer.Ordinal).ToList();
        var page = PageCursor.After(merged, after, e => e.At, e => e.Id).Take(size + 1).ToList();
        string? next = null;
        if (page.Count > size)
        {
            page.RemoveAt(size);
            next = new PageCursor(page[^1].At, page[^1].Id).Encode();
        }
        return TypedResults.Ok(new TimelinePage(page, next));
    }

    private static async Task<Results<Ok<CustomerDto>, ProblemHttpResult>> MergeAsync(
        Guid id, MergeCustomerRequest body, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        if (body.SourceId is not { } sourceId || sourceId == Guid.Empty) return Problems.Validation("sourceId", "sourceId is required: the id of the customer to merge into this one.");
        var target = await db.Customers.FirstOrDefaultAsync(c => c.Id == id, ct);
        if (target is null) return Problems.NotFound("customer");
        var source = await db.Customers.FirstOrDefaultAsync(c => c.Id == sourceId, ct);
        if (source is null) return Problems.Unprocessable("customer.unknown", "No customer with that sourceId.", "sourceId");
        var now = clock.GetUtcNow();
        var verdict = target.Absorb(source, now);
        if (!verdict.IsOk) return Problems.RuleViolation(verdict);

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // identities move first: the unique index must never see one value twice
        await db.SaveChangesAsync(ct);
        var tickets = await db.Tickets.Where(t => t.CustomerId == source.Id).ToListAsync(ct);
        foreach (var ticket in tickets)
        {
            ticket.Apply(new TicketChange { CustomerId = target.Id, OrganizationId = target.OrganizationId }, user.Actor(), now);
        }
        await db.SaveChangesAsync(ct);
        await db.Contacts.Where(c => c.CustomerId == source.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerId, target.Id), ct);
        await db.Commitments.Where(c => c.CustomerId == source.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerId, target.Id), ct);
        await db.Surveys.Where(c => c.CustomerId == source.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerId, target.Id), ct);
        await db.Suggestions.Where(c => c.CustomerId == source.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerId, target.Id), ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(target.ToDto());
    }
}
