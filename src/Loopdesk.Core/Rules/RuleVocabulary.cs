using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Core.Rules;

/// <summary>The kinds of facts a condition can test, which decide the operators it may use.</summary>
public enum FactType { Text, Choice, Id, Number, Flag, Tags }

/// <summary>A fact a condition may test.</summary>
public sealed record RuleField(string Name, FactType Type, string Description, IReadOnlyList<string>? Choices = null);

/// <summary>
/// What rules may speak of: the facts, the operators, the events and the actions, and the checks a rule must pass
/// before it is saved (a known field, an operator that fits it, a value of the right kind, no rule that feeds itself).
/// </summary>
public static class RuleVocabulary
{
    public const string CustomFieldPrefix = "ticket.custom_fields.";

    /// <summary>The furthest a rule's commitment may be due: beyond it the due time would not be a promise (and far beyond, not a date).</summary>
    public const long MaxCommitmentSeconds = 31_536_000;

    public static readonly IReadOnlyDictionary<string, RuleField> Fields = new[]
    {
        new RuleField("ticket.status", FactType.Choice, "The ticket's status.", Names<TicketStatus>()),
        new RuleField("ticket.priority", FactType.Choice, "The ticket's priority.", Names<TicketPriority>()),
        new RuleField("ticket.type", FactType.Choice, "The ticket's type.", Names<TicketType>()),
        new RuleField("ticket.channel", FactType.Choice, "The channel of the first contact.", Names<Channel>()),
        new RuleField("ticket.tier", FactType.Choice, "The support tier working the ticket.", Names<AgentTier>()),
        new RuleField("ticket.subject", FactType.Text, "The subject line."),
        new RuleField("ticket.tags", FactType.Tags, "The ticket's tags."),
        new RuleField("ticket.team_id", FactType.Id, "The team the ticket is with."),
        new RuleField("ticket.assignee_id", FactType.Id, "The agent who owns the ticket."),
        new RuleField("ticket.hours_since_created", FactType.Number, "Hours since the ticket was opened."),
        new RuleField("ticket.hours_since_updated", FactType.Number, "Hours since the ticket last changed."),
        new RuleField("ticket.contacts", FactType.Number, "How many times the customer reached out about this ticket."),
        new RuleField("customer.name", FactType.Text, "The customer's name."),
        new RuleField("customer.vip", FactType.Flag, "Whether the customer is a VIP."),
        new RuleField("customer.language", FactType.Text, "The customer's language tag (en, nl…)."),
        new RuleField("customer.organization_id", FactType.Id, "The customer's organization."),
        new RuleField("customer.email_domain", FactType.Text, "The domain of the customer's first email address."),
        new RuleField("customer.open_tickets", FactType.Number, "The customer's unresolved tickets."),
        new RuleField("message.body", FactType.Text, "The text of the message that started the rule, if one did."),
        new RuleField("message.direction", FactType.Choice, "Inbound (from the customer) or outbound.", Names<MessageDirection>()),
        new RuleField("message.channel", FactType.Choice, "The channel of the message.", Names<Channel>()),
        new RuleField("message.internal", FactType.Flag, "Whether the message is an internal note."),
        new RuleField("contact.channel", FactType.Choice, "The channel of the contact that started the rule, if one did.", Names<Channel>()),
        new RuleField("contact.summary", FactType.Text, "What an agent wrote down about the contact (a call, a visit)."),
        new RuleField("event.type", FactType.Text, "The type of the event that started the rule."),
        new RuleField("event.actor", FactType.Choice, "Who made the change: customer, agent or system.", Names<ActorKind>()),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static readonly IReadOnlyDictionary<FactType, IReadOnlySet<string>> Operators = new Dictionary<FactType, IReadOnlySet<string>>
    {
        [FactType.Text] = new HashSet<string> { "is", "is_not", "contains", "not_contains", "starts_with", "in", "not_in", "present", "blank" },
        [FactType.Choice] = new HashSet<string> { "is", "is_not", "in", "not_in", "present", "blank" },
        [FactType.Id] = new HashSet<string> { "is", "is_not", "in", "not_in", "present", "blank" },
        [FactType.Number] = new HashSet<string> { "is", "is_not", "greater_than", "less_than", "at_least", "at_most" },
        [FactType.Flag] = new HashSet<string> { "is" },
        [FactType.Tags] = new HashSet<string> { "contains", "not_contains", "present", "blank" },
    };

    /// <summary>The events a rule may start on.</summary>
    public static readonly IReadOnlySet<string> Events = new HashSet<string>(StringComparer.Ordinal)
    {
        TicketEventTypes.Created, TicketEventTypes.StatusChanged, TicketEventTypes.PriorityChanged, TicketEventTypes.TypeChanged,
        TicketEventTypes.SubjectChanged, TicketEventTypes.Assigned, TicketEventTypes.TeamChanged, TicketEventTypes.TagsChanged,
        TicketEventTypes.CustomFieldsChanged, TicketEventTypes.DueChanged, TicketEventTypes.CustomerChanged, TicketEventTypes.MessageAdded,
        TicketEventTypes.NoteAdded, TicketEventTypes.ContactRecorded, TicketEventTypes.Escalated, TicketEventTypes.CommitmentMade,
        TicketEventTypes.CommitmentKept, TicketEventTypes.CommitmentOverdue, "sla.warning", "sla.breached", "time.elapsed",
    };

    /// <summary>Actions, each with the event its change records (null when it changes no ticket field).</summary>
    public static readonly IReadOnlyDictionary<string, string?> Actions = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["set_status"] = TicketEventTypes.StatusChanged,
        ["set_priority"] = TicketEventTypes.PriorityChanged,
        ["set_type"] = TicketEventTypes.TypeChanged,
        ["assign_team"] = TicketEventTypes.TeamChanged,
        ["assign_agent"] = TicketEventTypes.Assigned,
        ["add_tag"] = TicketEventTypes.TagsChanged,
        ["remove_tag"] = TicketEventTypes.TagsChanged,
        ["add_note"] = TicketEventTypes.NoteAdded,
        ["send_reply"] = TicketEventTypes.MessageAdded,
        ["notify_team"] = null,
        ["webhook"] = null,
        ["create_commitment"] = TicketEventTypes.CommitmentMade,
    };

