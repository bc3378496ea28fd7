using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules.Builtins;

/// <summary>
/// A customer coming back about a ticket solved long ago goes to the follow-up team, with the original linked; one
/// coming back soon after goes to the agent who owned the original, so one person stays with the customer.
/// </summary>
public sealed class FollowUpRouting : BuiltinRule
{
    public override string Key => "follow-up-routing";
    public override string Name => "Follow-up routing";
    public override string Description => "Route a customer who comes back about a ticket solved long ago to the follow-up team, with the original linked.";
    public override int Position => 30;
    public override IReadOnlyList<string> Events { get; } = [TicketEventTypes.Created];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["afterSeconds"] = new(SettingKind.Seconds, 1_209_600, "How long after it was solved a return counts as a follow-up.", 0, 31_536_000),
        ["teamId"] = new(SettingKind.Id, null, "The follow-up team; when unset, the team named \"Follow-ups\"."),
    };

    public override async Task OnEventAsync(RuleContext c, CancellationToken ct)
    {
        var t = c.Ticket;
        if (t.FollowUpOfId is not { } originalId) return;
        var original = await c.Db.Tickets.AsNoTracking().Where(x => x.Id == originalId)
            .Select(x => new { x.Reference, x.SolvedAt, x.ClosedAt, x.AssigneeId, x.TeamId }).FirstOrDefaultAsync(ct);
        if (original is null) return;
        var solvedAt = original.SolvedAt ?? original.ClosedAt;
        var age = solvedAt is { } at ? c.Now - at : TimeSpan.Zero;
        if (solvedAt is null || age < Seconds(c, "afterSeconds"))
        {
            // a quick return: the same owner keeps the customer
            if (t.AssigneeId is null && original.AssigneeId is { } owner && await c.Db.Agents.AnyAsync(a => a.Id == owner && a.Active, ct))
            {
                t.Apply(new TicketChange { AssigneeId = owner, TeamId = t.TeamId ?? original.TeamId }, c.Actor, c.Now);
                c.Done.Add($"kept with the owner of {original.Reference}");
            }
            return;
        }
        Guid? teamId = c.Rule.Text("teamId") is { } id && Guid.TryParse(id, out var g) ? g
            : await c.Db.Teams.Where(x => x.Name == "Follow-ups").Select(x => (Guid?)x.Id).FirstOrDefaultAsync(ct);
        if (teamId is { } team && await c.Db.Teams.AnyAsync(x => x.Id == team, ct)) t.Apply(new TicketChange { TeamId = team }, c.Actor, c.Now);
        c.Done.Add($"follow-up of {original.Reference}, solved {age.TotalDays:0} days ago");
        await c.NoteAsync("follow-up-routing.note", new Dictionary<string, object?>
        {
            ["original"] = new Dictionary<string, object?> { ["reference"] = original.Reference, ["solved_at"] = solvedAt, ["days"] = Math.Floor(age.TotalDays) },
        }, ct);
    }
}
