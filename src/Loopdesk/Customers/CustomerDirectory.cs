using Loopdesk.Core.Customers;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Customers;

/// <summary>Finds the one person behind an email or phone, or creates them: shared by every channel.</summary>
public static class CustomerDirectory
{
    public static async Task<Customer?> FindByEmailAsync(this LoopdeskDb db, string normalizedEmail, CancellationToken ct)
    {
        var customerId = await db.CustomerIdentities.Where(i => i.Kind == IdentityKind.Email && i.Value == normalizedEmail)
            .Select(i => (Guid?)i.CustomerId).FirstOrDefaultAsync(ct);
        return customerId is null ? null : await db.Customers.FirstOrDefaultAsync(c => c.Id == customerId, ct);
    }

    public static async Task<Customer?> FindByPhoneAsync(this LoopdeskDb db, string normalizedPhone, CancellationToken ct)
    {
        var tail = PhoneNumber.Tail(normalizedPhone);
        var candidates = await db.CustomerIdentities.Where(i => i.Kind == IdentityKind.Phone && i.MatchKey == tail)
            .Select(i => new { i.CustomerId, i.Value }).ToListAsync(ct);
        var match = candidates.FirstOrDefault(c => c.Value == normalizedPhone) ?? candidates.FirstOrDefault(c => PhoneNumber.SameLine(c.Value, normalizedPhone));
        return match is null ? null : await db.Customers.FirstOrDefaultAsync(c => c.Id == match.CustomerId, ct);
    }

    /// <summary>
    /// The customer with this email, else this phone, else a new one (joined to the organization of the email's domain).
    /// A known customer learns the other identity when nobody else has it. Nothing is saved here.
    /// </summary>
    public static async Task<Customer> FindOrCreateAsync(this LoopdeskDb db, string? name, string? email, string? phone, DateTimeOffset now, CancellationToken ct)
    {
        var normalizedEmail = email is null ? null : EmailAddress.Normalize(email, out _);
        var normalizedPhone = phone is null ? null : PhoneNumber.Normalize(phone, out _);
        var customer = normalizedEmail is null ? null : await db.FindByEmailAsync(normalizedEmail, ct);
        customer ??= normalizedPhone is null ? null : await db.FindByPhoneAsync(normalizedPhone, ct);

        if (customer is null)
        {
            var displayName = !string.IsNullOrWhiteSpace(name) ? name : normalizedEmail?.Split('@')[0] ?? normalizedPhone ?? "Customer";
            customer = Customer.Create(displayName, now);
            if (normalizedEmail is not null)
            {
                customer.AddIdentity(IdentityKind.Email, normalizedEmail, now);
                var domain = normalizedEmail.Split('@')[1];
                var organizationId = await db.Organizations.Where(o => o.Domain == domain).Select(o => (Guid?)o.Id).FirstOrDefaultAsync(ct);
                if (organizationId is not null) customer.Update(new CustomerChange { OrganizationId = organizationId }, now);
            }
            if (normalizedPhone is not null) customer.AddIdentity(IdentityKind.Phone, normalizedPhone, now);
            db.Customers.Add(customer);
            return customer;
        }

        if (normalizedEmail is not null && !customer.Identities.Any(i => i.Kind == IdentityKind.Email && i.Value == normalizedEmail)
            && await db.FindByEmailAsync(normalizedEmail, ct) is null)
        {
            customer.AddIdentity(IdentityKind.Email, normalizedEmail, now);
        }
        if (normalizedPhone is not null && !customer.Identities.Any(i => i.Kind == IdentityKind.Phone && PhoneNumber.SameLine(i.Value, normalizedPhone))
            && await db.FindByPhoneAsync(normalizedPhone, ct) is null)
        {
            customer.AddIdentity(IdentityKind.Phone, normalizedPhone, now);
        }
        return customer;
    }
}
