using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Rules;
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
        // a link, not a foreign key: on SQLite a new foreign key rebuilds the table, which would drop its search triggers
        b.HasIndex(t => t.FollowUpOfId);
        b.PrimitiveCollection(t => t.Tags).Metadata.SetValueComparer(ListComparers.Strings);
        b.PrimitiveCollection(t => t.SharedWith).Metadata.SetValueComparer(ListComparers.Guids);
        b.PrimitiveCollection(t => t.Followers).Metadata.SetValueComparer(ListComparers.Guids);
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
        // small partial indexes for the inboxes whose condition no column index serves (see InboxViews.In); the filters
        // are written as EF Core writes the inboxes' conditions, so that both databases see that the index applies
        b.HasIndex(t => new { t.Status, t.CreatedAt }, "IX_Tickets_FollowUps").HasFilter("\"FollowUpOfId\" IS NOT NULL");
        b.HasIndex(t => new { t.Status, t.CreatedAt }, "IX_Tickets_Internal").HasFilter("\"Channel\" = 'Internal' OR \"Type\" = 'InternalRequest'");
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
        b.Property(m => m.DeliveryDetail).HasMaxLength(1000);
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
        // the workspace's live feed reads what was recorded since its cursor
        b.HasIndex(e => e.RecordedAt);
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

