using Loopdesk.Core.Customers;
using Loopdesk.Core.Templates;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>
/// Finds the words a rule says (an admin's edited template in the customer's language, else English, else the shipped
/// default) and fills in the placeholders from the ticket, the customer, the owner and the service expectations.
/// </summary>
public sealed class TemplateStore(Microsoft.Extensions.Options.IOptions<Platform.LoopdeskOptions> options, IEnumerable<IServiceExpectations> expectations)
{
    /// <summary>Renders the template named <paramref name="key"/> for this ticket and customer.</summary>
    public async Task<string> RenderAsync(LoopdeskDb db, string key, RuleContext c, Customer customer, IReadOnlyDictionary<string, object?>? extra, CancellationToken ct)
    {
        var language = Language(customer);
        var source = await SourceAsync(db, key, language, ct);
        return await RenderTextAsync(source, c, customer, extra, ct);
    }

    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private volatile StoredTemplates? _stored;

    private sealed record StoredTemplates(IReadOnlyDictionary<(string Key, string Language), string> Bodies, long LoadedAt);

    /// <summary>Admins changed a template: read them again for the next message.</summary>
    public void Invalidate() => _stored = null;

    /// <summary>
    /// The source of a template: an admin's version in the language, the shipped one in the language, an admin's
    /// English one, the shipped English one. Admins' templates are kept for a second, like the rules.
    /// </summary>
    public async Task<string> SourceAsync(LoopdeskDb db, string key, string language, CancellationToken ct)
    {
        var stored = _stored;
        if (stored is null || System.Diagnostics.Stopwatch.GetElapsedTime(stored.LoadedAt) > MaxAge)
        {
            var rows = await db.Templates.AsNoTracking().Select(t => new { t.Key, t.Language, t.Body }).ToListAsync(ct);
            stored = new StoredTemplates(rows.ToDictionary(r => (r.Key, r.Language), r => r.Body), System.Diagnostics.Stopwatch.GetTimestamp());
            _stored = stored;
        }
        return stored.Bodies.GetValueOrDefault((key, language))
            ?? DefaultTemplates.Find(key, language)
            ?? stored.Bodies.GetValueOrDefault((key, "en"))
            ?? DefaultTemplates.Find(key, "en")
            ?? throw new InvalidOperationException($"No template {key}.");
    }

    /// <summary>Renders template text written in a rule (a reply, a note) for this ticket and customer.</summary>
    public Task<string> RenderTextAsync(string source, RuleContext c, Customer customer, IReadOnlyDictionary<string, object?>? extra, CancellationToken ct)
        => RenderTextAsync(c.Db, source, c.Ticket, customer, c.Now, extra, ct);

    /// <summary>Renders template text for a ticket and its customer, in the customer's language and time zone.</summary>
    public async Task<string> RenderTextAsync(LoopdeskDb db, string source, Core.Tickets.Ticket t, Customer customer, DateTimeOffset now,
        IReadOnlyDictionary<string, object?>? extra, CancellationToken ct)
    {
        // the team's name costs a query, and most texts (the shipped ones) do not name the team
        var values = await ValuesAsync(db, t, now, customer, extra, source.Contains("team", StringComparison.Ordinal), ct);
        var company = options.Value.Company;
        return TemplateText.Render(source, values, new TemplateContext(now, Language(customer), customer.TimeZone ?? company.TimeZone));
    }

    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, CancellationToken, Task<string?>>> AgentName = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid id, CancellationToken ct) => db.Agents.Where(a => a.Id == id).Select(a => a.Name).FirstOrDefault()));

    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, CancellationToken, Task<string?>>> TeamName = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid id, CancellationToken ct) => db.Teams.Where(x => x.Id == id).Select(x => x.Name).FirstOrDefault()));

    private async Task<Dictionary<string, object?>> ValuesAsync(LoopdeskDb db, Core.Tickets.Ticket t, DateTimeOffset now, Customer customer,
        IReadOnlyDictionary<string, object?>? extra, bool withTeam, CancellationToken ct)
    {
        var agent = t.AssigneeId is { } assignee ? await AgentName.For(db)(db, assignee, ct) : null;
        var team = withTeam && t.TeamId is { } teamId ? await TeamName.For(db)(db, teamId, ct) : null;
        var name = customer.PreferredName ?? customer.Name;
        var due = expectations.FirstOrDefault() is { } e ? await e.DueTimesAsync(db, t, now, ct) : null;
        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["customer"] = new Dictionary<string, object?>
            {
                ["name"] = customer.Name,
                ["first_name"] = Core.Email.MailText.FirstName(name, customer.PrimaryEmail),
                ["email"] = customer.PrimaryEmail,
            },
            ["ticket"] = new Dictionary<string, object?>
            {
                ["reference"] = t.Reference,
                ["subject"] = t.Subject,
                ["status"] = Core.Common.Wire.Name(t.Status),
                ["priority"] = Core.Common.Wire.Name(t.Priority),
                ["due_at"] = t.DueAt,
            },
            ["agent"] = new Dictionary<string, object?>
            {
                ["name"] = agent,
                ["first_name"] = Core.Email.MailText.FirstName(agent),
            },
            ["team"] = new Dictionary<string, object?> { ["name"] = team },
            ["company"] = new Dictionary<string, object?> { ["name"] = options.Value.Company.Name },
            ["sla"] = new Dictionary<string, object?>
            {
                ["first_reply_due"] = due?.FirstReply,
                ["next_reply_due"] = due?.NextReply,
                ["resolution_due"] = due?.Resolution,
            },
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, object?>()) values[key] = value;
        return values;
    }

    internal static string Language(Customer customer)
    {
        var language = customer.Language;
        if (string.IsNullOrWhiteSpace(language)) return "en";
        var dash = language.IndexOf('-', StringComparison.Ordinal);
        return (dash > 0 ? language[..dash] : language).ToLowerInvariant();
    }
}

/// <summary>When the customer may expect to hear from us: the due times of the ticket's service level, in business time.</summary>
public interface IServiceExpectations
{
    Task<DueTimes?> DueTimesAsync(LoopdeskDb db, Core.Tickets.Ticket ticket, DateTimeOffset now, CancellationToken ct);
}

public sealed record DueTimes(DateTimeOffset? FirstReply, DateTimeOffset? NextReply, DateTimeOffset? Resolution);
