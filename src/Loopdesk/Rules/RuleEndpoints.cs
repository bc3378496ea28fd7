using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Rules;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Loopdesk.Rules;

public sealed record RuleSettingDto(string Kind, JsonElement Default, string Description);

public sealed record RuleDto(
    Guid Id, string Name, string? Description, string? Key, bool Builtin, bool Enabled, int Position, IReadOnlyList<string> Events,
    RuleMatch Match, IReadOnlyList<RuleCondition> Conditions, IReadOnlyList<RuleAction> Actions, IReadOnlyDictionary<string, JsonElement> Settings,
    IReadOnlyDictionary<string, RuleSettingDto>? SettingsHelp, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Version);

public sealed record RuleRunDto(Guid Id, Guid RuleId, Guid? TicketId, string Trigger, RuleOutcome Outcome, string Detail, DateTimeOffset At);

/// <summary>A rule an admin writes: when (events), if (conditions) and then (actions).</summary>
public sealed class CreateRuleRequest
{
    [Required, MaxLength(Rule.NameMaxLength)]
    public required string Name { get; init; }
    [MaxLength(2000)]
    public string? Description { get; init; }
    public bool Enabled { get; init; } = true;
    public int Position { get; init; } = 1000;
    [Required]
    public required IReadOnlyList<string> Events { get; init; }
    public RuleMatch Match { get; init; } = RuleMatch.All;
    public IReadOnlyList<RuleCondition> Conditions { get; init; } = [];
    [Required]
    public required IReadOnlyList<RuleAction> Actions { get; init; }
}

/// <summary>A partial change. A built-in rule takes name, description, enabled, position and settings.</summary>
public sealed class UpdateRuleRequest
{
    [MaxLength(Rule.NameMaxLength)]
    public string? Name { get; init; }
    public Optional<string?> Description { get; init; }
    public bool? Enabled { get; init; }
    public int? Position { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public RuleMatch? Match { get; init; }
    public IReadOnlyList<RuleCondition>? Conditions { get; init; }
    public IReadOnlyList<RuleAction>? Actions { get; init; }
    /// <summary>A built-in rule's settings by name; durations in seconds. Only the names given change.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Settings { get; init; }
}

public static class RuleEndpoints
{
    public static RouteGroupBuilder MapRules(this IEndpointRouteBuilder app)
    {
        var rules = app.MapGroup("/rules").WithTags("Rules").RequireAuthorization(Policies.Agent);
        rules.MapGet("/", ListAsync).WithName("ListRules").WithSummary("List rules")
            .WithDescription("The ten built-in service rules and every rule admins wrote, in running order, with built-in settings explained.");
        rules.MapGet("/{id:guid}", GetAsync).WithName("GetRule").WithSummary("Get a rule")
            .WithDescription("Agents, supervisors and admins. A built-in or written rule, with its ETag for `If-Match` when changing it; 404 when there is none.");
        rules.MapPost("/", CreateAsync).WithName("CreateRule").RequireAuthorization(Policies.Admin).WithSummary("Write a rule")
            .WithDescription("Events start the rule; conditions (all or any) decide; actions act. A rule whose action records an event that starts it is refused (it would loop). "
                + "Fields, operators and actions are listed in docs/rules.md; an unknown one is 422.");
        rules.MapPatch("/{id:guid}", UpdateAsync).WithName("UpdateRule").RequireAuthorization(Policies.Admin).WithSummary("Change a rule")
            .WithDescription("Partial update, `If-Match` optional (412 when stale). Built-in rules take enabled, name, description, position and settings; "
                + "a setting change takes effect for the next event, without a restart.");
        rules.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteRule").RequireAuthorization(Policies.Admin).WithSummary("Delete a rule")
            .WithDescription("Built-in rules cannot be deleted (422); switch them off with enabled: false.");
        rules.MapGet("/{id:guid}/runs", RunsAsync).WithName("ListRuleRuns").WithSummary("A rule's execution log")
            .WithDescription("Newest first, up to `limit` (default 50, at most 500): when the rule acted, on which ticket, started by what, and what it did or why it failed.");
        return rules;
    }

    private static async Task<Ok<List<RuleDto>>> ListAsync(LoopdeskDb db, RuleBook book, CancellationToken ct) => TypedResults.Ok(await ListRulesAsync(db, book, ct));

