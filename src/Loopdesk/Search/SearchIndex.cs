using System.Globalization;
using System.Text;
using Loopdesk.Core.Common;
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

    /// <summary>
    /// Background upkeep, run about once a second (<see cref="SearchIndexer"/>): on SQLite new rows are indexed, on
    /// PostgreSQL the word list takes the words of new rows. True when more is waiting.
    /// </summary>
    Task<bool> CatchUpAsync(LoopdeskDb db, CancellationToken ct);

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

    public async Task<bool> CatchUpAsync(LoopdeskDb db, CancellationToken ct) => await IndexPendingAsync(db, Batch, ct) == Batch;

    /// <summary>What was written before a search is found by it: whatever is still waiting is indexed first (up to a few batches).</summary>
    private static async Task BeforeSearchAsync(LoopdeskDb db, CancellationToken ct)
    {
        for (var pass = 0; pass < 5 && await IndexPendingAsync(db, Batch, ct) > 0; pass++)
        {
        }
    }

    public async Task<IReadOnlyList<Guid>> TicketIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct)
    {
        await BeforeSearchAsync(db, ct);
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
        await BeforeSearchAsync(db, ct);
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

/// <summary>
/// PostgreSQL: tsvector columns with GIN indexes, BRIN indexes on the ids, and the word list of migration
/// <c>SearchWindows</c>, which a background pass (<see cref="CatchUpAsync"/>) keeps up with new rows.
/// </summary>
/// <param name="clock">The clock the word list's margin is measured on.</param>
/// <param name="recentRows">How many of the newest rows are read one by one before the indexes are asked (smaller in tests).</param>
public sealed class PostgresSearchIndex(TimeProvider clock, int recentRows = PostgresSearchIndex.RecentRows) : ISearchIndex
{
    public const int RecentRows = 2_000;

    /// <summary>The word list takes rows whose id is older than this: a transaction that wrote a row commits well within it.</summary>
    public static readonly TimeSpan SweepMargin = TimeSpan.FromMinutes(1);

    /// <summary>The most rows one background pass takes the words of, per table: an import is taken in gently, a batch a second.</summary>
    public const int SweepBatch = 5_000;

    /// <summary>A prefix that stands for more words than this is asked of the index as a prefix.</summary>
    private const int MaxExpansion = 64;

    private static readonly string[] Tables = ["Tickets", "Messages"];

    public async Task<IReadOnlyList<Guid>> TicketIdsAsync(LoopdeskDb db, SearchTerms terms, int limit, CancellationToken ct)
    {
        await RecheckAsync(db, ct);
        var query = new Query(terms.ToTsQuery(), await ExpandAsync(db, terms, ct));
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
    /// One background pass: the words of changed rows, then of up to <see cref="SweepBatch"/> new rows of each table
    /// whose ids are older than <see cref="SweepMargin"/>, in id order; then the GIN indexes' pending lists are moved
    /// into the indexes. Never asks for the next pass at once: until the list has caught up, searches use prefixes,
    /// which costs them time but no results.
    /// </summary>
    public async Task<bool> CatchUpAsync(LoopdeskDb db, CancellationToken ct)
    {
        await RecheckAsync(db, ct);
        var before = Ids.First(Ids.Position(clock.GetUtcNow() - SweepMargin));
        foreach (var table in Tables) await SweepAsync(db, table, before, SweepBatch, ct);
        if (_mayCleanPending)
        {
            try
            {
                await CleanPendingAsync(db, ct);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.InsufficientPrivilege)
            {
                // only the indexes' owner may: a database user that did not create them leaves the lists to VACUUM
                _mayCleanPending = false;
            }
        }
        return false;
    }

    private bool _mayCleanPending = true;

    /// <summary>
    /// Moves the GIN indexes' pending lists into the indexes proper. A GIN index takes new rows into a pending list first
    /// (<c>fastupdate</c>) and every search reads that whole list, up to 4 MB after a burst of writes; VACUUM or an
    /// unlucky insert moves it. Done about once a second, the list stays short and no insert waits for it.
    /// </summary>
    private static async Task CleanPendingAsync(LoopdeskDb db, CancellationToken ct)
    {
        await db.Database.ExecuteSqlRawAsync("""
            SELECT gin_clean_pending_list('"IX_Tickets_search"'), gin_clean_pending_list('"IX_Messages_search"'), gin_clean_pending_list('"IX_Customers_search"')
            """, ct);
    }

    /// <summary>
    /// Summarizes the pages added since the last summary in the BRIN indexes on the ids (the last, partly filled range
    /// too; inserts then keep its summary up to date). Until then a BRIN index counts new pages as matching any span,
    /// which would make a search's span step read every match on them. The indexes summarize a range by themselves
    /// when it fills (<c>autosummarize</c>, done by autovacuum) and VACUUM does the rest; this is for after a bulk load.
    /// It waits for a running VACUUM of the table (same lock), so it is not part of the background pass.
    /// </summary>
    private static async Task SummarizeAsync(LoopdeskDb db, CancellationToken ct)
    {
        await db.Database.ExecuteSqlRawAsync("""SELECT brin_summarize_new_values('"IX_Tickets_Id_Brin"'), brin_summarize_new_values('"IX_Messages_Id_Brin"')""", ct);
    }

    /// <summary>
    /// The words of every row there is, without the margin: for when no transaction that writes tickets or messages can
    /// be in flight (an import that has finished, the load harness after seeding). Returns how many rows it took.
    /// </summary>
    public static async Task<int> SweepAllAsync(LoopdeskDb db, CancellationToken ct)
    {
        var everything = new Guid("ffffffff-ffff-7fff-bfff-ffffffffffff");
        var taken = 0;
        foreach (var table in Tables)
        {
            for (int n; (n = await SweepAsync(db, table, everything, 50_000, ct)) > 0;) taken += n;
        }
        await RecheckAsync(db, ct);
        await CleanPendingAsync(db, ct);
        await SummarizeAsync(db, ct);
        return taken;
    }

    /// <summary>
    /// Adds the words of up to <paramref name="batch"/> rows of <paramref name="table"/> (Tickets or Messages) past the
    /// last pass and older than <paramref name="before"/> to the word list; returns how many rows it took.
    /// </summary>
    public static async Task<int> SweepAsync(LoopdeskDb db, string table, Guid before, int batch, CancellationToken ct)
    {
        if (!Tables.Contains(table)) throw new ArgumentException("Tickets or Messages", nameof(table));
        var lastSql = "SELECT last_id AS \"Value\" FROM search_words_swept WHERE name = {0} FOR UPDATE";
        var batchSql = $$"""
            WITH b AS (SELECT "Id" FROM "{{table}}" WHERE "Id" > {0} AND "Id" < {1} ORDER BY "Id" LIMIT {2})
            SELECT (SELECT count(*)::int FROM b) AS "Rows", (SELECT "Id" FROM b ORDER BY "Id" DESC LIMIT 1) AS "UpTo"
            """;
        var wordsSql = $$"""
            INSERT INTO search_words (word)
            SELECT DISTINCT w FROM "{{table}}", unnest(tsvector_to_array(search)) AS w WHERE "Id" > {0} AND "Id" <= {1} ORDER BY 1
            ON CONFLICT DO NOTHING
            """;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var last = (await db.Database.SqlQueryRaw<Guid>(lastSql, table).ToListAsync(ct)).Single();
        var taken = (await db.Database.SqlQueryRaw<SweptBatch>(batchSql, last, before, batch).ToListAsync(ct)).Single();
        if (taken is not { Rows: > 0, UpTo: { } upTo }) return 0;
        await db.Database.ExecuteSqlRawAsync(wordsSql, [last, upTo], ct);
        await db.Database.ExecuteSqlAsync($"UPDATE search_words_swept SET last_id = {upTo} WHERE name = {table}", ct);
        await tx.CommitAsync(ct);
        return taken.Rows;
    }

    /// <summary>The words of rows whose subject or text changed since the last look (noted by triggers), added to the word list.</summary>
    private static async Task RecheckAsync(LoopdeskDb db, CancellationToken ct)
    {
        if (!await db.Database.SqlQueryRaw<bool>("SELECT EXISTS (SELECT 1 FROM search_words_recheck) AS \"Value\"").SingleAsync(ct)) return;
        await db.Database.ExecuteSqlRawAsync("""
            WITH taken AS (
              DELETE FROM search_words_recheck WHERE seq IN (SELECT seq FROM search_words_recheck ORDER BY seq LIMIT 1000) RETURNING name, row_id)
            INSERT INTO search_words (word)
            SELECT DISTINCT w FROM (
              SELECT t.search FROM "Tickets" t JOIN taken ON taken.name = 'Tickets' AND taken.row_id = t."Id"
              UNION ALL
              SELECT m.search FROM "Messages" m JOIN taken ON taken.name = 'Messages' AND taken.row_id = m."Id") changed,
              unnest(tsvector_to_array(changed.search)) AS w
            ORDER BY 1
            ON CONFLICT DO NOTHING
            """, ct);
    }

    /// <summary>
    /// The search as whole words: every typed word replaced by the words of the word list it is a prefix of, quoted for a
    /// <c>::tsquery</c> cast. Null when a word stands for none (its prefix then finds little and is cheap) or for too many.
    /// </summary>
    private static async Task<string?> ExpandAsync(LoopdeskDb db, SearchTerms terms, CancellationToken ct)
    {
        // in byte order the words a prefix stands for follow it one after the other
        var expandSql = $$"""
            SELECT p AS "Prefix", v.word AS "Word" FROM unnest({0}::text[]) AS p
            CROSS JOIN LATERAL (
              SELECT word FROM (SELECT word FROM search_words WHERE word >= p ORDER BY word LIMIT {{MaxExpansion + 1}}) next
              WHERE starts_with(word, p)) v
            """;
        var rows = await db.Database.SqlQueryRaw<Expansion>(expandSql, [terms.Words.ToArray()]).ToListAsync(ct);
        var byPrefix = rows.GroupBy(r => r.Prefix, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(r => r.Word).ToList(), StringComparer.Ordinal);
        var groups = new List<string>();
        foreach (var word in terms.Words)
        {
            if (!byPrefix.TryGetValue(word, out var words) || words.Count > MaxExpansion) return null;
            groups.Add("(" + string.Join(" | ", words.Select(Quote)) + ")");
        }
        return string.Join(" & ", groups);

        static string Quote(string lexeme) => "'" + lexeme.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    /// <summary>A search two ways: the typed words as prefixes (any row), and as the whole words they stand for (rows the word list covers).</summary>
    private sealed record Query(string Prefixes, string? Words);

    /// <summary>
    /// The newest matching rows (ids are time-ordered), without reading every match. The GIN index alone would find every
    /// match, and each is a row read from the table (a common word: tens of thousands); walking the newest rows one by one
    /// reads every row until enough match (a rare word: the whole table). So, in up to three steps, each over older rows
    /// than the one before and none over a row twice:
    /// <list type="number">
    /// <item>the newest rows one by one: a common word fills the page here;</item>
    /// <item>if some matched, a span of older ids where the same share of matches would fill the page three times over,
    /// read through the GIN index and the block-range index on the id together (BitmapAnd), which read only the matching
    /// rows of the pages that hold those ids;</item>
    /// <item>what is still missing from all older rows, through the GIN index (the fence, <c>OFFSET 0</c>, keeps the planner
    /// from trading it for a walk of the whole table, which it would for a word it wrongly thinks common).</item>
    /// </list>
    /// Steps 2 and 3 ask the GIN index for whole words when the word list covers every row they read. How many ids the
    /// span covers is estimated from the row count; a wrong guess costs one more step, never a missed or misordered
    /// match. Table and column names are constants of this class, never input.
    /// </summary>
    private async Task<List<Guid>> NewestAsync(LoopdeskDb db, string table, string column, Query query, int limit, CancellationToken ct)
    {
        var boundsSql = $$"""
            SELECT (SELECT "Id" FROM "{{table}}" ORDER BY "Id" DESC LIMIT 1) AS "Newest",
                   (SELECT "Id" FROM "{{table}}" ORDER BY "Id" DESC OFFSET {{recentRows - 1}} LIMIT 1) AS "Boundary",
                   (SELECT "Id" FROM "{{table}}" ORDER BY "Id" LIMIT 1) AS "Oldest",
                   (SELECT reltuples FROM pg_class WHERE oid = '"{{table}}"'::regclass)::float8 AS "Rows",
                   (SELECT last_id FROM search_words_swept WHERE name = '{{table}}') AS "Swept"
            """;
        const string prefixes = "to_tsquery('simple', {0})";
        const string words = "{0}::tsquery";
        string Select(string tsquery) => $$"""SELECT "Id", "{{column}}" AS "Value" FROM "{{table}}" WHERE search @@ {{tsquery}}""";
        var allSql = $$"""{{Select(prefixes)}} ORDER BY "Id" DESC LIMIT {1}""";
        var recentSql = $$"""{{Select(prefixes)}} AND "Id" >= {1} ORDER BY "Id" DESC LIMIT {2}""";

        var bounds = (await db.Database.SqlQueryRaw<IdBounds>(boundsSql).ToListAsync(ct)).Single();
        if (bounds is not { Newest: { } newest, Boundary: { } boundary, Oldest: { } oldest })
        {
            // fewer rows than one walk: all of them, however the planner likes
            return Values(await db.Database.SqlQueryRaw<IdMatch>(allSql, query.Prefixes, limit).ToListAsync(ct));
        }
        var found = await db.Database.SqlQueryRaw<IdMatch>(recentSql, query.Prefixes, boundary, limit).ToListAsync(ct);
        if (found.Count >= limit) return Values(found);

        // every row older than the walk has its words in the list: ask for whole words
        var whole = query.Words is not null && bounds.Swept is { } swept && IsAtOrAfter(swept, boundary);
        var tsquery = whole ? query.Words! : query.Prefixes;
        var spanSql = $$"""SELECT "Id", "Value" FROM ({{Select(whole ? words : prefixes)}} AND "Id" >= {1} AND "Id" < {2} OFFSET 0) matches ORDER BY "Id" DESC LIMIT {3}""";
        var olderSql = $$"""SELECT "Id", "Value" FROM ({{Select(whole ? words : prefixes)}} AND "Id" < {1} OFFSET 0) matches ORDER BY "Id" DESC LIMIT {2}""";
        var older = boundary;
        if (found.Count > 0)
        {
            var rowsWanted = (limit - found.Count) * (double)recentRows / found.Count * 3;
            // ids per row over the whole table (the statistics' row count), else over the newest rows: a burst of new
            // rows (an import) would make the span too short for the older ones
            var perRow = bounds.Rows > recentRows
                ? (Ids.Position(newest) - Ids.Position(oldest)) / bounds.Rows.Value
                : (Ids.Position(newest) - Ids.Position(boundary)) / (double)(recentRows - 1);
            var cutoff = Ids.Position(boundary) - rowsWanted * perRow;
            // a span of more than half of what is left is no cheaper than all of it
            if (perRow > 0 && cutoff > (Ids.Position(oldest) + (double)Ids.Position(boundary)) / 2)
            {
                var from = Ids.First((long)cutoff);
                found.AddRange(await db.Database.SqlQueryRaw<IdMatch>(spanSql, tsquery, from, boundary, limit - found.Count).ToListAsync(ct));
                if (found.Count >= limit) return Values(found);
                older = from;
            }
        }
        found.AddRange(await db.Database.SqlQueryRaw<IdMatch>(olderSql, tsquery, older, limit - found.Count).ToListAsync(ct));
        return Values(found);
    }

    private static List<Guid> Values(List<IdMatch> matches) => [.. matches.Select(m => m.Value)];

    /// <summary>Whether every id made before <paramref name="boundary"/> sorts before <paramref name="swept"/> too (uuid order is byte order).</summary>
    private static bool IsAtOrAfter(Guid swept, Guid boundary)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        swept.TryWriteBytes(a, bigEndian: true, out _);
        boundary.TryWriteBytes(b, bigEndian: true, out _);
        return a.SequenceCompareTo(b) >= 0;
    }

    private sealed class IdBounds
    {
        public Guid? Newest { get; set; }
        public Guid? Boundary { get; set; }
        public Guid? Oldest { get; set; }
        public double? Rows { get; set; }
        public Guid? Swept { get; set; }
    }

    private sealed class IdMatch
    {
        public Guid Id { get; set; }
        public Guid Value { get; set; }
    }

    private sealed class SweptBatch
    {
        public int Rows { get; set; }
        public Guid? UpTo { get; set; }
    }

    private sealed class Expansion
    {
        public string Prefix { get; set; } = "";
        public string Word { get; set; } = "";
    }
}