internal sealed class CommitmentConfiguration : IEntityTypeConfiguration<Commitment>
{
    public void Configure(EntityTypeBuilder<Commitment> b)
    {
        b.HasKey(c => c.Id);
        b.Property(c => c.Description).HasMaxLength(Commitment.DescriptionMaxLength);
        b.HasIndex(c => new { c.TicketId, c.DueAt });
        b.HasIndex(c => new { c.KeptAt, c.DueAt });
        b.HasIndex(c => new { c.CustomerId, c.CreatedAt });
        b.HasOne<Ticket>().WithMany().HasForeignKey(c => c.TicketId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Agent>().WithMany().HasForeignKey(c => c.OwnerId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Jobs.Job>
{
    public void Configure(EntityTypeBuilder<Jobs.Job> b)
    {
        b.HasKey(j => j.Id);
        b.Property(j => j.Kind).HasMaxLength(Jobs.Job.KindMaxLength);
        b.Property(j => j.Key).HasMaxLength(Jobs.Job.KeyMaxLength);
        // the runner completes a job only while it still holds it: a timer moved meanwhile is not deleted under the mover
        b.Property(j => j.LockedBy).HasMaxLength(64).IsConcurrencyToken();
        b.Property(j => j.LastError).HasMaxLength(2000);
        b.HasIndex(j => j.Key).IsUnique();
        // the runner's claim: pending jobs in due order
        b.HasIndex(j => new { j.State, j.DueAt });
        b.HasIndex(j => j.TicketId);
    }
}

internal sealed class RuleConfiguration : IEntityTypeConfiguration<Rule>
{
    public void Configure(EntityTypeBuilder<Rule> b)
    {
        b.HasKey(r => r.Id);
        b.Property(r => r.Name).HasMaxLength(Rule.NameMaxLength);
        b.Property(r => r.Description).HasMaxLength(2000);
        b.Property(r => r.Key).HasMaxLength(64);
        b.HasIndex(r => r.Key).IsUnique();
        b.Property(r => r.Version).IsConcurrencyToken();
        b.Ignore(r => r.ETag);
        b.Ignore(r => r.IsBuiltin);
        b.PrimitiveCollection(r => r.Events).Metadata.SetValueComparer(ListComparers.Strings);
        b.Property(r => r.Conditions).HasConversion(JsonColumn<List<RuleCondition>>.Converter, JsonColumn<List<RuleCondition>>.Comparer);
        b.Property(r => r.Actions).HasConversion(JsonColumn<List<RuleAction>>.Converter, JsonColumn<List<RuleAction>>.Comparer);
        b.Property(r => r.Settings).HasConversion(JsonColumn<Dictionary<string, JsonElement>>.Converter, JsonColumn<Dictionary<string, JsonElement>>.Comparer);
    }
}

internal sealed class RuleRunConfiguration : IEntityTypeConfiguration<RuleRun>
{
    public void Configure(EntityTypeBuilder<RuleRun> b)
    {
        b.HasKey(r => r.Id);
        b.Property(r => r.Trigger).HasMaxLength(64);
        b.Property(r => r.Detail).HasMaxLength(RuleRun.DetailMaxLength);
        b.HasIndex(r => new { r.RuleId, r.At });
        b.HasIndex(r => r.TicketId);
    }
}

/// <summary>A value stored as one JSON text column, compared by its JSON.</summary>
internal static class JsonColumn<T> where T : class, new()
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<T, string> Converter = new(
        v => JsonSerializer.Serialize(v, Options),
        v => JsonSerializer.Deserialize<T>(v, Options) ?? new T());

    public static readonly ValueComparer<T> Comparer = new(
        (a, c) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(c, Options),
        v => JsonSerializer.Serialize(v, Options).GetHashCode(StringComparison.Ordinal),
        v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, Options), Options)!);
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.HasKey(n => n.Id);
        b.Property(n => n.Kind).HasMaxLength(64);
        b.Property(n => n.Text).HasMaxLength(Notification.TextMaxLength);
        b.HasIndex(n => new { n.AgentId, n.CreatedAt });
        b.HasOne<Agent>().WithMany().HasForeignKey(n => n.AgentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MessageTemplateConfiguration : IEntityTypeConfiguration<Core.Templates.MessageTemplate>
{
    public void Configure(EntityTypeBuilder<Core.Templates.MessageTemplate> b)
    {
        b.HasKey(t => t.Id);
        b.Property(t => t.Key).HasMaxLength(Core.Templates.MessageTemplate.KeyMaxLength);
        b.Property(t => t.Language).HasMaxLength(8);
        b.Property(t => t.Name).HasMaxLength(Core.Templates.MessageTemplate.NameMaxLength);
        b.Property(t => t.Body).HasMaxLength(Core.Templates.MessageTemplate.BodyMaxLength);
        b.Property(t => t.Version).IsConcurrencyToken();
        b.Ignore(t => t.ETag);
        b.HasIndex(t => new { t.Key, t.Language }).IsUnique();
    }
}

internal sealed class SurveyConfiguration : IEntityTypeConfiguration<Survey>
{
    public void Configure(EntityTypeBuilder<Survey> b)
    {
        b.HasKey(s => s.Id);
        b.Property(s => s.TokenHash).HasMaxLength(64);
        b.Property(s => s.Comment).HasMaxLength(Survey.CommentMaxLength);
        b.HasIndex(s => s.TicketId).IsUnique();
        b.HasIndex(s => s.AnsweredAt);
        // answered once: a second answer racing the first finds the row changed
        b.Property(s => s.AnsweredAt).IsConcurrencyToken();
        b.HasOne<Ticket>().WithMany().HasForeignKey(s => s.TicketId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Customer>().WithMany().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class LexiconRowConfiguration : IEntityTypeConfiguration<Lexicon.LexiconRow>
{
    public void Configure(EntityTypeBuilder<Lexicon.LexiconRow> b)
    {
        b.ToTable("Lexicon");
        b.HasKey(r => r.Id);
        b.Property(r => r.Id).HasMaxLength(Lexicon.LexiconRow.IdMaxLength);
        b.Property(r => r.Pattern).HasMaxLength(Lexicon.LexiconRow.PatternMaxLength);
        b.Property(r => r.Why).HasMaxLength(Lexicon.LexiconRow.TextMaxLength);
        b.Property(r => r.Suggestion).HasMaxLength(Lexicon.LexiconRow.TextMaxLength);
    }
}

internal sealed class CalendarRowConfiguration : IEntityTypeConfiguration<Service.CalendarRow>
{
    public void Configure(EntityTypeBuilder<Service.CalendarRow> b)
    {
        b.ToTable("Calendars");
        b.HasKey(c => c.Id);
        b.Property(c => c.Name).HasMaxLength(Service.CalendarRow.NameMaxLength);
        b.HasIndex(c => c.Name).IsUnique();
        b.Property(c => c.TimeZoneId).HasMaxLength(100);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.Property(c => c.Hours).HasConversion(JsonColumn<List<Service.HoursEntry>>.Converter, JsonColumn<List<Service.HoursEntry>>.Comparer);
        b.Property(c => c.Holidays).HasConversion(JsonColumn<List<DateOnly>>.Converter, JsonColumn<List<DateOnly>>.Comparer);
    }
}

internal sealed class SlaPolicyRowConfiguration : IEntityTypeConfiguration<Service.SlaPolicyRow>
{
    public void Configure(EntityTypeBuilder<Service.SlaPolicyRow> b)
    {
        b.ToTable("SlaPolicies");
        b.HasKey(p => p.Id);
        b.Property(p => p.Name).HasMaxLength(Service.SlaPolicyRow.NameMaxLength);
        b.HasIndex(p => p.Name).IsUnique();
        b.Property(p => p.Version).IsConcurrencyToken();
        b.Property(p => p.Priorities).HasConversion(JsonColumn<List<string>>.Converter, JsonColumn<List<string>>.Comparer);
        b.Property(p => p.Types).HasConversion(JsonColumn<List<string>>.Converter, JsonColumn<List<string>>.Comparer);
        b.Property(p => p.PausedIn).HasConversion(JsonColumn<List<string>>.Converter, JsonColumn<List<string>>.Comparer);
        b.HasOne<Service.CalendarRow>().WithMany().HasForeignKey(p => p.CalendarId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class TicketSlaConfiguration : IEntityTypeConfiguration<Service.TicketSla>
{
    public void Configure(EntityTypeBuilder<Service.TicketSla> b)
    {
        b.ToTable("TicketSlas");
        b.HasKey(s => s.TicketId);
        b.Property(s => s.Clocks).HasConversion(JsonColumn<List<Core.Service.SlaClock>>.Converter, JsonColumn<List<Core.Service.SlaClock>>.Comparer);
        // "breaching soon" reads due times: a clock has one only while it runs
        b.HasIndex(s => s.FirstReplyDueAt);
        b.HasIndex(s => s.NextReplyDueAt);
        b.HasIndex(s => s.ResolutionDueAt);
        b.HasOne<Ticket>().WithOne().HasForeignKey<Service.TicketSla>(s => s.TicketId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class SuggestionConfiguration : IEntityTypeConfiguration<Suggestion>
{
    public void Configure(EntityTypeBuilder<Suggestion> b)
    {
        b.HasKey(s => s.Id);
        b.Property(s => s.Text).HasMaxLength(Suggestion.TextMaxLength);
        b.Property(s => s.Outcome).HasMaxLength(Suggestion.OutcomeMaxLength);
        b.Property(s => s.Version).IsConcurrencyToken();
        b.Ignore(s => s.HasOutcome);
        b.HasIndex(s => new { s.Status, s.CreatedAt });
        b.HasIndex(s => s.CustomerId);
        b.HasOne<Customer>().WithMany().HasForeignKey(s => s.CustomerId).OnDelete(DeleteBehavior.Restrict);
        b.HasOne<Ticket>().WithMany().HasForeignKey(s => s.TicketId).OnDelete(DeleteBehavior.SetNull);
    }
}
