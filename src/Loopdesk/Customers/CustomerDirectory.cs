using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Customers;

/// <summary>Finds the one person behind an email or phone, or creates them: shared by every channel.</summary>
public static class CustomerDirectory
{
    public static async Task<Customer?> FindByEmailAsync(this LoopdeskDb db, string normalizedEmail, CancellationToken ct)
        => (await db.WithIdentitiesAsync(IdentityKind.Email, [normalizedEmail], ct)).FirstOrDefault();

    public static async Task<Customer?> FindByPhoneAsync(this LoopdeskDb db, string normalizedPhone, CancellationToken ct)
        => CustomerLookup.SamePhone(await db.WithIdentitiesAsync(IdentityKind.Phone, [PhoneNumber.Tail(normalizedPhone)], ct), normalizedPhone);

    /// <summary>
    /// The customers owning an identity of this kind with one of these keys: an email's normalized address, a phone's
    /// match key (its last digits). The identities are searched first, through their index; asking for customers whose
    /// identities match would scan every customer. Both queries are compiled, as every new ticket runs them.
    /// </summary>
    internal static async Task<List<Customer>> WithIdentitiesAsync(this LoopdeskDb db, IdentityKind kind, List<string> keys, CancellationToken ct)
    {
        var owners = kind == IdentityKind.Phone ? OwnersByMatchKey.For(db)(db, kind, keys) : OwnersByValue.For(db)(db, kind, keys);
        var ids = await owners.ToListAsync(ct);
        return ids.Count == 0 ? [] : await CustomersById.For(db)(db, ids).ToListAsync(ct);
    }

    private static readonly CompiledQuery<Func<LoopdeskDb, IdentityKind, List<string>, IAsyncEnumerable<Guid>>> OwnersByValue = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, IdentityKind kind, List<string> keys) => db.CustomerIdentities.Where(i => i.Kind == kind && keys.Contains(i.Value)).Select(i => i.CustomerId).Distinct()));

    private static readonly CompiledQuery<Func<LoopdeskDb, IdentityKind, List<string>, IAsyncEnumerable<Guid>>> OwnersByMatchKey = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, IdentityKind kind, List<string> keys) => db.CustomerIdentities.Where(i => i.Kind == kind && keys.Contains(i.MatchKey)).Select(i => i.CustomerId).Distinct()));

    private static readonly CompiledQuery<Func<LoopdeskDb, List<Guid>, IAsyncEnumerable<Customer>>> CustomersById = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<Guid> ids) => db.Customers.Where(c => ids.Contains(c.Id))));
}

/// <summary>
/// Everything a group of contacts needs to find its people, read in at most three queries (customers by email, by phone,
/// organizations by domain) instead of a few per contact; new customers made while resolving the group are found by
/// the contacts after them, so one group never makes one person twice.
/// </summary>
public sealed class CustomerLookup
{
    private readonly Dictionary<string, Customer> _byEmail = [];
    private readonly Dictionary<string, List<Customer>> _byPhoneTail = [];
    private readonly Dictionary<string, Guid> _organizationByDomain = [];

    private CustomerLookup() { }

    public static async Task<CustomerLookup> LoadAsync(LoopdeskDb db, IReadOnlyCollection<(string? Email, string? Phone)> people, CancellationToken ct)
    {
        var lookup = new CustomerLookup();
        var emails = people.Select(p => p.Email is null ? null : EmailAddress.Normalize(p.Email, out _)).OfType<string>().Distinct().ToList();
        var tails = people.Select(p => p.Phone is null ? null : PhoneNumber.Normalize(p.Phone, out _)).OfType<string>().Select(PhoneNumber.Tail).Distinct().ToList();
        if (emails.Count > 0)
        {
            foreach (var c in await db.WithIdentitiesAsync(IdentityKind.Email, emails, ct)) lookup.Remember(c);
            var domains = emails.Select(e => e[(e.IndexOf('@', StringComparison.Ordinal) + 1)..]).Distinct().ToList();
            await foreach (var o in OrganizationsByDomain.For(db)(db, domains).WithCancellation(ct))
                lookup._organizationByDomain.TryAdd(o.Domain, o.Id);
        }
        if (tails.Count > 0)
        {
            foreach (var c in await db.WithIdentitiesAsync(IdentityKind.Phone, tails, ct)) lookup.Remember(c);
        }
        return lookup;
    }

