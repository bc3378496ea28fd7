using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Bench;

/// <summary>The help desk the tickets belong to: its teams, agents and organizations, made through the API.</summary>
internal sealed class World
{
    public static readonly string[] TeamNames = ["Support", "Billing", "Technical", "Follow-ups", "Internal IT"];

    /// <summary>How tickets spread over <see cref="TeamNames"/>.</summary>
    public static readonly double[] TeamShare = [0.40, 0.22, 0.16, 0.12, 0.10];

    public static readonly string[] PublicDomains = ["mail.example", "post.example", "inbox.example", "webmail.example", "net.example"];

    public required Guid AdminId { get; init; }

    public required IReadOnlyList<Guid> Teams { get; init; }

    public required IReadOnlyList<IReadOnlyList<Guid>> AgentsByTeam { get; init; }

    /// <summary>Organization id by the email domain of its people.</summary>
    public required IReadOnlyDictionary<string, Guid> Organizations { get; init; }
}

/// <summary>A customer the harness knows to be in the database.</summary>
internal sealed record KnownCustomer(Guid Id, Guid? OrganizationId, string Name, string Email);

/// <summary>What one "open a ticket" request says: the same for the API and for the direct inserts.</summary>
internal sealed record CreateSpec(
    string Subject, string Body, Channel Channel, TicketPriority Priority, TicketType Type, IReadOnlyList<string> Tags, Guid TeamId,
    string CustomerName, string CustomerEmail, string? CustomerPhone, KnownCustomer? Known);

/// <summary>
/// Makes customers and tickets. Customers are numbered; number k has a unique email and, for one in five, a unique phone.
/// Seeded customers are remembered, so later requests can name a customer the server must find.
/// </summary>
internal sealed class Workload(Corpus corpus, World world)
{
    private static readonly (Channel Value, int Weight)[] Channels =
        [(Channel.Email, 40), (Channel.Chat, 20), (Channel.Phone, 12), (Channel.Portal, 15), (Channel.Social, 5), (Channel.Api, 8)];
    private static readonly (TicketType Value, int Weight)[] Types =
        [(TicketType.Question, 35), (TicketType.Problem, 33), (TicketType.Incident, 8), (TicketType.Complaint, 7), (TicketType.Suggestion, 5), (TicketType.Task, 10), (TicketType.InternalRequest, 2)];
    private static readonly (TicketPriority Value, int Weight)[] Priorities =
        [(TicketPriority.Low, 15), (TicketPriority.Normal, 60), (TicketPriority.High, 20), (TicketPriority.Urgent, 5)];
    private static readonly string[] TagWords =
    [
        "billing", "refund", "login", "password", "outage", "shipping", "delivery", "app", "web", "mobile", "printer", "network", "wifi",
        "invoice", "vip", "escalated", "bug", "feature-request", "hardware", "onboarding", "cancellation", "upgrade", "security", "spam",
        "warranty", "returns", "field-service", "sla", "gdpr", "api", "integration", "email", "phone", "chat", "feedback", "urgent",
    ];

    private readonly Lock _gate = new();
    private readonly List<KnownCustomer> _known = [];
    private readonly string[] _orgDomains = [.. world.Organizations.Keys];
    private long _nextCustomer;

    public Corpus Corpus => corpus;

    public World World => world;

    public int KnownCount
    {
        get
        {
            lock (_gate) return _known.Count;
        }
    }

    /// <summary>Reserves customer numbers, so that every customer made anywhere in this run is new to the database.</summary>
    public long NextCustomerNumber()
    {
        lock (_gate) return _nextCustomer++;
    }

    public void Remember(KnownCustomer customer)
    {
        lock (_gate) _known.Add(customer);
    }

    public KnownCustomer PickKnown(Random random)
    {
        lock (_gate) return _known[random.Next(_known.Count)];
    }

    /// <summary>A new person: name, email (three in ten at an organization's domain) and, for one in five, a phone.</summary>
    public (string Name, string Email, string? Phone) NewPerson(Random random, long number)
    {
        var first = Corpus.FirstNames[random.Next(Corpus.FirstNames.Length)];
        var last = Corpus.LastNames[random.Next(Corpus.LastNames.Length)];
        var domain = _orgDomains.Length > 0 && random.Next(10) < 3 ? _orgDomains[random.Next(_orgDomains.Length)] : World.PublicDomains[random.Next(World.PublicDomains.Length)];
        var email = $"{first}.{last}.{number}@{domain}".ToLowerInvariant();
        var phone = random.Next(5) == 0 ? $"+49 30 {10_000_000 + number}" : null;
        return ($"{first} {last}", email, phone);
    }

