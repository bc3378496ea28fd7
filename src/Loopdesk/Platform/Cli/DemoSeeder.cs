using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Teams;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;

namespace Loopdesk.Platform.Cli;

/// <summary>
/// Demo data that looks like a real help desk three months in: teams, agents, companies, customers on several channels,
/// tickets in every status with replies and notes. Deterministic (a fixed seed), and safe to run twice (it adds).
/// </summary>
public static class DemoSeeder
{
    private static readonly string[] FirstNames = ["Anna", "Ben", "Chiara", "David", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Marta", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sanjay", "Tove", "Uma", "Viktor", "Wen", "Yusuf", "Zoe", "Amara", "Bruno", "Clara", "Dmitri", "Eva"];
    private static readonly string[] LastNames = ["Keller", "Novak", "Rossi", "Okafor", "Yilmaz", "Haddad", "Lindqvist", "Tanaka", "Moreau", "Schmidt", "Fischer", "Costa", "Nguyen", "Kowalski", "Ivanova", "Silva", "Brennan", "Garcia", "Patel", "Berg"];
    private static readonly string[] TeamNames = ["Support", "Billing", "Senior technicians", "Follow-ups", "Internal IT"];
    private static readonly string[] Organizations = ["Northwind Traders", "Bluebird Bakery", "Helios Solar", "Fjord Logistics", "Maple Dental", "Atlas Architects"];
    private static readonly (string Subject, string Body, TicketType Type, string Tag)[] Issues =
    [
        ("Router keeps dropping the connection", "Since Monday my internet drops every evening around 8pm for a few minutes. I already restarted the router twice.", TicketType.Problem, "connectivity"),
        ("Charged twice for my subscription", "My card statement shows two charges of 29.90 for November. Please refund one of them.", TicketType.Problem, "billing"),
        ("How do I add a second user?", "We hired a new colleague. How can I give her access to our account?", TicketType.Question, "accounts"),
        ("Order has not arrived", "I ordered a replacement power adapter ten days ago and it still says 'processing'.", TicketType.Problem, "shipping"),
        ("Very disappointed with the technician visit", "The technician arrived three hours late and left without fixing anything. Nobody called to tell us.", TicketType.Complaint, "field-service"),
        ("Idea: dark mode for the app", "It would be great if the mobile app had a dark mode, I use it mostly at night.", TicketType.Suggestion, "app"),
        ("Cannot log in after password reset", "I reset my password but the app says my credentials are wrong.", TicketType.Problem, "accounts"),
        ("Invoice needs our VAT number", "Could you re-issue the October invoice with our VAT number on it?", TicketType.Task, "billing"),
        ("Outage in the north district?", "Is there a known outage? Nothing works since 7 this morning.", TicketType.Incident, "outage"),
        ("Upgrade to the business plan", "What would it cost to move to the business plan, and would we keep our data?", TicketType.Question, "sales"),
        ("Laptop for the new hire", "Please prepare a laptop for our new team member starting on the 1st.", TicketType.InternalRequest, "it"),
        ("App crashes when uploading photos", "Every time I attach a photo to a report the app closes.", TicketType.Problem, "app"),
    ];
    private static readonly string[] Replies =
    [
        "Thank you for letting us know, and I am sorry for the trouble. I have looked into it and will update you by tomorrow noon.",
        "Thanks for your patience. I found the cause and fixed it on our side; could you check whether it works for you now?",
        "I am sorry this happened. I have refunded the duplicate charge; it will show on your statement within 3-5 working days.",
        "Good question! Here are the steps, and I am happy to walk you through them on a call if that is easier.",
    ];
    private static readonly Channel[] Channels = [Channel.Email, Channel.Email, Channel.Email, Channel.Chat, Channel.Chat, Channel.Phone, Channel.Portal, Channel.Social];

