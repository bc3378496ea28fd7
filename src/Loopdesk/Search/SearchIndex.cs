using System.Globalization;
using System.Text;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Search;

/// <summary>
/// Full-text search over ticket subjects, messages and customer names. SQLite answers from FTS5 tables,
/// PostgreSQL from tsvector columns with GIN indexes; both are kept up to date by the database itself
/// (triggers, generated columns), so no write path can forget to index. On SQLite, new rows are indexed in batches
/// (see <see cref="SqliteSearchIndex.IndexPendingAsync"/>), and always before a search reads the index.
/// </summary>
public interface ISearchIndex
{
    /// <summary>Tickets whose subject or any message matches, most recent first.</summary>
    Task<IReadOnlyList<Guid>> TicketIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct);

    /// <summary>Customers whose name matches.</summary>
    Task<IReadOnlyList<Guid>> CustomerIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct);

    /// <summary>Help articles whose title, summary or text matches every word (or, with <paramref name="anyWord"/>, any of them), best first.</summary>
    Task<IReadOnlyList<Guid>> ArticleIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct, bool anyWord = false);
}

/// <summary>
/// What a person typed, reduced to words (letters and digits). Nothing else reaches the query language, so
/// quotes, operators (<c>NEAR(</c>, <c>*</c>, <c>&amp;</c>) and SQL are searched as plain words or dropped.
/// Every word matches as a prefix: "rout" finds "router".
/// </summary>
public sealed class SearchTerms
{
    public const int MaxWords = 8;
    public const int MaxWordLength = 64;

    private SearchTerms(IReadOnlyList<string> words) => Words = words;

    public IReadOnlyList<string> Words { get; }

    /// <summary>Null when <paramref name="query"/> holds no word at all.</summary>
    public static SearchTerms? Parse(string? query)
    {
        if (string.IsNullOrWhiteSpace(query)) return null;
        var words = new List<string>();
        var current = new StringBuilder();
        void Flush()
        {
            if (current.Length > 0 && words.Count < MaxWords && current.ToString().EnumerateRunes().Any(Rune.IsLetterOrDigit))
            {
                var w = current.ToString().Normalize(NormalizationForm.FormC).ToLowerInvariant();
                if (w.Length > MaxWordLength) w = w[..MaxWordLength];
                if (!words.Contains(w)) words.Add(w);
            }
            current.Clear();
        }
        foreach (var rune in query.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (Rune.IsLetterOrDigit(rune) || category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark) current.Append(rune.ToString());
            else Flush();
        }
        Flush();
        return words.Count == 0 ? null : new SearchTerms(words);
    }

    /// <summary>FTS5: every word quoted, as a prefix, all required (or any one of them).</summary>
    public string ToFts5(bool anyWord = false) => string.Join(anyWord ? " OR " : " AND ", Words.Select(w => $"\"{w}\"*"));

    /// <summary>PostgreSQL to_tsquery: every word a prefix, all required (or any one of them).</summary>
    public string ToTsQuery(bool anyWord = false) => string.Join(anyWord ? " | " : " & ", Words.Select(w => w + ":*"));
}

public sealed class SqliteSearchIndex : ISearchIndex
{
    /// <summary>The most rows one pass indexes: a pass holds the write gate, so a backlog (an import) goes in steps.</summary>
    public const int Batch = 2_000;

    /// <summary>
    /// Indexes up to <paramref name="max"/> of the rows noted in <c>search_pending</c>, oldest first, in one transaction
    /// (the triggers of the map tables fill the FTS5 tables), and returns how many it took. A noted row that is gone
    /// meanwhile is dropped.
    /// </summary>
    public static async Task<int> IndexPendingAsync(LoopdeskDb db, int max, CancellationToken ct)
    {
        if (!await db.Database.SqlQueryRaw<bool>("SELECT EXISTS (SELECT 1 FROM search_pending) AS Value").SingleAsync(ct)) return 0;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var last = await db.Database.SqlQueryRaw<long?>("SELECT max(seq) AS Value FROM (SELECT seq FROM search_pending ORDER BY seq LIMIT {0})", max).SingleAsync(ct);
        if (last is not { } upTo) return 0;
        await db.Database.ExecuteSqlAsync($"""
            INSERT OR IGNORE INTO ticket_fts_rows (ticket_id)
              SELECT p.id FROM search_pending p WHERE p.kind = 't' AND p.seq <= {upTo} AND EXISTS (SELECT 1 FROM "Tickets" t WHERE t."Id" = p.id) ORDER BY p.seq;
            INSERT OR IGNORE INTO message_fts_rows (message_id)
              SELECT p.id FROM search_pending p WHERE p.kind = 'm' AND p.seq <= {upTo} AND EXISTS (SELECT 1 FROM "Messages" m WHERE m."Id" = p.id) ORDER BY p.seq;
            INSERT OR IGNORE INTO customer_fts_rows (customer_id)
              SELECT p.id FROM search_pending p WHERE p.kind = 'c' AND p.seq <= {upTo} AND EXISTS (SELECT 1 FROM "Customers" c WHERE c."Id" = p.id) ORDER BY p.seq;
            """, ct);
        var taken = await db.Database.ExecuteSqlAsync($"DELETE FROM search_pending WHERE seq <= {upTo}", ct);
        await tx.CommitAsync(ct);
        return taken;
    }

