using System.Diagnostics;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Bench;

/// <summary>The words searched for, in classes by how common they are, and how many seeded messages hold each (as a prefix).</summary>
internal sealed class SearchWords
{
    public SearchWords(Corpus corpus, Random random)
    {
        var words = corpus.Words;
        var helpDeskEnd = Corpus.CommonCount + Corpus.HelpDeskCount;
        string[] Take(int from, int to, int n)
        {
            var picked = new HashSet<string>(StringComparer.Ordinal);
            while (picked.Count < n) picked.Add(words[random.Next(from, to)]);
            return [.. picked.Order(StringComparer.Ordinal)];
        }
        Classes =
        [
            new("common word", Take(Corpus.CommonCount, Corpus.CommonCount + 60, 12)),
            new("medium word", Take(Corpus.CommonCount + 60, helpDeskEnd, 12)),
            new("rare word", Take(helpDeskEnd, words.Count, 12)),
            new("customer name", [.. Corpus.LastNames.Take(12).Select(n => n.ToLowerInvariant())]),
        ];
        var pairs = new List<string>();
        for (var i = 0; i < 12; i++) pairs.Add(Classes[0].Words[i] + " " + Classes[1].Words[(i * 5) % 12]);
        Classes.Add(new("two words", [.. pairs]));

        Single = [.. Classes.SelectMany(c => c.Words).Where(w => !w.Contains(' ', StringComparison.Ordinal)).Distinct()];
        Hits = new long[Single.Length];
        _stamp = new long[Single.Length];
        _prefixOf = new int[words.Count][];
        for (var r = 0; r < words.Count; r++)
        {
            _prefixOf[r] = [.. Enumerable.Range(0, Single.Length).Where(q => words[r].StartsWith(Single[q], StringComparison.Ordinal))];
        }
        Count = Used;
    }

    public List<SearchClass> Classes { get; }

    /// <summary>Every one-word query.</summary>
    public string[] Single { get; }

    /// <summary>For each of <see cref="Single"/>: seeded messages with a word that starts with it.</summary>
    public long[] Hits { get; }

    public long Messages { get; private set; }

    /// <summary>Pass to <see cref="Corpus.Text"/> while writing message number <see cref="Messages"/>.</summary>
    public Action<int> Count { get; }

    private readonly long[] _stamp;
    private readonly int[][] _prefixOf;

    public void NextMessage() => Messages++;

    private void Used(int rank)
    {
        foreach (var q in _prefixOf[rank])
        {
            if (_stamp[q] == Messages + 1) continue;
            _stamp[q] = Messages + 1;
            Hits[q]++;
        }
    }

    /// <summary>The average share of seeded messages that a word of <paramref name="c"/> finds (a pair: its rarer word, an upper bound).</summary>
    public double HitShare(SearchClass c)
    {
        if (Messages == 0) return 0;
        var shares = c.Words.Select(q => q.Split(' ').Min(w => Array.IndexOf(Single, w) is var i and >= 0 ? Hits[i] : 0) / (double)Messages);
        return shares.Average();
    }
}

internal sealed record SearchClass(string Name, string[] Words);

/// <summary>
/// Seeds a help desk's history, oldest first: tickets over the past three years, each opened by a customer's message
/// (a contact too), most of them assigned and answered by an agent of their team, some with a customer's follow-up and
/// an internal note, and moved through the statuses a ticket of that age would have reached. Every row comes from the
/// domain's own methods, so events and versions are the ones the application writes.
/// </summary>
internal sealed class Seeder(Workload workload, Store store, SearchWords search, HashSet<string> references, DateTimeOffset now, long plannedTickets, int batchSize)
{
    private static readonly TimeSpan History = TimeSpan.FromDays(3 * 365);

    private readonly Random _random = new(7);
    private readonly Random _sample = new(11);
    private readonly DateTimeOffset _from = now - History;
    private TimeSpan _generating;
    private TimeSpan _writing;

    public long Tickets { get; private set; }

