using Loopdesk.Core.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

/// <summary>Sends the one satisfaction survey of a closed ticket, on the customer's channel, with a single-use answer link.</summary>
public static class Surveys
{
    public static async Task SendAsync(RuleContext c, CancellationToken ct)
    {
        var t = c.Ticket;
        if (c.Db.Surveys.Local.Any(s => s.TicketId == t.Id) || await c.Db.Surveys.AnyAsync(s => s.TicketId == t.Id, ct)) return;
        var survey = Survey.Create(t.Id, t.CustomerId, t.Channel, c.Now, out var token);
        c.Db.Surveys.Add(survey);
        var link = $"{c.Services.Options.PublicUrl.TrimEnd('/')}/survey/{survey.Id}?token={token}";
        var customer = await c.CustomerAsync(ct);
        var text = await c.Services.Templates.RenderAsync(c.Db, "resolved-means-agreed.survey", c, customer,
            new Dictionary<string, object?> { ["survey"] = new Dictionary<string, object?> { ["link"] = link } }, ct);
        c.Services.Outbound.SendToCustomer(c.Db, t, text, t.Channel, c.Actor, c.Now);
        c.Done.Add("survey sent");
    }
}