    /// <summary>Checks a rule an admin wrote. <paramref name="allowPrivateWebhooks"/> lets webhooks reach loopback and private addresses.</summary>
    public static Verdict Validate(IReadOnlyList<string> events, IReadOnlyList<RuleCondition> conditions, IReadOnlyList<RuleAction> actions, bool allowPrivateWebhooks)
    {
        if (events.Count == 0) return Verdict.Deny("rule.no_events", "Name at least one event that starts the rule.", "events");
        foreach (var e in events)
        {
            if (!Events.Contains(e)) return Verdict.Deny("rule.unknown_event", $"\"{e}\" is not an event a rule can start on.", "events");
        }
        if (conditions.Count > Rule.MaxConditions) return Verdict.Deny("rule.too_many_conditions", $"A rule has at most {Rule.MaxConditions} conditions.", "conditions");
        for (var i = 0; i < conditions.Count; i++)
        {
            if (ValidateCondition(conditions[i], $"conditions[{i}]") is { IsOk: false } bad) return bad;
        }
        if (actions.Count == 0) return Verdict.Deny("rule.no_actions", "A rule needs at least one action.", "actions");
        if (actions.Count > Rule.MaxActions) return Verdict.Deny("rule.too_many_actions", $"A rule has at most {Rule.MaxActions} actions.", "actions");
        for (var i = 0; i < actions.Count; i++)
        {
            if (ValidateAction(actions[i], $"actions[{i}]", allowPrivateWebhooks) is { IsOk: false } bad) return bad;
            if (Actions[actions[i].Type] is { } produced && events.Contains(produced))
            {
                return Verdict.Deny("rule.loops", $"The action {actions[i].Type} records {produced}, which starts this same rule: it would run on its own change. "
                    + "Start the rule on another event, or split it in two.", $"actions[{i}]");
            }
        }
        return Verdict.Ok;
    }

    public static RuleField? FindField(string name)
    {
        if (Fields.TryGetValue(name, out var field)) return field;
        if (name.StartsWith(CustomFieldPrefix, StringComparison.Ordinal) && name.Length > CustomFieldPrefix.Length && name.Length <= 100)
        {
            return new RuleField(name, FactType.Text, "A custom field of the ticket.");
        }
        return null;
    }