    /// <summary>Every rule in running order, built-in ones with their settings explained.</summary>
    public static async Task<List<RuleDto>> ListRulesAsync(LoopdeskDb db, RuleBook book, CancellationToken ct)
    {
        var rules = await db.Rules.AsNoTracking().ToListAsync(ct);
        return rules.OrderBy(r => r.Position).ThenBy(r => r.CreatedAt).Select(r => r.ToDto(book)).ToList();
    }

    private static async Task<Results<Ok<RuleDto>, ProblemHttpResult>> GetAsync(Guid id, LoopdeskDb db, RuleBook book, HttpContext http, CancellationToken ct)
    {
        var rule = await db.Rules.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null) return Problems.NotFound("rule");
        http.Response.Headers.ETag = rule.ETag;
        return TypedResults.Ok(rule.ToDto(book));
    }

    private static async Task<Results<Created<RuleDto>, ProblemHttpResult>> CreateAsync(
        CreateRuleRequest body, LoopdeskDb db, RuleBook book, TimeProvider clock, IOptions<LoopdeskOptions> options, HttpContext http, CancellationToken ct)
    {
        var (rule, problem) = await CreateRuleAsync(db, book, body, clock.GetUtcNow(), options.Value.Rules.AllowPrivateWebhooks, ct);
        if (rule is null) return problem!;
        http.Response.Headers.ETag = rule.ETag;
        return TypedResults.Created($"/api/v1/rules/{rule.Id}", rule.ToDto(book));
    }

    private static async Task<Results<Ok<RuleDto>, ProblemHttpResult>> UpdateAsync(
        Guid id, UpdateRuleRequest body, [FromHeader(Name = "If-Match")] string? ifMatch, LoopdeskDb db, RuleBook book, TimeProvider clock,
        IOptions<LoopdeskOptions> options, HttpContext http, CancellationToken ct)
    {
        var (rule, problem) = await UpdateRuleAsync(db, book, id, body, ifMatch, clock.GetUtcNow(), options.Value.Rules.AllowPrivateWebhooks, ct);
        if (rule is null) return problem!;
        http.Response.Headers.ETag = rule.ETag;
        return TypedResults.Ok(rule.ToDto(book));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, LoopdeskDb db, RuleBook book, CancellationToken ct)
        => await DeleteRuleAsync(db, book, id, ct) is { } problem ? problem : TypedResults.NoContent();