    /// <summary>The help center's demo categories and articles, with novice, intermediate and expert variants.</summary>
    private static Task<int> SeedHelpCenterAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct) => Portal.HelpSeed.SeedAsync(db, now, ct);

    public static async Task<string> SeedAsync(IServiceProvider services, int customerCount, int ticketCount, CancellationToken ct)
    {
        var random = new Random(20261124);
        var clock = services.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        var teams = new List<Team>();
        var agents = new List<Agent>();
        var customers = new List<(string Name, string? Email, string? Phone)>();

        await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
        {
            var setup = progress.AddTask("Teams, agents, organizations", maxValue: 3);
            await using (var scope = services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
                var accounts = scope.ServiceProvider.GetRequiredService<AgentAccounts>();
                foreach (var name in TeamNames)
                {
                    var team = await db.Teams.FirstOrDefaultAsync(t => t.Name == name, ct) ?? db.Teams.Add(new Team(name, $"The {name} queue", now)).Entity;
                    teams.Add(team);
                }
                await db.SaveChangesAsync(ct);
                setup.Increment(1);

                var staff = new (string Name, AgentRole Role, AgentTier Tier, int Team)[]
                {
                    ("Sam Carter", AgentRole.Supervisor, AgentTier.Senior, 0), ("Priya Shah", AgentRole.Agent, AgentTier.Tier1, 0),
                    ("Tom Becker", AgentRole.Agent, AgentTier.Tier1, 0), ("Lucia Romero", AgentRole.Agent, AgentTier.Tier2, 1),
                    ("Ola Nordmann", AgentRole.Agent, AgentTier.Senior, 2), ("Mei Chen", AgentRole.Agent, AgentTier.Tier2, 3),
                    ("Felix Wagner", AgentRole.Agent, AgentTier.Tier1, 4), ("Nora Ahmed", AgentRole.Collaborator, AgentTier.Tier1, 4),
                };
                foreach (var s in staff)
                {
                    var email = s.Name.ToLowerInvariant().Replace(' ', '.') + "@loopdesk.example";
                    var agent = await db.Agents.FirstOrDefaultAsync(a => a.Email == email, ct);
                    if (agent is null)
                    {
                        (agent, _) = await accounts.CreateAsync(s.Name, email, s.Role, "demo-password-1", ct);
                        agent!.Update(new AgentChange { Tier = s.Tier, TeamIds = [teams[s.Team].Id], Skills = s.Team == 1 ? ["billing"] : ["networking", "app"] });
                        await db.SaveChangesAsync(ct);
                    }
                    agents.Add(agent);
                }
                setup.Increment(1);

                foreach (var name in Organizations)
                {
                    if (!await db.Organizations.AnyAsync(o => o.Name == name, ct))
                        db.Organizations.Add(new Organization(name, name.ToLowerInvariant().Replace(' ', '-') + ".example", now));
                }
                await db.SaveChangesAsync(ct);
                await SeedHelpCenterAsync(db, now, ct);
                setup.Increment(1);
            }

            for (var i = 0; i < customerCount; i++)
            {
                var name = $"{FirstNames[random.Next(FirstNames.Length)]} {LastNames[random.Next(LastNames.Length)]}";
                var domain = random.Next(3) == 0 ? Organizations[random.Next(Organizations.Length)].ToLowerInvariant().Replace(' ', '-') + ".example" : "mail.example";
                var email = random.Next(8) == 0 ? null : $"{name.ToLowerInvariant().Replace(' ', '.')}{i}@{domain}";
                var phone = email is null || random.Next(3) == 0 ? $"+49 30 {random.Next(1000000, 9999999)}" : null;
                customers.Add((name, email, phone));
            }

            var work = progress.AddTask("Tickets", maxValue: ticketCount);
            for (var done = 0; done < ticketCount;)
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
                var commands = scope.ServiceProvider.GetRequiredService<TicketCommands>();
                for (var n = 0; n < 50 && done < ticketCount; n++, done++)
                {
                    var issue = Issues[random.Next(Issues.Length)];
                    var customer = customers[random.Next(customers.Count)];
                    var channel = issue.Type == TicketType.InternalRequest ? Channel.Internal : Channels[random.Next(Channels.Length)];
                    var opened = now.AddMinutes(-random.Next(1, 90 * 24 * 60));
                    var team = issue.Tag == "billing" ? teams[1] : issue.Type == TicketType.InternalRequest ? teams[4] : teams[0];
                    var created = await commands.CreateAsync(new CreateTicketRequest
                    {
                        Subject = issue.Subject, Body = issue.Body, Channel = channel, Type = issue.Type, Tags = [issue.Tag],
                        Priority = issue.Type is TicketType.Incident or TicketType.Complaint ? TicketPriority.High : TicketPriority.Normal,
                        Customer = new CustomerRef { Name = customer.Name, Email = customer.Email, Phone = customer.Phone },
                        TeamId = team.Id, OccurredAt = opened,
                    }, Actor.System, AgentRole.Admin, ct);
                    var ticket = await db.Tickets.FirstAsync(t => t.Id == created.Id, ct);
                    var owner = agents.Where(a => a.TeamIds.Contains(team.Id) && a.Role != AgentRole.Collaborator).DefaultIfEmpty(agents[0]).ElementAt(0);
                    var age = now - opened;
                    var at = opened.AddMinutes(random.Next(5, 240));
                    ticket.Apply(new TicketChange { AssigneeId = owner.Id }, Actor.Agent(owner.Id), at);
                    if (at < now) ticket.AddMessage(new NewMessage(MessageDirection.Outbound, channel, Replies[random.Next(Replies.Length)]), Actor.Agent(owner.Id), at, at, out _);
                    if (random.Next(4) == 0)
                        ticket.AddMessage(new NewMessage(MessageDirection.Outbound, channel, "Checked the logs: the line drops match a firmware issue. Escalate if it happens again.", Internal: true), Actor.Agent(owner.Id), at, at, out _);
                    var status = age.TotalDays switch
                    {
                        > 20 => random.Next(10) == 0 ? TicketStatus.Solved : TicketStatus.Closed,
                        > 5 => (TicketStatus)random.Next((int)TicketStatus.Open, (int)TicketStatus.Closed + 1),
                        _ => (TicketStatus)random.Next((int)TicketStatus.Open, (int)TicketStatus.Solved + 1),
                    };
                    var later = at.AddHours(random.Next(1, 48));
                    if (later > now) later = now;
                    if (status == TicketStatus.Closed)
                    {
                        ticket.Apply(new TicketChange { Status = TicketStatus.Solved }, Actor.Agent(owner.Id), later);
                        ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, Actor.System, later.AddDays(3) < now ? later.AddDays(3) : now);
                    }
                    else if (status != TicketStatus.Open)
                    {
                        ticket.Apply(new TicketChange { Status = status }, Actor.Agent(owner.Id), later);
                    }
                    await db.SaveChangesAsync(ct);
                    work.Increment(1);
                }
            }
        });
        return $"{teams.Count} teams, {agents.Count} staff (password demo-password-1), {customerCount} customers, {ticketCount} tickets.";
    }
}