    private sealed record DomainOwner(Guid Id, string Domain);

    private static readonly CompiledQuery<Func<LoopdeskDb, List<string>, IAsyncEnumerable<DomainOwner>>> OrganizationsByDomain = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, List<string> domains) => db.Organizations.Where(o => o.Domain != null && domains.Contains(o.Domain)).Select(o => new DomainOwner(o.Id, o.Domain!))));

    /// <summary>The known customer this email or phone belongs to (the email first), as <see cref="Resolve"/> finds them; null for a newcomer.</summary>
    public Customer? Find(string? email, string? phone)
        => Known(email is null ? null : EmailAddress.Normalize(email, out _), phone is null ? null : PhoneNumber.Normalize(phone, out _));

    private Customer? Known(string? normalizedEmail, string? normalizedPhone)
        => (normalizedEmail is null ? null : _byEmail.GetValueOrDefault(normalizedEmail)) ?? ByPhone(normalizedPhone);

    /// <summary>The customer this contact comes from, made (and added to <paramref name="db"/>) when nobody knows them.</summary>
    public Customer Resolve(LoopdeskDb db, string? name, string? email, string? phone, DateTimeOffset now)
    {
        var normalizedEmail = email is null ? null : EmailAddress.Normalize(email, out _);
        var normalizedPhone = phone is null ? null : PhoneNumber.Normalize(phone, out _);
        var customer = Known(normalizedEmail, normalizedPhone);

        if (customer is null)
        {
            var displayName = !string.IsNullOrWhiteSpace(name) ? name : normalizedEmail?.Split('@')[0] ?? normalizedPhone ?? "Customer";
            customer = Customer.Create(displayName, now);
            if (normalizedEmail is not null)
            {
                customer.AddIdentity(IdentityKind.Email, normalizedEmail, now);
                if (_organizationByDomain.TryGetValue(normalizedEmail.Split('@')[1], out var organizationId))
                    customer.Update(new CustomerChange { OrganizationId = organizationId }, now);
            }
            if (normalizedPhone is not null) customer.AddIdentity(IdentityKind.Phone, normalizedPhone, now);
            db.Customers.Add(customer);
            Remember(customer);
            return customer;
        }

        // a known customer learns an email or phone nobody has yet
        if (normalizedEmail is not null && !_byEmail.ContainsKey(normalizedEmail))
        {
            customer.AddIdentity(IdentityKind.Email, normalizedEmail, now);
            Remember(customer);
        }
        if (normalizedPhone is not null && ByPhone(normalizedPhone) is null)
        {
            customer.AddIdentity(IdentityKind.Phone, normalizedPhone, now);
            Remember(customer);
        }
        return customer;
    }

    internal static Customer? SamePhone(IEnumerable<Customer> candidates, string phone)
    {
        var list = candidates.ToList();
        return list.FirstOrDefault(c => c.Identities.Any(i => i.Kind == IdentityKind.Phone && i.Value == phone))
            ?? list.FirstOrDefault(c => c.Identities.Any(i => i.Kind == IdentityKind.Phone && PhoneNumber.SameLine(i.Value, phone)));
    }

    private Customer? ByPhone(string? phone)
        => phone is not null && _byPhoneTail.TryGetValue(PhoneNumber.Tail(phone), out var candidates) ? SamePhone(candidates, phone) : null;

    private void Remember(Customer customer)
    {
        foreach (var identity in customer.Identities)
        {
            if (identity.Kind == IdentityKind.Email) _byEmail.TryAdd(identity.Value, customer);
            else if (identity.Kind == IdentityKind.Phone)
            {
                if (!_byPhoneTail.TryGetValue(identity.MatchKey, out var list)) _byPhoneTail[identity.MatchKey] = list = [];
                if (!list.Contains(customer)) list.Add(customer);
            }
        }
    }
}