    /// <summary>A customer as the server's CustomerLookup.Resolve makes one.</summary>
    public Customer CreateCustomer(string name, string email, string? phone, DateTimeOffset now)
    {
        var customer = Customer.Create(name, now);
        var normalizedEmail = EmailAddress.Normalize(email, out _) ?? throw new InvalidOperationException($"bad email {email}");
        customer.AddIdentity(IdentityKind.Email, normalizedEmail, now);
        if (world.Organizations.TryGetValue(normalizedEmail.Split('@')[1], out var organizationId))
        {
            customer.Update(new CustomerChange { OrganizationId = organizationId }, now);
        }
        if (phone is not null) customer.AddIdentity(IdentityKind.Phone, PhoneNumber.Normalize(phone, out _)!, now);
        return customer;
    }

    /// <summary>One request to open a ticket; <paramref name="knownShare"/> of them name a customer already stored.</summary>
    public CreateSpec NextCreate(Random random, double knownShare)
    {
        var team = PickTeam(random);
        KnownCustomer? known = null;
        string name, email;
        string? phone = null;
        if (KnownCount > 0 && random.NextDouble() < knownShare)
        {
            known = PickKnown(random);
            (name, email) = (known.Name, known.Email);
        }
        else
        {
            (name, email, phone) = NewPerson(random, NextCustomerNumber());
        }
        return new CreateSpec(corpus.Subject(random), corpus.Text(random, random.Next(12, 90)), Pick(random, Channels), Pick(random, Priorities),
            Pick(random, Types), Tags(random), world.Teams[team], name, email, phone, known);
    }

    /// <summary>The ticket TicketCommands.CreateAsync makes for <paramref name="spec"/>, and the customer it creates (null when found).</summary>
    public (Customer? NewCustomer, Ticket Ticket) BuildCreate(CreateSpec spec, Actor actor, DateTimeOffset now)
    {
        Customer? created = null;
        Guid customerId;
        Guid? organizationId;
        if (spec.Known is { } known)
        {
            (customerId, organizationId) = (known.Id, known.OrganizationId);
        }
        else
        {
            created = CreateCustomer(spec.CustomerName, spec.CustomerEmail, spec.CustomerPhone, now);
            (customerId, organizationId) = (created.Id, created.OrganizationId);
        }
        var ticket = Ticket.Open(
            new NewTicket(TicketReference.New(), spec.Subject, spec.Channel, customerId, organizationId, spec.Type, spec.Priority, spec.Tags, spec.TeamId),
            actor, now, now);
        ticket.AddMessage(new NewMessage(MessageDirection.Inbound, spec.Channel, spec.Body.Trim()), Actor.Customer(customerId), now, now, out _);
        ticket.RecordContact(spec.Channel, null, Actor.Customer(customerId), now, now);
        return (created, ticket);
    }

    public static int PickTeam(Random random)
    {
        var u = random.NextDouble();
        for (var i = 0; i < World.TeamShare.Length; i++)
        {
            u -= World.TeamShare[i];
            if (u < 0) return i;
        }
        return World.TeamShare.Length - 1;
    }

    public static IReadOnlyList<string> Tags(Random random)
    {
        var n = random.Next(4);
        var tags = new List<string>(n);
        for (var i = 0; i < n; i++) tags.Add(TagWords[random.Next(TagWords.Length)]);
        return tags;
    }

    public static T Pick<T>((T Value, int Weight)[] choices, Random random)
    {
        var total = 0;
        foreach (var c in choices) total += c.Weight;
        var u = random.Next(total);
        foreach (var c in choices)
        {
            if (u < c.Weight) return c.Value;
            u -= c.Weight;
        }
        return choices[^1].Value;
    }

    public static Channel PickChannel(Random random) => Pick(random, Channels);

    public static TicketType PickType(Random random) => Pick(random, Types);

    public static TicketPriority PickPriority(Random random) => Pick(random, Priorities);

    private static T Pick<T>(Random random, (T Value, int Weight)[] choices) => Pick(choices, random);
}
