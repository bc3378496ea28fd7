using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Core.Lexicon;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Lexicon;

public sealed class LexiconCheckRequest
{
    [Required, MaxLength(Limits.BodyMaxLength)]
    public required string Text { get; init; }
    /// <summary>The ticket the reply is for: an apology earlier in its conversation allows troubleshooting questions.</summary>
    [MaxLength(32)]
    public string? TicketRef { get; init; }
}

public sealed record LexiconFindingDto(int Start, int Length, string Text, string Rule, LexiconCategory Category, string Why, string Suggestion)
{
    /// <summary>Where the words are in the text checked, in UTF-16 code units: <see cref="Start"/> and <see cref="Length"/> as one value.</summary>
    public LexiconSpan Span => new(Start, Length);
}

public sealed record LexiconSpan(int Start, int Length);

public sealed record LexiconCheckResult(IReadOnlyList<LexiconFindingDto> Findings);

public sealed record LexiconEntryDto(string Id, LexiconCategory Category, string Pattern, bool IsRegex, string Why, string Suggestion, bool Enabled, bool Shipped, DateTimeOffset UpdatedAt);

public sealed class LexiconEntryRequest
{
    [Required, MaxLength(LexiconRow.IdMaxLength)]
    public required string Id { get; init; }
    public required LexiconCategory Category { get; init; }
    [Required, MaxLength(LexiconRow.PatternMaxLength)]
    public required string Pattern { get; init; }
    public bool IsRegex { get; init; }
    [Required, MaxLength(LexiconRow.TextMaxLength)]
    public required string Why { get; init; }
    [Required, MaxLength(LexiconRow.TextMaxLength)]
    public required string Suggestion { get; init; }
    public bool Enabled { get; init; } = true;
}

public sealed class LexiconEntryChange
{
    public LexiconCategory? Category { get; init; }
    [MaxLength(LexiconRow.PatternMaxLength)]
    public string? Pattern { get; init; }
    public bool? IsRegex { get; init; }
    [MaxLength(LexiconRow.TextMaxLength)]
    public string? Why { get; init; }
    [MaxLength(LexiconRow.TextMaxLength)]
    public string? Suggestion { get; init; }
    public bool? Enabled { get; init; }
}

public static class LexiconEndpoints
{
    public static void MapLexicon(this IEndpointRouteBuilder app)
    {
        var lexicon = app.MapGroup("/lexicon").WithTags("Lexicon").RequireAuthorization(Policies.Staff);
        lexicon.MapPost("/check", CheckAsync).WithName("CheckLexicon").WithSummary("Check a reply's words")
            .WithDescription("Findings with their span in the text (`span`: start and length, in UTF-16 code units), the rule, why it hurts and better words. Matching ignores case, punctuation, "
                + "contractions and curly quotes. With `ticketRef`, troubleshooting questions are fine once we have apologized in that conversation.");
        lexicon.MapGet("/", ListAsync).WithName("ListLexicon").WithSummary("The lexicon")
            .WithDescription("Any staff member, collaborators included. Every entry by category and id, switched-off ones included; `shipped` marks the entries Loopdesk comes with.");
        lexicon.MapPost("/", CreateAsync).WithName("CreateLexiconEntry").RequireAuthorization(Policies.Admin).WithSummary("Add an entry")
            .WithDescription("A phrase (matched word by word) or a regular expression. Expressions run in linear time: back-references and look-arounds are refused (422).");
        lexicon.MapPatch("/{id}", UpdateAsync).WithName("UpdateLexiconEntry").RequireAuthorization(Policies.Admin).WithSummary("Change or switch off an entry")
            .WithDescription("Admins only. Fields left out stay as they are; `enabled: false` switches an entry off, shipped ones included. 404 when there is none, "
                + "422 for a pattern refused as on create.");
        lexicon.MapDelete("/{id}", DeleteAsync).WithName("DeleteLexiconEntry").RequireAuthorization(Policies.Admin).WithSummary("Delete an entry")
            .WithDescription("Shipped entries come back on the next start; switch them off (enabled: false) instead (422).");
    }

    private static async Task<Results<Ok<LexiconCheckResult>, ProblemHttpResult>> CheckAsync(
        LexiconCheckRequest body, ClaimsPrincipal user, LoopdeskDb db, LexiconService lexicon, CancellationToken ct)
    {
        Core.Tickets.Ticket? ticket = null;
        if (body.TicketRef is not null)
        {
            ticket = await TicketEndpoints.FindAsync(db, body.TicketRef, user, ct);
            if (ticket is null) return Problems.NotFound("ticket");
        }
        var findings = await lexicon.CheckAsync(db, body.Text, ticket, ct);
        return TypedResults.Ok(new LexiconCheckResult([.. findings.Select(ToDto)]));
    }

    internal static LexiconFindingDto ToDto(LexiconFinding f) => new(f.Start, f.Length, f.Text, f.RuleId, f.Category, f.Why, f.Suggestion);

    private static async Task<Ok<List<LexiconEntryDto>>> ListAsync(LoopdeskDb db, CancellationToken ct) => TypedResults.Ok(await ListEntriesAsync(db, ct));

