using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Procedures;

/// <summary>
/// A standard procedure: the steps that fit a kind of ticket (by type or tag), shown beside the composer to tick off —
/// a checklist for the agent, never a script for the customer.
/// </summary>
public sealed class Procedure
{
    public const int NameMaxLength = 100;
    public const int StepMaxLength = 300;
    public const int MaxSteps = 30;

    private Procedure() { }

    public Procedure(DateTimeOffset now)
    {
        Id = Ids.New(now);
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    /// <summary>Fits tickets of any of these types…</summary>
    public List<TicketType> Types { get; private set; } = [];
    /// <summary>…or with any of these tags.</summary>
    public List<string> Tags { get; private set; } = [];
    public List<string> Steps { get; private set; } = [];
    public bool Enabled { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }

    public bool Fits(Ticket t) => Enabled && (Types.Contains(t.Type) || Tags.Any(t.Tags.Contains));

    public Verdict Set(ProcedureRequest r, DateTimeOffset now)
    {
        var name = r.Name.Trim();
        if (name.Length == 0) return Verdict.Deny("procedure.invalid", "The name is empty.", "name");
        if (TextRules.FindProblem(name) is { } bad) return Verdict.Deny("procedure.invalid", $"The name {bad}.", "name");
        var steps = r.Steps.Select(s => s.Trim()).Where(s => s.Length > 0).ToList();
        if (steps.Count == 0) return Verdict.Deny("procedure.invalid", "A procedure has at least one step.", "steps");
        if (steps.Count > MaxSteps) return Verdict.Deny("procedure.invalid", $"A procedure has at most {MaxSteps} steps.", "steps");
        if (steps.FirstOrDefault(s => s.Length > StepMaxLength) is { } tooLong)
            return Verdict.Deny("procedure.invalid", $"A step is at most {StepMaxLength} characters (\"{tooLong[..40]}…\").", "steps");
        var tags = (r.Tags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct().Order(StringComparer.Ordinal).ToList();
        if (Ticket.Validate(tags) is { IsOk: false } badTags) return badTags with { Field = "tags" };
        var types = (r.Types ?? []).Distinct().Order().ToList();
        if (types.Count == 0 && tags.Count == 0)
            return Verdict.Deny("procedure.invalid", "Say which tickets it fits: at least one type or tag.", "types");
        (Name, Steps, Tags, Types, Enabled, UpdatedAt) = (name, steps, tags, types, r.Enabled, now);
        Version++;
        return Verdict.Ok;
    }
}

public sealed class ProcedureRequest
{
    [Required, MaxLength(Procedure.NameMaxLength)]
    public required string Name { get; init; }
    /// <summary>Ticket types it fits (question, problem, incident, complaint, suggestion, task, internal-request).</summary>
    public IReadOnlyList<TicketType>? Types { get; init; }
    /// <summary>Tags it fits: a ticket with any of them.</summary>
    public IReadOnlyList<string>? Tags { get; init; }
    /// <summary>The steps, in order.</summary>
    [Required]
    public required IReadOnlyList<string> Steps { get; init; }
    public bool Enabled { get; init; } = true;
}

public sealed record ProcedureDto(Guid Id, string Name, IReadOnlyList<TicketType> Types, IReadOnlyList<string> Tags, IReadOnlyList<string> Steps,
    bool Enabled, DateTimeOffset UpdatedAt, int Version);

/// <summary>One step of a procedure on a ticket, ticked or not, by whom and when.</summary>
public sealed record ChecklistStep(int Index, string Text, bool Done, Guid? DoneBy, DateTimeOffset? DoneAt);

public sealed record ChecklistDto(Guid ProcedureId, string Name, IReadOnlyList<ChecklistStep> Steps);

public sealed class TickRequest
{
    public bool Done { get; init; } = true;
}

internal sealed class ProcedureConfiguration : IEntityTypeConfiguration<Procedure>
{
    public void Configure(EntityTypeBuilder<Procedure> b)
    {
        b.ToTable("Procedures");
        b.HasKey(p => p.Id);
        b.Property(p => p.Name).HasMaxLength(Procedure.NameMaxLength);
        b.PrimitiveCollection(p => p.Types);
        b.PrimitiveCollection(p => p.Tags);
        b.PrimitiveCollection(p => p.Steps);
        b.Property(p => p.Version).IsConcurrencyToken();
        b.HasIndex(p => p.Name).IsUnique();
    }
}

/// <summary>What the API and the workspace share: the checklists that fit a ticket, and ticking a step.</summary>
public static class Checklists
{
    public const string StepEvent = "procedure.step";

    public static async Task<List<ChecklistDto>> ForTicketAsync(LoopdeskDb db, Ticket ticket, CancellationToken ct)
    {
        var fitting = (await db.Procedures.AsNoTracking().Where(p => p.Enabled).OrderBy(p => p.Name).ToListAsync(ct)).Where(p => p.Fits(ticket)).ToList();
        if (fitting.Count == 0) return [];
        var ticks = await db.TicketEvents.AsNoTracking().Where(e => e.TicketId == ticket.Id && e.Type == StepEvent).OrderBy(e => e.RecordedAt).ToListAsync(ct);
        var state = new Dictionary<(Guid, int), (bool Done, Guid? By, DateTimeOffset At)>();
        foreach (var e in ticks)
        {
            using var json = JsonDocument.Parse(e.Data);
            var d = json.RootElement;
            state[(d.GetProperty("procedureId").GetGuid(), d.GetProperty("step").GetInt32())] = (d.GetProperty("done").GetBoolean(), e.ActorId, e.OccurredAt);
        }
        return [.. fitting.Select(p => new ChecklistDto(p.Id, p.Name, [.. p.Steps.Select((text, i) =>
            state.TryGetValue((p.Id, i), out var s) && s.Done ? new ChecklistStep(i, text, true, s.By, s.At) : new ChecklistStep(i, text, false, null, null))]))];
    }

    /// <summary>Ticks (or unticks) a step on a tracked ticket, as an event in its history, and saves.</summary>
    public static async Task<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?> TickAsync(LoopdeskDb db, Ticket ticket, Guid procedureId, int step, bool done, Actor actor, DateTimeOffset now, CancellationToken ct)
    {
        var procedure = await db.Procedures.AsNoTracking().FirstOrDefaultAsync(p => p.Id == procedureId, ct);
        if (procedure is null || !procedure.Fits(ticket)) return Platform.Problems.Unprocessable("procedure.unknown", "No procedure with that id fits this ticket.", "procedureId");
        if (step < 0 || step >= procedure.Steps.Count) return Platform.Problems.Unprocessable("procedure.step_unknown", $"The procedure has steps 0 to {procedure.Steps.Count - 1}.", "step");
        ticket.Remark(StepEvent, new { procedureId, step, done, text = procedure.Steps[step], procedure = procedure.Name }, actor, now);
        await db.SaveChangesAsync(ct);
        return null;
    }

    public static ProcedureDto ToDto(Procedure p) => new(p.Id, p.Name, p.Types, p.Tags, p.Steps, p.Enabled, p.UpdatedAt, p.Version);
}