    /// <summary>What was written before a search is found by it: whatever is still waiting is indexed first (up to a few batches).</summary>
    private static async Task CatchUpAsync(LoopdeskDb db, CancellationToken ct)
    {
        for (var pass = 0; pass < 5 && await IndexPendingAsync(db, Batch, ct) > 0; pass++)
        {
        }
    }

    public async Task<IReadOnlyList<Guid>> TicketIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct)
    {
        await CatchUpAsync(db, ct);
        var match = terms.ToFts5();
        // rowids grow with inserts, so ORDER BY rowid DESC walks the index newest first and stops at the limit
        var bySubject = await db.Database.SqlQueryRaw<string>(
            "SELECT ticket_id AS Value FROM ticket_fts WHERE ticket_fts MATCH {0} ORDER BY rowid DESC LIMIT {1}", match, limit).ToListAsync(ct);
        var byMessage = await db.Database.SqlQueryRaw<string>(
            "SELECT ticket_id AS Value FROM message_fts WHERE message_fts MATCH {0} ORDER BY rowid DESC LIMIT {1}", match, limit * 4).ToListAsync(ct);
        return [.. bySubject.Concat(byMessage).Select(Guid.Parse).Distinct().Take(limit)];
    }

    public async Task<IReadOnlyList<Guid>> CustomerIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct)
    {
        await CatchUpAsync(db, ct);
        var ids = await db.Database.SqlQueryRaw<string>(
            "SELECT customer_id AS Value FROM customer_fts WHERE customer_fts MATCH {0} ORDER BY rank LIMIT {1}", terms.ToFts5(), limit).ToListAsync(ct);
        return [.. ids.Select(Guid.Parse)];
    }

    public async Task<IReadOnlyList<Guid>> ArticleIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct, bool anyWord = false)
    {
        // the title counts ten times the text (bm25 weights by column)
        var ids = await db.Database.SqlQueryRaw<string>(
            "SELECT article_id AS Value FROM article_fts WHERE article_fts MATCH {0} ORDER BY bm25(article_fts, 10.0, 3.0, 1.0) LIMIT {1}", terms.ToFts5(anyWord), limit).ToListAsync(ct);
        return [.. ids.Select(Guid.Parse)];
    }
}

public sealed class PostgresSearchIndex : ISearchIndex
{
    private const int RecentWindow = 5_000;

    public async Task<IReadOnlyList<Guid>> TicketIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct)
    {
        var query = terms.ToTsQuery();
        var bySubject = await NewestAsync(db, "Tickets", "Id", query, limit, ct);
        var byMessage = await NewestAsync(db, "Messages", "TicketId", query, limit * 2, ct);
        return [.. bySubject.Concat(byMessage).Distinct().Take(limit)];
    }

    public async Task<IReadOnlyList<Guid>> CustomerIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct)
        => await db.Database.SqlQueryRaw<Guid>(
            """SELECT "Id" AS "Value" FROM "Customers" WHERE search @@ to_tsquery('simple', {0}) AND "MergedIntoId" IS NULL ORDER BY ts_rank(search, to_tsquery('simple', {0})) DESC LIMIT {1}""",
            terms.ToTsQuery(), limit).ToListAsync(ct);

    public async Task<IReadOnlyList<Guid>> ArticleIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct, bool anyWord = false)
        => await db.Database.SqlQueryRaw<Guid>(
            """SELECT "Id" AS "Value" FROM "HelpArticles" WHERE search @@ to_tsquery('simple', {0}) AND "Published" ORDER BY ts_rank(search, to_tsquery('simple', {0})) DESC, "Title" LIMIT {1}""",
            terms.ToTsQuery(anyWord), limit).ToListAsync(ct);

    /// <summary>
    /// The newest matching rows (ids are time-ordered), without reading every match. First the newest RecentWindow rows
    /// are walked backwards along the primary key, stopping at the limit: a common word fills the page within a few
    /// thousand rows. A word too rare for that has few matches in all: the GIN index finds them all, behind an
    /// OFFSET 0 fence so the planner cannot trade the index for a walk of the whole table. Table and column names are
    /// constants of this class, never input.
    /// </summary>
    private static async Task<List<Guid>> NewestAsync(LoopdeskDb db, string table, string column, string query, int limit, CancellationToken ct)
    {
        var columns = column == "Id" ? "\"Id\"" : $"\"Id\", \"{column}\"";
        var recentSql = $$"""
            SELECT "{{column}}" AS "Value" FROM (SELECT {{columns}}, search FROM "{{table}}" ORDER BY "Id" DESC LIMIT {{RecentWindow}}) recent
            WHERE search @@ to_tsquery('simple', {0}) ORDER BY "Id" DESC LIMIT {1}
            """;
        var recent = await db.Database.SqlQueryRaw<Guid>(recentSql, query, limit).ToListAsync(ct);
        if (recent.Count >= limit) return recent;
        var allSql = $$"""
            SELECT "{{column}}" AS "Value" FROM (SELECT {{columns}} FROM "{{table}}" WHERE search @@ to_tsquery('simple', {0}) OFFSET 0) matches
            ORDER BY "Id" DESC LIMIT {1}
            """;
        return await db.Database.SqlQueryRaw<Guid>(allSql, query, limit).ToListAsync(ct);
    }
}