    /// <summary>The lexicon by category and id, switched-off entries included.</summary>
    public static async Task<List<LexiconEntryDto>> ListEntriesAsync(LoopdeskDb db, CancellationToken ct)
    {
        var rows = await db.Lexicon.AsNoTracking().OrderBy(r => r.Category).ThenBy(r => r.Id).ToListAsync(ct);
        return rows.Select(ToDto).ToList();
    }

    private static async Task<Results<Created<LexiconEntryDto>, ProblemHttpResult>> CreateAsync(
        LexiconEntryRequest body, LoopdeskDb db, LexiconService lexicon, TimeProvider clock, CancellationToken ct)
    {
        var (entry, problem) = await CreateEntryAsync(db, lexicon, body, clock.GetUtcNow(), ct);
        return entry is null ? problem! : TypedResults.Created($"/api/v1/lexicon/{Uri.EscapeDataString(entry.Id)}", entry);
    }

    private static async Task<Results<Ok<LexiconEntryDto>, ProblemHttpResult>> UpdateAsync(
        string id, LexiconEntryChange body, LoopdeskDb db, LexiconService lexicon, TimeProvider clock, CancellationToken ct)
    {
        var (entry, problem) = await UpdateEntryAsync(db, lexicon, id, body, clock.GetUtcNow(), null, ct);
        return entry is null ? problem! : TypedResults.Ok(entry);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, LoopdeskDb db, LexiconService lexicon, CancellationToken ct)
        => await DeleteEntryAsync(db, lexicon, id, ct) is { } problem ? problem : TypedResults.NoContent();

    /// <summary>Adds an entry after checking its pattern and id; the problem says why not.</summary>
    public static async Task<(LexiconEntryDto? Entry, ProblemHttpResult? Problem)> CreateEntryAsync(
        LoopdeskDb db, LexiconService lexicon, LexiconEntryRequest body, DateTimeOffset now, CancellationToken ct)
    {
        var entry = new LexiconEntry(body.Id.Trim(), body.Category, body.Pattern, body.IsRegex, body.Why.Trim(), body.Suggestion.Trim());
        var verdict = LexiconEntries.Validate(entry);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        // the id is the entry's address (/lexicon/{id}): one with a slash in it could never be changed or deleted
        if (!char.IsAsciiLetterOrDigit(entry.Id[0]) || !entry.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            return (null, Problems.Unprocessable("lexicon.invalid_id", "An id is letters, digits, dots, dashes and underscores, starting with a letter or digit, like banned.my-phrase.", "id"));
        if (await db.Lexicon.AnyAsync(r => r.Id == entry.Id, ct)) return (null, Problems.Conflict("lexicon.exists", "An entry with that id exists; change it with PATCH.", "id"));
        var row = new LexiconRow(entry, body.Enabled, now);
        db.Lexicon.Add(row);
        await db.SaveChangesAsync(ct);
        lexicon.Invalidate();
        return (ToDto(row), null);
    }

    /// <summary>
    /// Changes or switches an entry; with <paramref name="unchangedSince"/> (the updatedAt the caller read) an entry changed
    /// since is refused (stale), null does not check. The problem says why nothing changed.
    /// </summary>
    public static async Task<(LexiconEntryDto? Entry, ProblemHttpResult? Problem)> UpdateEntryAsync(
        LoopdeskDb db, LexiconService lexicon, string id, LexiconEntryChange body, DateTimeOffset now, DateTimeOffset? unchangedSince, CancellationToken ct)
    {
        var row = await db.Lexicon.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (row is null) return (null, Problems.NotFound("lexicon entry"));
        if (unchangedSince is { } since && row.UpdatedAt != since)
            return (null, Problems.Conflict("stale", "The entry changed since you read it; read it again and retry."));
        var current = row.ToEntry();
        var entry = current with
        {
            Category = body.Category ?? current.Category,
            Pattern = body.Pattern ?? current.Pattern,
            IsRegex = body.IsRegex ?? current.IsRegex,
            Why = body.Why?.Trim() ?? current.Why,
            Suggestion = body.Suggestion?.Trim() ?? current.Suggestion,
        };
        var verdict = LexiconEntries.Validate(entry);
        if (!verdict.IsOk) return (null, Problems.RuleViolation(verdict));
        row.Set(entry, body.Enabled ?? row.Enabled, now);
        await db.SaveChangesAsync(ct);
        lexicon.Invalidate();
        return (ToDto(row), null);
    }

    /// <summary>Deletes an entry an admin added; shipped entries are switched off instead.</summary>
    public static async Task<ProblemHttpResult?> DeleteEntryAsync(LoopdeskDb db, LexiconService lexicon, string id, CancellationToken ct)
    {
        var row = await db.Lexicon.FirstOrDefaultAsync(r => r.Id == id, ct);
        if (row is null) return Problems.NotFound("lexicon entry");
        if (LexiconEntries.Defaults.Any(e => e.Id == id))
            return Problems.Unprocessable("lexicon.shipped", "A shipped entry comes back on the next start; switch it off with enabled: false instead.", "id");
        db.Lexicon.Remove(row);
        await db.SaveChangesAsync(ct);
        lexicon.Invalidate();
        return null;
    }

    private static LexiconEntryDto ToDto(LexiconRow r)
        => new(r.Id, r.Category, r.Pattern, r.IsRegex, r.Why, r.Suggestion, r.Enabled, LexiconEntries.Defaults.Any(e => e.Id == r.Id), r.UpdatedAt);
}