    private static Verdict ValidateCondition(RuleCondition c, string at)
    {
        if (FindField(c.Field ?? "") is not { } field) return Verdict.Deny("rule.unknown_field", $"\"{c.Field}\" is not a field rules know.", at + ".field");
        if (!Operators[field.Type].Contains(c.Operator ?? "")) return Verdict.Deny("rule.unknown_operator",
            $"\"{c.Operator}\" does not apply to {field.Name}; use one of {string.Join(", ", Operators[field.Type].Order(StringComparer.Ordinal))}.", at + ".operator");
        if (c.Operator is "present" or "blank") return Verdict.Ok;
        var values = c.Operator is "in" or "not_in" ? c.Values ?? [] : c.Value is null ? [] : [c.Value];
        if (values.Count == 0) return Verdict.Deny("rule.missing_value", $"The condition on {field.Name} needs {(c.Operator is "in" or "not_in" ? "values" : "a value")}.", at);
        foreach (var v in values)
        {
            if (v.Length > 1000) return Verdict.Deny("rule.invalid_value", "A condition value is at most 1,000 characters.", at + ".value");
            var ok = field.Type switch
            {
                FactType.Choice => field.Choices!.Contains(v),
                FactType.Id => Guid.TryParse(v, out _),
                FactType.Number => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n),
                FactType.Flag => v is "true" or "false",
                _ => true,
            };
            if (!ok)
            {
                var expected = field.Type switch
                {
                    FactType.Choice => "one of " + string.Join(", ", field.Choices!),
                    FactType.Id => "an id",
                    FactType.Number => "a number",
                    FactType.Flag => "true or false",
                    _ => "text",
                };
                return Verdict.Deny("rule.invalid_value", $"\"{v}\" is not a value of {field.Name}; expected {expected}.", at + ".value");
            }
        }
        return Verdict.Ok;
    }

    private static Verdict ValidateAction(RuleAction a, string at, bool allowPrivateWebhooks)
    {
        if (a.Type is null || !Actions.ContainsKey(a.Type))
            return Verdict.Deny("rule.unknown_action", $"\"{a.Type}\" is not an action; use one of {string.Join(", ", Actions.Keys)}.", at + ".type");
        string? Need(string what) => a.Value is { Length: > 0 } ? null : what;
        var missing = a.Type switch
        {
            "set_status" or "set_priority" or "set_type" => Need("a value"),
            "assign_team" or "assign_agent" or "notify_team" => Need("an id"),
            "add_tag" or "remove_tag" => Need("a tag"),
            "webhook" => Need("a URL"),
            _ => null,
        };
        if (missing is not null) return Verdict.Deny("rule.missing_value", $"The action {a.Type} needs {missing}.", at + ".value");
        var wrong = a.Type switch
        {
            "set_status" => WireValue<TicketStatus>(a.Value!),
            "set_priority" => WireValue<TicketPriority>(a.Value!),
            "set_type" => WireValue<TicketType>(a.Value!),
            "assign_team" or "assign_agent" or "notify_team" => Guid.TryParse(a.Value, out _) ? null : "an id",
            "add_tag" or "remove_tag" => Ticket.Validate([a.Value!]).IsOk ? null : $"a tag of 1 to {Ticket.TagMaxLength} plain characters",
            _ => null,
        };
        if (wrong is not null) return Verdict.Deny("rule.invalid_value", $"\"{a.Value}\" is not a value for {a.Type}; expected {wrong}.", at + ".value");
        if (a.Type is "add_note" or "send_reply" or "create_commitment" or "notify_team" && string.IsNullOrWhiteSpace(a.Body))
            return Verdict.Deny("rule.missing_value", $"The action {a.Type} needs a body.", at + ".body");
        if (a.Body is { Length: > 20_000 }) return Verdict.Deny("rule.invalid_value", "An action body is at most 20,000 characters.", at + ".body");
        if (a.Type == "create_commitment" && a.DueInSeconds is not (> 0 and <= MaxCommitmentSeconds))
            return Verdict.Deny("rule.invalid_value", "A commitment needs dueInSeconds of 1 to 31,536,000 (a year).", at + ".dueInSeconds");
        if (a.Type == "webhook" && CheckWebhookUrl(a.Value!, allowPrivateWebhooks) is { IsOk: false } badUrl) return badUrl with { Field = at + ".value" };
        return Verdict.Ok;
    }

    /// <summary>
    /// A webhook goes to a public http(s) address: never to this machine or a private network (a rule must not reach
    /// inside), unless the operator allows it. Names are checked again on each call, against the addresses they resolve to.
    /// </summary>
    public static Verdict CheckWebhookUrl(string url, bool allowPrivate)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return Verdict.Deny("rule.invalid_webhook", "A webhook URL is an absolute http or https address.", "value");
        if (!string.IsNullOrEmpty(uri.UserInfo)) return Verdict.Deny("rule.invalid_webhook", "A webhook URL carries no user name or password.", "value");
        if (allowPrivate) return Verdict.Ok;
        // "localhost." is the same name as "localhost", written fully qualified
        var host = uri.Host.TrimEnd('.');
        if (uri.IsLoopback || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) || host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return Verdict.Deny("rule.private_webhook", "A webhook may not call this machine.", "value");
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IsPrivate(ip))
            return Verdict.Deny("rule.private_webhook", "A webhook may not call a private, loopback or link-local address.", "value");
        return Verdict.Ok;
    }

    /// <summary>Loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, unspecified or multicast.</summary>
    public static bool IsPrivate(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip)) return true;
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = ip.GetAddressBytes();
            return b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) || b[0] >= 224;
        }
        var v6 = ip.GetAddressBytes();
        // an IPv4 address carried inside IPv6 (NAT64 64:ff9b::/96, 6to4 2002::/16) is judged as the IPv4 address it carries
        if (v6[0] == 0x00 && v6[1] == 0x64 && v6[2] == 0xff && v6[3] == 0x9b && v6[4..12].All(b => b == 0)) return IsPrivate(new IPAddress(v6[12..16]));
        if (v6[0] == 0x20 && v6[1] == 0x02) return IsPrivate(new IPAddress(v6[2..6]));
        return ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || ip.IsIPv6Multicast || ip.Equals(IPAddress.IPv6Any);
    }

    /// <summary>Whether the facts satisfy the conditions (no conditions: always).</summary>
    public static bool Matches(RuleMatch match, IReadOnlyList<RuleCondition> conditions, IReadOnlyDictionary<string, object?> facts)
    {
        if (conditions.Count == 0) return true;
        return match == RuleMatch.All ? conditions.All(c => Holds(c, facts)) : conditions.Any(c => Holds(c, facts));
    }

    private static bool Holds(RuleCondition c, IReadOnlyDictionary<string, object?> facts)
    {
        facts.TryGetValue(c.Field, out var fact);
        switch (fact)
        {
            case IReadOnlyCollection<string> tags:
                return c.Operator switch
                {
                    "contains" => tags.Contains(c.Value!.Trim().ToLowerInvariant()),
                    "not_contains" => !tags.Contains(c.Value!.Trim().ToLowerInvariant()),
                    "present" => tags.Count > 0,
                    "blank" => tags.Count == 0,
                    _ => false,
                };
            case double number:
                var v = double.Parse(c.Value!, CultureInfo.InvariantCulture);
                return c.Operator switch
                {
                    "is" => number == v,
                    "is_not" => number != v,
                    "greater_than" => number > v,
                    "less_than" => number < v,
                    "at_least" => number >= v,
                    "at_most" => number <= v,
                    _ => false,
                };
            case bool flag:
                return c.Operator == "is" && flag == (c.Value == "true");
        }
        var text = fact as string;
        return c.Operator switch
        {
            "present" => !string.IsNullOrEmpty(text),
            "blank" => string.IsNullOrEmpty(text),
            "is" => string.Equals(text, c.Value, StringComparison.OrdinalIgnoreCase),
            "is_not" => !string.Equals(text, c.Value, StringComparison.OrdinalIgnoreCase),
            "contains" => text is not null && text.Contains(c.Value!, StringComparison.OrdinalIgnoreCase),
            "not_contains" => text is null || !text.Contains(c.Value!, StringComparison.OrdinalIgnoreCase),
            "starts_with" => text is not null && text.StartsWith(c.Value!, StringComparison.OrdinalIgnoreCase),
            "in" => text is not null && (c.Values ?? []).Contains(text, StringComparer.OrdinalIgnoreCase),
            "not_in" => text is null || !(c.Values ?? []).Contains(text, StringComparer.OrdinalIgnoreCase),
            _ => false,
        };
    }

    private static string? WireValue<T>(string value) where T : struct, Enum
        => Names<T>().Contains(value) ? null : "one of " + string.Join(", ", Names<T>());

    private static string[] Names<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(v => Wire.Name(v))];
}