    public long Customers { get; private set; }

    public long Rows { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    /// <summary>A uniform sample of seeded references, for reading tickets back.</summary>
    public List<string> Sample { get; } = [];

    /// <summary>Seeds until <paramref name="done"/> holds (checked after each ticket).</summary>
    public async Task RunAsync(Func<bool> done, Action<string> progress, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var channel = System.Threading.Channels.Channel.CreateBounded<SeedBatch>(
            new System.Threading.Channels.BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(async () =>
        {
            try
            {
                while (!done())
                {
                    var batch = new SeedBatch();
                    var t0 = Stopwatch.GetTimestamp();
                    while (batch.Tickets.Count < batchSize && !done()) Next(batch);
                    _generating += Stopwatch.GetElapsedTime(t0);
                    await channel.Writer.WriteAsync(batch, ct);
                }
            }
            finally
            {
                channel.Writer.Complete();
            }
        }, ct);
        var lastReport = Stopwatch.GetTimestamp();
        void Report()
        {
            lastReport = Stopwatch.GetTimestamp();
            var seconds = (Elapsed + Stopwatch.GetElapsedTime(started)).TotalSeconds;
            progress($"   seeded {Tickets:N0} tickets, {search.Messages:N0} messages: {Tickets / seconds:N0} tickets/s, {Rows / seconds:N0} rows/s "
                + $"(making rows {_generating.TotalSeconds:N0} s, writing {_writing.TotalSeconds:N0} s: "
                + string.Join(", ", store.SeedTime.Select(kv => $"{kv.Key} {kv.Value.TotalSeconds:N0}")) + ")");
        }
        await foreach (var batch in channel.Reader.ReadAllAsync(ct))
        {
            var w0 = Stopwatch.GetTimestamp();
            await store.SeedAsync(batch, ct);
            _writing += Stopwatch.GetElapsedTime(w0);
            if (Stopwatch.GetElapsedTime(lastReport).TotalSeconds >= 30) Report();
        }
        await producer;
        Report();
        Elapsed += Stopwatch.GetElapsedTime(started);
    }

    private void Next(SeedBatch batch)
    {
        var random = _random;
        // evenly spread over the history, oldest first
        var at = _from + (History * ((Tickets + random.NextDouble() * 0.9) / plannedTickets));
        if (at > now) at = now;

        KnownCustomer customer;
        if (workload.KnownCount == 0 || random.Next(5) == 0)
        {
            var number = workload.NextCustomerNumber();
            var (name, email, phone) = workload.NewPerson(random, number);
            var created = workload.CreateCustomer(name, email, phone, at);
            batch.Customers.Add(created);
            customer = new KnownCustomer(created.Id, created.OrganizationId, name, email);
            workload.Remember(customer);
            Customers++;
            Rows += 1 + created.Identities.Count;
        }
        else
        {
            customer = workload.PickKnown(random);
        }

        string reference;
        do reference = TicketReference.New();
        while (!references.Add(reference));

        var teamIndex = Workload.PickTeam(random);
        var team = workload.World.Teams[teamIndex];
        var agents = workload.World.AgentsByTeam[teamIndex];
        var channel = Workload.PickChannel(random);
        var corpus = workload.Corpus;
        var ticket = Ticket.Open(
            new NewTicket(reference, corpus.Subject(random), channel, customer.Id, customer.OrganizationId, Workload.PickType(random),
                Workload.PickPriority(random), Workload.Tags(random), team),
            Actor.System, at, at);
        Message(ticket, MessageDirection.Inbound, channel, Actor.Customer(customer.Id), at, random.Next(12, 90));
        ticket.RecordContact(channel, null, Actor.Customer(customer.Id), at, at);

        var status = TargetStatus(now - at, random);
        if (status != TicketStatus.New || random.Next(5) < 2)
        {
            var agent = agents[random.Next(agents.Count)];
            var t = Later(at, TimeSpan.FromMinutes(random.Next(2, 360)));
            ticket.Apply(new TicketChange { AssigneeId = agent }, Actor.Agent(agent), t);
            if (status != TicketStatus.New)
            {
                Message(ticket, MessageDirection.Outbound, channel, Actor.Agent(agent), t, random.Next(15, 70));
                if (random.Next(100) < 15)
                {
                    t = Later(t, TimeSpan.FromMinutes(random.Next(10, 2 * 24 * 60)));
                    Message(ticket, MessageDirection.Inbound, channel, Actor.Customer(customer.Id), t, random.Next(8, 60));
                    ticket.RecordContact(channel, null, Actor.Customer(customer.Id), t, t);
                    if (random.Next(2) == 0)
                    {
                        t = Later(t, TimeSpan.FromMinutes(random.Next(5, 600)));
                        Message(ticket, MessageDirection.Outbound, channel, Actor.Agent(agent), t, random.Next(15, 70));
                    }
                }
                if (random.Next(100) < 5)
                {
                    t = Later(t, TimeSpan.FromMinutes(random.Next(1, 120)));
                    Message(ticket, MessageDirection.Outbound, Channel.Internal, Actor.Agent(agent), t, random.Next(5, 40), internalNote: true);
                }
                t = Later(t, TimeSpan.FromMinutes(random.Next(10, 3 * 24 * 60)));
                switch (status)
                {
                    case TicketStatus.Pending or TicketStatus.OnHold or TicketStatus.Solved:
                        ticket.Apply(new TicketChange { Status = status }, Actor.Agent(agent), t);
                        break;
                    case TicketStatus.Closed:
                        ticket.Apply(new TicketChange { Status = TicketStatus.Solved }, Actor.Agent(agent), t);
                        ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, Actor.System, Later(t, TimeSpan.FromDays(3)));
                        break;
                    default:
                        break;
                }
            }
        }
        if (ticket.Status != status) throw new InvalidOperationException($"seeded ticket ended {ticket.Status}, meant {status}");

        batch.Tickets.Add(ticket);
        Tickets++;
        Rows += 1 + ticket.Messages.Count + ticket.Contacts.Count + ticket.Events.Count;
        if (Sample.Count < 20_000) Sample.Add(reference);
        else if (_sample.NextInt64(Tickets) is var j && j < Sample.Count) Sample[(int)j] = reference;
    }

    private void Message(Ticket ticket, MessageDirection direction, Channel channel, Actor author, DateTimeOffset at, int words, bool internalNote = false)
    {
        var text = workload.Corpus.Text(_random, words, search.Count);
        search.NextMessage();
        var verdict = ticket.AddMessage(new NewMessage(direction, channel, text, Internal: internalNote), author, at, at, out _);
        if (!verdict.IsOk) throw new InvalidOperationException(verdict.Message);
    }

    private DateTimeOffset Later(DateTimeOffset t, TimeSpan by) => t + by > now ? now : t + by;

    /// <summary>Old tickets are mostly closed; recent ones are still being worked on.</summary>
    private static TicketStatus TargetStatus(TimeSpan age, Random random)
    {
        var u = random.Next(100);
        if (age.TotalDays > 30)
        {
            return u switch { < 88 => TicketStatus.Closed, < 94 => TicketStatus.Solved, < 97 => TicketStatus.Open, < 99 => TicketStatus.Pending, _ => TicketStatus.OnHold };
        }
        if (age.TotalDays > 7)
        {
            return u switch { < 40 => TicketStatus.Closed, < 70 => TicketStatus.Solved, < 82 => TicketStatus.Open, < 92 => TicketStatus.Pending, < 97 => TicketStatus.OnHold, _ => TicketStatus.New };
        }
        return u switch { < 2 => TicketStatus.Closed, < 22 => TicketStatus.Solved, < 57 => TicketStatus.Open, < 77 => TicketStatus.Pending, < 85 => TicketStatus.OnHold, _ => TicketStatus.New };
    }
}
