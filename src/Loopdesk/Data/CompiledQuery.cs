using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Loopdesk.Data;

/// <summary>
/// A query that runs for nearly every request, compiled once (<c>EF.CompileAsyncQuery</c>) so that EF Core skips
/// building, hashing and looking up its expression tree each time. A compiled query serves the one model it first ran
/// against, and SQLite and PostgreSQL have models of their own (a process may use both, as the tests do), so this
/// keeps one per model.
/// </summary>
public sealed class CompiledQuery<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _byModel = [];

    public TQuery For(DbContext db) => _byModel.GetValue(db.Model, _ => compile());
}
