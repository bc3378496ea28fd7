using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Teams;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Service;
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
            var setup = progress.AddTask("Teams, agents, organizations, SLA policies", maxValue: 4);
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

                await SlaPoliciesAsync(db, scope.ServiceProvider.GetRequiredService<SlaTracker>(), now, ct);
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
                    // nothing happens after now: a ticket opened minutes ago is taken now, not in an hour
                    var at = Min(opened.AddMinutes(random.Next(5, 240)), now);
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
                    var later = Min(at.AddHours(random.Next(1, 48)), now);
                    if (status == TicketStatus.Closed)
                    {
                        ticket.Apply(new TicketChange { Status = TicketStatus.Solved }, Actor.Agent(owner.Id), later);
                        ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, Actor.System, Min(later.AddDays(3), now));
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
        await SeedChatSiteAsync(services, teams[0].Id, now, ct);
        var status = await SeedStatusAsync(services, agents, ct);
        return $"{teams.Count} teams, {agents.Count} staff (password demo-password-1), {customerCount} customers, {ticketCount} tickets, 2 SLA policies, "
            + $"the chat site \"{Chat.ChatSite.DemoKey}\"; {status}.";
    }

    /// <summary>The demo's chat site, key "demo", open to any page (a real site lists its own origins), routed to the first team.</summary>
    private static async Task SeedChatSiteAsync(IServiceProvider services, Guid teamId, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        if (await db.ChatSites.AnyAsync(s => s.Key == Chat.ChatSite.DemoKey, ct)) return;
        var site = new Chat.ChatSite(now, Chat.ChatSite.DemoKey);
        site.Set(new Chat.ChatSiteRequest
        {
            Name = "Loopdesk demo shop",
            Greeting = "Hi! Thanks for reaching out. Someone from the team will be with you shortly.",
            ClosingMessage = "Thank you for chatting with us. Have a good day!",
            AllowedOrigins = ["*"],
            TeamId = teamId,
            Invitations = [new Chat.ChatInvitation(null, "Questions about pricing? We are here to help.", 30, "/pricing*", false)],
        }, now);
        db.ChatSites.Add(site);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The status page's demo: the services, one current incident with two updates and linked outage tickets, a few
    /// resolved ones in the past, and some credits (given, waiting for approval, and an incident's compensation).
    /// </summary>
    private static async Task<string> SeedStatusAsync(IServiceProvider services, List<Agent> agents, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var supervisor = agents.First(a => a.Role == AgentRole.Supervisor).Id;
        var agent = agents.First(a => a.Role == AgentRole.Agent).Id;
        var names = new[] { ("Internet access", "Fibre and DSL connections"), ("Customer portal", "Sign-in, bills and requests"), ("Mobile app", "iOS and Android"), ("Payments", "Card and direct debit"), ("Phone support", "Our hotline") };
        var services_ = new List<Incidents.StatusService>();
        for (var i = 0; i < names.Length; i++)
        {
            var existing = await db.StatusServices.FirstOrDefaultAsync(s => s.Name == names[i].Item1, ct);
            if (existing is null)
            {
                existing = new Incidents.StatusService(now);
                existing.Set(names[i].Item1, names[i].Item2, i);
                db.StatusServices.Add(existing);
            }
            services_.Add(existing);
        }
        await db.SaveChangesAsync(ct);
        if (await db.Incidents.AnyAsync(ct)) return "status page data was there already";

        Incidents.Incident Make(string title, string description, int service, Incidents.IncidentImpact impact, DateTimeOffset started, string? prevention, string? apology,
            Credits.CreditKind? kind, decimal? amount)
        {
            var incident = new Incidents.Incident(started);
            incident.Apply(new Incidents.IncidentChange
            {
                Title = title, Description = description, ServiceIds = [services_[service].Id], Impact = impact, Prevention = prevention, Apology = apology,
                CompensationKind = kind, CompensationAmount = amount, Published = true,
            }, started);
            incident.Post(description, Incidents.IncidentStatus.Investigating, supervisor, started, out _);
            db.Incidents.Add(incident);
            return incident;
        }

        var current = Make("Internet outage in the north district", "Customers in the north district have no internet connection since 7:10 this morning.", 0,
            Incidents.IncidentImpact.Critical, now.AddHours(-3), "We are adding a second fibre route to the district so one cut cannot take it offline.",
            "We are very sorry: we know how much you rely on your connection, and we are working on it with every crew we have.", Credits.CreditKind.AccountCredit, 10m);
        current.Apply(new Incidents.IncidentChange { Eta = now.AddHours(4) }, now.AddHours(-2));
        current.Post("Construction work cut a fibre cable near the ring road. Two repair crews are on site.", Incidents.IncidentStatus.Identified, supervisor, now.AddHours(-2), out _);
        current.Post("Half of the fibres are spliced; the first streets are coming back online.", Incidents.IncidentStatus.Monitoring, supervisor, now.AddMinutes(-40), out _);

        var past = new[]
        {
            ("Card payments failed at checkout", "Card payments were declined for about 40 minutes.", 3, -12, "Payments fall back to a second provider automatically now."),
            ("Portal sign-in was slow", "Signing in to the portal took up to a minute.", 1, -26, "We added capacity and an alert that fires before sign-in slows down."),
            ("App notifications arrived late", "Push notifications arrived hours late on Android.", 2, -41, "We moved to the new notification service and monitor its delay."),
        };
        foreach (var (title, description, service, daysAgo, prevention) in past)
        {
            var started = now.AddDays(daysAgo);
            var incident = Make(title, description, service, Incidents.IncidentImpact.Major, started, prevention, "We apologise for the inconvenience.", null, null);
            incident.Post("We found the cause and are fixing it.", Incidents.IncidentStatus.Identified, supervisor, started.AddMinutes(20), out _);
            incident.Post("Fixed; everything works normally again.", Incidents.IncidentStatus.Resolved, supervisor, started.AddHours(1), out _);
        }
        await db.SaveChangesAsync(ct);

        // the outage tickets are this incident's: their customers hear the updates
        var outage = await db.Tickets.Where(t => t.Tags.Contains("outage") && t.Status != TicketStatus.Closed).OrderByDescending(t => t.CreatedAt).Take(4).ToListAsync(ct);
        foreach (var ticket in outage)
        {
            db.IncidentTickets.Add(new Incidents.IncidentTicket(current.Id, ticket.Id, agent, now.AddHours(-1)));
            ticket.Remark("incident.linked", new { incidentId = current.Id }, Actor.Agent(agent), now.AddHours(-1));
        }
        var billing = await db.Tickets.Where(t => t.Tags.Contains("billing")).OrderByDescending(t => t.CreatedAt).Take(3).ToListAsync(ct);
        var credits = 0;
        for (var i = 0; i < billing.Count; i++)
        {
            var pending = i == 2;
            var credit = new Credits.Credit(billing[i].CustomerId, i == 1 ? Credits.CreditKind.Discount : Credits.CreditKind.Refund, pending ? 120m : 29.90m, "EUR",
                pending ? "Three months of double charges" : "Duplicate charge refunded", billing[i].Id, null, agent, now.AddDays(-i - 1));
            if (!pending) credit.Decide(true, agent, now.AddDays(-i - 1));
            db.Credits.Add(credit);
            credits++;
        }
        await db.SaveChangesAsync(ct);
        return $"{services_.Count} status services, 1 current and {past.Length} past incidents ({outage.Count} tickets linked), {credits} credits";
    }

    private static readonly string[] Weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>
    /// Office hours in Berlin, and two policies through the API's own code, so tickets carry clocks: high and urgent
    /// tickets around the clock, every other ticket in office hours. Kept as they are when they exist.
    /// </summary>
    private static async Task SlaPoliciesAsync(LoopdeskDb db, SlaTracker sla, DateTimeOffset now, CancellationToken ct)
    {
        const string officeHours = "Office hours (Berlin)";
        var calendarId = await db.Calendars.Where(c => c.Name == officeHours).Select(c => (Guid?)c.Id).FirstOrDefaultAsync(ct);
        if (calendarId is null)
        {
            var (calendar, problem) = await SlaEndpoints.SaveCalendarAsync(db, sla, null, new CalendarRequest
            {
                Name = officeHours, TimeZoneId = "Europe/Berlin",
                Hours = [.. Weekdays.Select(day => new HoursEntry(day, "08:00", "18:00"))],
            }, now, null, ct);
            calendarId = calendar?.Id ?? throw new InvalidOperationException(problem?.ProblemDetails.Detail);
        }
        var policies = new[]
        {
            new SlaPolicyRequest { Name = "Urgent and high", Position = 10, Priorities = ["urgent", "high"], FirstReplySeconds = 2 * 3600, NextReplySeconds = 4 * 3600, ResolutionSeconds = 2 * 86400 },
            new SlaPolicyRequest { Name = "Standard", Position = 20, CalendarId = calendarId, FirstReplySeconds = 8 * 3600, NextReplySeconds = 16 * 3600, ResolutionSeconds = 5 * 10 * 3600 },
        };
        foreach (var policy in policies)
        {
            if (await db.SlaPolicies.AnyAsync(p => p.Name == policy.Name, ct)) continue;
            var (_, problem) = await SlaEndpoints.SavePolicyAsync(db, sla, null, policy, now, null, ct);
            if (problem is not null) throw new InvalidOperationException(problem.ProblemDetails.Detail);
        }
    }
}
