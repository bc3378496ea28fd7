using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Loopdesk.Core.Templates;

/// <summary>
/// The placeholders a template may use: dotted paths such as <c>customer.first_name</c>. A template that names
/// anything else is refused when it is saved, so a typo or a probe (<c>{{ system }}</c>) never reaches a customer.
/// </summary>
public sealed partial class TemplateVocabulary
{
    public const int PathMaxLength = 100;

    /// <summary>What templates and macros may say about a ticket, its people and its promises.</summary>
    public static TemplateVocabulary Default { get; } = new(
    [
        "customer.first_name", "customer.name", "customer.email",
        "ticket.reference", "ticket.subject", "ticket.status", "ticket.priority",
        "agent.name", "agent.first_name",
        "team.name",
        "sla.first_reply_due", "sla.next_reply_due", "sla.resolution_due",
        "company.name",
        "survey.link",
        "commitment.description", "commitment.due_at",
    ]);

    /// <summary>A vocabulary of exactly these paths (lower case identifiers joined by dots).</summary>
    /// <exception cref="ArgumentException">A path is not a dotted lower case identifier.</exception>
    public TemplateVocabulary(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var list = paths.ToList();
        foreach (var path in list)
        {
            if (!IsPath(path)) throw new ArgumentException($"\"{path}\" is not a placeholder path (lower case words joined by dots, like customer.first_name).", nameof(paths));
        }
        Paths = list.ToFrozenSet(StringComparer.Ordinal);
    }

    public IReadOnlySet<string> Paths { get; }

    public bool Contains(string path) => Paths.Contains(path);

    /// <summary>This vocabulary and some more paths.</summary>
    public TemplateVocabulary With(params string[] paths) => new(Paths.Concat(paths));

    /// <summary>True for a dotted path of lower case identifiers, like <c>ticket.reference</c>.</summary>
    public static bool IsPath(string? path) => path is { Length: > 0 and <= PathMaxLength } && PathPattern().IsMatch(path);

    [GeneratedRegex("^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathPattern();
}
