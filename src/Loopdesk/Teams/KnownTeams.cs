using System.Collections.Concurrent;
using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Teams;

/// <summary>
/// The teams this process has seen in the database. A team is never deleted, so an id found once is a team for good and
/// is not looked up again; an id not seen yet is looked up, and an unknown one is not remembered (another process may
/// make the team). Every new ticket naming a team asks this, so a new ticket costs no query for it.
/// </summary>
public sealed class KnownTeams
{
    private readonly ConcurrentDictionary<Guid, byte> _seen = new();

    public async ValueTask<bool> ExistsAsync(LoopdeskDb db, Guid id, CancellationToken ct)
    {
        if (_seen.ContainsKey(id)) return true;
        if (!await TeamExists.For(db)(db, id, ct)) return false;
        _seen.TryAdd(id, 0);
        return true;
    }

    private static readonly CompiledQuery<Func<LoopdeskDb, Guid, CancellationToken, Task<bool>>> TeamExists = new(() => EF.CompileAsyncQuery(
        (LoopdeskDb db, Guid id, CancellationToken ct) => db.Teams.Any(t => t.Id == id)));
}