    /// <summary>Writes a rule (the request already validated); <paramref name="allowPrivateWebhooks"/> is the operator's setting. The problem says why not.</summary>
    public static async Task<(Rule? Rule, ProblemHttpResult? Problem)> CreateRuleAsync(
        LoopdeskDb db, RuleBook book, CreateRuleRequest body, DateTimeOffset now, bool allowPrivateWebhooks, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Name) || TextRules.FindProblem(body.Name) is not null) return (null, Problems.Validation("name", "Give the rule a plain name."));
        var verdict = RuleVocabulary.Validate(body.Events, body.Conditions, body.Actions, allowPrivateWebhooks);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        if (await CheckReferencesAsync(db, body.Actions, ct) is { } bad) return (null, bad);
        var rule = Rule.Create(body.Name, now);
        rule.Update(new RuleChange
        {
            Description = body.Description, Enabled = body.Enabled, Position = body.Position, Events = body.Events, Match = body.Match,
            Conditions = body.Conditions, Actions = body.Actions,
        }, now);
        db.Rules.Add(rule);
        await db.SaveChangesAsync(ct);
        book.Invalidate();
        return (rule, null);
    }

    /// <summary>
    /// Changes a rule (the request already validated): a built-in one takes only its switch, name, description, position and
    /// settings. A stale <paramref name="ifMatch"/> is refused; null does not check. The problem says why nothing changed.
    /// </summary>
    public static async Task<(Rule? Rule, ProblemHttpResult? Problem)> UpdateRuleAsync(
        LoopdeskDb db, RuleBook book, Guid id, UpdateRuleRequest body, string? ifMatch, DateTimeOffset now, bool allowPrivateWebhooks, CancellationToken ct)
    {
        var rule = await db.Rules.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null) return (null, Problems.NotFound("rule"));
        if (ifMatch is not null && ifMatch != rule.ETag && ifMatch != "*") return (null, Problems.PreconditionFailed(rule.ETag));
        if (body.Name is not null && (string.IsNullOrWhiteSpace(body.Name) || TextRules.FindProblem(body.Name) is not null))
            return (null, Problems.Validation("name", "Give the rule a plain name."));
        if (rule.Key is { } key)
        {
            if (body.Events is not null || body.Conditions is not null || body.Actions is not null || body.Match is not null)
                return (null, Problems.Unprocessable("rule.builtin", "A built-in rule's events, conditions and actions are its code; change its settings instead.", "settings"));
            if (body.Settings is not null && book.Builtins.TryGetValue(key, out var builtin) && CheckSettings(builtin, body.Settings) is { IsOk: false } badSetting)
                return (null, Problems.RuleViolation(badSetting));
            if (body.Settings is { } s && s.TryGetValue("teamId", out var team) && team.ValueKind == JsonValueKind.String
                && Guid.TryParse(team.GetString(), out var teamId) && !await db.Teams.AnyAsync(t => t.Id == teamId, ct))
                return (null, Problems.Unprocessable("team.unknown", "No team with that id.", "settings.teamId"));
        }
        else
        {
            if (body.Settings is not null) return (null, Problems.Unprocessable("rule.unknown_setting", "Only built-in rules have settings.", "settings"));
            var verdict = RuleVocabulary.Validate(body.Events ?? rule.Events, body.Conditions ?? rule.Conditions, body.Actions ?? rule.Actions, allowPrivateWebhooks);
            if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
            if (body.Actions is not null && await CheckReferencesAsync(db, body.Actions, ct) is { } bad) return (null, bad);
        }
        rule.Update(new RuleChange
        {
            Name = body.Name, Description = body.Description, Enabled = body.Enabled, Position = body.Position, Events = body.Events,
            Match = body.Match, Conditions = body.Conditions, Actions = body.Actions, Settings = body.Settings,
        }, now);
        await db.SaveChangesAsync(ct);
        book.Invalidate();
        return (rule, null);
    }

    /// <summary>Deletes a rule an admin wrote, with its log; the problem says why not.</summary>
    public static async Task<ProblemHttpResult?> DeleteRuleAsync(LoopdeskDb db, RuleBook book, Guid id, CancellationToken ct)
    {
        var rule = await db.Rules.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (rule is null) return Problems.NotFound("rule");
        if (rule.IsBuiltin) return Problems.Unprocessable("rule.builtin", "A built-in rule cannot be deleted; set enabled to false to switch it off.", null);
        db.Rules.Remove(rule);
        await db.RuleRuns.Where(r => r.RuleId == id).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        book.Invalidate();
        return null;
    }

    private static async Task<Results<Ok<List<RuleRunDto>>, ProblemHttpResult>> RunsAsync(Guid id, int? limit, LoopdeskDb db, CancellationToken ct)
    {
        var size = limit ?? 50;
        if (size is < 1 or > 500) return Problems.Validation("limit", "limit is 1 to 500.");
        if (!await db.Rules.AnyAsync(r => r.Id == id, ct)) return Problems.NotFound("rule");
        var runs = await db.RuleRuns.AsNoTracking().Where(r => r.RuleId == id).OrderByDescending(r => r.Id).Take(size).ToListAsync(ct);
        return TypedResults.Ok(runs.Select(r => new RuleRunDto(r.Id, r.RuleId, r.TicketId, r.Trigger, r.Outcome, r.Detail, r.At)).ToList());
    }

    /// <summary>Teams and agents an action names must exist when the rule is saved.</summary>
    private static async Task<ProblemHttpResult?> CheckReferencesAsync(LoopdeskDb db, IReadOnlyList<RuleAction> actions, CancellationToken ct)
    {
        for (var i = 0; i < actions.Count; i++)
        {
            var a = actions[i];
            if (a.Type is "assign_team" or "notify_team" && Guid.TryParse(a.Value, out var teamId) && !await db.Teams.AnyAsync(t => t.Id == teamId, ct))
                return Problems.Unprocessable("team.unknown", "No team with that id.", $"actions[{i}].value");
            if (a.Type == "assign_agent" && Guid.TryParse(a.Value, out var agentId)
                && !await db.Agents.AnyAsync(x => x.Id == agentId && x.Active && x.Role != AgentRole.Collaborator, ct))
                return Problems.Unprocessable("agent.unknown", "No active agent with that id can own tickets.", $"actions[{i}].value");
            if (a.Body is { } body && Core.Templates.TemplateText.Validate(body, RuleTemplates.Vocabulary) is { IsOk: false } template)
                return Problems.RuleViolation(template with { Field = $"actions[{i}].body" });
        }
        return null;
    }

    /// <summary>Each setting must be one the rule has, of its kind and in its range.</summary>
    public static Verdict CheckSettings(IBuiltinRule rule, IReadOnlyDictionary<string, JsonElement> settings)
    {
        foreach (var (name, value) in settings)
        {
            if (!rule.Settings.TryGetValue(name, out var spec))
                return Verdict.Deny("rule.unknown_setting", $"{rule.Key} has no setting \"{name}\"; it has {string.Join(", ", rule.Settings.Keys)}.", "settings." + name);
            var field = "settings." + name;
            switch (spec.Kind)
            {
                case SettingKind.Seconds or SettingKind.Count or SettingKind.Number:
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var n) || !double.IsFinite(n))
                        return Verdict.Deny("rule.invalid_setting", $"{name} is a number.", field);
                    if (spec.Kind != SettingKind.Number && n % 1 != 0) return Verdict.Deny("rule.invalid_setting", $"{name} is a whole number.", field);
                    if (n < spec.Min || n > spec.Max)
                        return Verdict.Deny("rule.invalid_setting", string.Create(CultureInfo.InvariantCulture, $"{name} is {spec.Min} to {spec.Max}."), field);
                    break;
                case SettingKind.Flag:
                    if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return Verdict.Deny("rule.invalid_setting", $"{name} is true or false.", field);
                    break;
                case SettingKind.Id:
                    if (value.ValueKind != JsonValueKind.Null && (value.ValueKind != JsonValueKind.String || !Guid.TryParse(value.GetString(), out _)))
                        return Verdict.Deny("rule.invalid_setting", $"{name} is an id or null.", field);
                    break;
                default:
                    if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length > 500) return Verdict.Deny("rule.invalid_setting", $"{name} is text.", field);
                    if (BuiltinSettingValues.Check(rule.Key, name, value.GetString()!) is { } problem) return Verdict.Deny("rule.invalid_setting", problem, field);
                    break;
            }
        }
        return Verdict.Ok;
    }

    internal static RuleDto ToDto(this Rule r, RuleBook book)
    {
        var builtin = r.Key is { } key ? book.Builtins.GetValueOrDefault(key) : null;
        return new RuleDto(r.Id, r.Name, r.Description, r.Key, r.IsBuiltin, r.Enabled, r.Position, builtin?.Events ?? r.Events, r.Match, r.Conditions, r.Actions,
            r.Settings, builtin?.Settings.ToDictionary(s => s.Key, s => new RuleSettingDto(Wire.Name(s.Value.Kind), s.Value.DefaultJson, s.Value.Description)),
            r.CreatedAt, r.UpdatedAt, r.Version);
    }
}

/// <summary>The text settings of built-in rules that name statuses, tiers or priorities: each value must be one.</summary>
internal static class BuiltinSettingValues
{
    public static string? Check(string rule, string name, string value)
    {
        string[] Names<T>() where T : struct, Enum => [.. Enum.GetValues<T>().Select(v => Wire.Name(v))];
        var allowed = name switch
        {
            "statuses" => Names<Core.Tickets.TicketStatus>(),
            "tier" => Names<AgentTier>(),
            "raisePriorityTo" => Names<Core.Tickets.TicketPriority>(),
            _ => null,
        };
        if (allowed is null) return null;
        var parts = name == "statuses" ? value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [value];
        var wrong = parts.FirstOrDefault(p => !allowed.Contains(p));
        return wrong is null ? null : $"\"{wrong}\" is not one of {string.Join(", ", allowed)}.";
    }
}

/// <summary>What templates written for rules may name.</summary>
public static class RuleTemplates
{
    public static readonly Core.Templates.TemplateVocabulary Vocabulary = Core.Templates.TemplateVocabulary.Default.With(DefaultTemplates.RulePlaceholders);
}
