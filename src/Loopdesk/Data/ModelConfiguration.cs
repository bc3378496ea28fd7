using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Teams;
using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Data;

/// <summary>
/// Plain comparers for list columns. The general ones EF builds for primitive collections snapshot through reflection
/// on every save, which showed as a large share of the time to open a ticket.
/// </summary>
internal static class ListComparers
{
    public static readonly ValueComparer<List<string>> Strings = new(
        (a, b) => a == b || (a != null && b != null && a.SequenceEqual(b)),
        v => v.Count == 0 ? 0 : HashCode.Combine(v.Count, v[0]),
        v => new List<string>(v));

    public static readonly ValueComparer<List<Guid>> Guids = new(
        (a, b) => a == b || (a != null && b != null && a.SequenceEqual(b)),
        v => v.Count == 0 ? 0 : HashCode.Combine(v.Count, v[0]),
        v => new List<Guid>(v));
}

internal sealed class TicketConfiguration : IEntityTypeConfiguration<Ticket>
{
    public void Configure(EntityTypeBuilder<Ticket> b)
    {
        b.HasKey(t => t.Id);
        b.Property(t => t.Reference).HasMaxLength(16);
        b.HasIndex(t => t.Reference).IsUnique();
        b.Property(t => t.Subject).HasMaxLength(Ticket.SubjectMaxLength);
        b.Property(t => t.Version).IsConcurrencyToken();
        b.Ignore(t => t.ETag);
        b.PrimitiveCollection(t => t.Tags).Metadata.SetValueComparer(ListComparers.Strings);
        b.PrimitiveCollection(t => t.SharedWith).Metadata.SetValueComparer(ListComparers.Guids);
        b.Property(t => t.CustomFields).HasConversion(
            v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default),
            v => JsonSerializer.Deserialize<Dictionary<string, string>>(v, JsonSerializerOptions.Default) ?? new Dictionary<string, string>(),
            new ValueComparer<Dictionary<string, string>>(
                (a, c) => a!.Count == c!.Count && !a.Except(c).Any(),
                v => v.Aggregate(0, (h, kv) => HashCode.Combine(h, kv.Key, kv.Value)),
                v => new Dictionary<string, string>(v)));
        // newest first, and the inboxes: a team's, an agent's, a customer's
        b.HasIndex(t => new { t.CreatedAt, t.Reference });
        b.HasIndex(t => new { t.TeamId, t.Status, t.CreatedAt });
        b.HasIndex(t => new { t.AssigneeId, t.Status, t.CreatedAt });
        b.HasIndex(t => new { t.CustomerId, t.CreatedAt });
        b.HasIndex(t => new { t.Status, t.CreatedAt });
        b.HasOne<Customer>().WithMany().HasForeignKey(t => t.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Team>().WithMany().HasForeignKey(t => t.TeamId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Agent>().WithMany().HasForeignKey(t => t.AssigneeId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId).OnDelete(DeleteBehavior.SetNull);
        b.HasMany(t => t.Messages).WithOne().HasForeignKey(m => m.TicketId).OnDelete(DeleteBehavior.Cascade);
        b.HasMany(t => t.Contacts).WithOne().HasForeignKey(c => c.TicketId).OnDelete(DeleteBehavior.SetNull);
        b.HasMany(t => t.Events).WithOne().HasForeignKey(e => e.TicketId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> b)
    {
        b.HasKey(m => m.Id);
        b.Property(m => m.ExternalId).HasMaxLength(998);
        b.HasIndex(m => new { m.TicketId, m.OccurredAt });
        b.HasIndex(m => m.ExternalId);
        b.OwnsMany(m => m.Attachments, a => a.ToJson());
    }
}

internal sealed class ContactConfiguration : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.HasKey(c => c.Id);
        b.Property(c => c.Summary).HasMaxLength(2000);
        b.HasIndex(c => new { c.CustomerId, c.OccurredAt });
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TicketEventConfiguration : IEntityTypeConfiguration<TicketEvent>
{
    public void Configure(EntityTypeBuilder<TicketEvent> b)
    {
        b.HasKey(e => e.Id);
        b.Property(e => e.Type).HasMaxLength(64);
        b.HasIndex(e => new { e.TicketId, e.RecordedAt });
    }
}

internal sealed class CustomerConfiguration : IEntityTypeConfiguration<Customer>
{
    public void Configure(EntityTypeBuilder<Customer> b)
    {
        b.HasKey(c => c.Id);
        b.Property(c => c.Name).HasMaxLength(Customer.NameMaxLength);
        b.Property(c => c.PreferredName).HasMaxLength(Customer.NameMaxLength);
        b.Property(c => c.Language).HasMaxLength(35);
        b.Property(c => c.TimeZone).HasMaxLength(64);
        b.Property(c => c.Notes).HasMaxLength(Customer.NotesMaxLength);
        b.Property(c => c.LifetimeValue).HasPrecision(18, 2);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.Ignore(c => c.ETag);
        b.Ignore(c => c.PrimaryEmail);
        b.Ignore(c => c.PrimaryPhone);
        b.HasIndex(c => c.CreatedAt);
        b.HasMany(c => c.Identities).WithOne().HasForeignKey(i => i.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Organization>().WithMany().HasForeignKey(c => c.OrganizationId).OnDelete(DeleteBehavior.SetNull);
        b.Navigation(c => c.Identities).AutoInclude();
    }
}

internal sealed class CustomerIdentityConfiguration : IEntityTypeConfiguration<CustomerIdentity>
{
    public void Configure(EntityTypeBuilder<CustomerIdentity> b)
    {
        b.HasKey(i => i.Id);
        b.Property(i => i.Value).HasMaxLength(320);
        b.Property(i => i.MatchKey).HasMaxLength(320);
        b.HasIndex(i => new { i.Kind, i.Value }).IsUnique();
        b.HasIndex(i => new { i.Kind, i.MatchKey });
    }
}

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> b)
    {
        b.HasKey(o => o.Id);
        b.Property(o => o.Name).HasMaxLength(200);
        b.Property(o => o.Domain).HasMaxLength(253);
        b.HasIndex(o => o.Name).IsUnique();
        b.HasIndex(o => o.Domain);
    }
}

internal sealed class AgentConfiguration : IEntityTypeConfiguration<Agent>
{
    public void Configure(EntityTypeBuilder<Agent> b)
    {
        b.HasKey(a => a.Id);
        b.Property(a => a.Name).HasMaxLength(Agent.NameMaxLength);
        b.Property(a => a.Email).HasMaxLength(EmailAddress.MaxLength);
        b.HasIndex(a => a.Email).IsUnique();
        b.PrimitiveCollection(a => a.Skills).Metadata.SetValueComparer(ListComparers.Strings);
        b.PrimitiveCollection(a => a.TeamIds).Metadata.SetValueComparer(ListComparers.Guids);
        b.Property(a => a.Version).IsConcurrencyToken();
    }
}

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> b)
    {
        b.HasKey(t => t.Id);
        b.Property(t => t.Name).HasMaxLength(Team.NameMaxLength);
        b.Property(t => t.Description).HasMaxLength(2000);
        b.HasIndex(t => t.Name).IsUnique();
        b.Property(t => t.Version).IsConcurrencyToken();
        b.HasOne<Agent>().WithMany().HasForeignKey(t => t.LeadId).OnDelete(DeleteBehavior.SetNull);
    }
}
