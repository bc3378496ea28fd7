using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Microsoft.Extensions.Time.Testing;

namespace Loopdesk.Core.Tests.Tickets;

public class TicketLifecycleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    private static readonly Actor Agent = Actor.Agent(Guid.NewGuid());

    private Ticket NewTicket()
        => Ticket.Open(new NewTicket(TicketReference.New(), "Router drops", Channel.Email, Guid.NewGuid(), null), Agent, _clock.GetUtcNow(), _clock.GetUtcNow());

    [Theory]
    [InlineData(TicketStatus.New, TicketStatus.Open, true)]
    [InlineData(TicketStatus.Open, TicketStatus.Pending, true)]
    [InlineData(TicketStatus.Pending, TicketStatus.OnHold, true)]
    [InlineData(TicketStatus.OnHold, TicketStatus.Solved, true)]
    [InlineData(TicketStatus.Solved, TicketStatus.Open, true)]
    [InlineData(TicketStatus.Solved, TicketStatus.Closed, true)]
    [InlineData(TicketStatus.Closed, TicketStatus.Pending, false)]
    [InlineData(TicketStatus.Closed, TicketStatus.Open, false)]
    [InlineData(TicketStatus.Open, TicketStatus.Closed, false)]
    [InlineData(TicketStatus.New, TicketStatus.Closed, false)]
    [InlineData(TicketStatus.Solved, TicketStatus.New, false)]
    public void Only_the_allowed_moves_are_allowed(TicketStatus from, TicketStatus to, bool allowed)
        => Assert.Equal(allowed, TicketLifecycle.CanMove(from, to));

    [Fact]
    public void Opening_records_a_created_event_and_starts_at_new()
    {
        var ticket = NewTicket();
        Assert.Equal(TicketStatus.New, ticket.Status);
        var created = Assert.Single(ticket.Events);
        Assert.Equal(TicketEventTypes.Created, created.Type);
        Assert.Contains("\"channel\":\"email\"", created.Data, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_change_touches_nothing()
    {
        var ticket = NewTicket();
        ticket.Apply(new TicketChange { Status = TicketStatus.Solved }, Agent, _clock.GetUtcNow());
        ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, Agent, _clock.GetUtcNow());
        var version = ticket.Version;
        var events = ticket.Events.Count;

        var verdict = ticket.Apply(new TicketChange { Status = TicketStatus.Pending, Priority = TicketPriority.Urgent }, Agent, _clock.GetUtcNow());

        Assert.False(verdict.IsOk);
        Assert.Equal("ticket.invalid_transition", verdict.Code);
        Assert.Equal("status", verdict.Field);
        Assert.Equal(TicketPriority.Normal, ticket.Priority);
        Assert.Equal(version, ticket.Version);
        Assert.Equal(events, ticket.Events.Count);
    }

    [Fact]
    public void Solving_stamps_the_time_and_reopening_clears_it()
    {
        var ticket = NewTicket();
        _clock.Advance(TimeSpan.FromHours(2));
        ticket.Apply(new TicketChange { Status = TicketStatus.Solved }, Agent, _clock.GetUtcNow());
        Assert.Equal(_clock.GetUtcNow(), ticket.SolvedAt);

        ticket.Apply(new TicketChange { Status = TicketStatus.Open }, Agent, _clock.GetUtcNow());
        Assert.Null(ticket.SolvedAt);
    }

    [Fact]
    public void An_unchanged_value_is_no_change()
    {
        var ticket = NewTicket();
        var version = ticket.Version;
        ticket.Apply(new TicketChange { Priority = TicketPriority.Normal, Tags = [] }, Agent, _clock.GetUtcNow());
        Assert.Equal(version, ticket.Version);
        Assert.Single(ticket.Events);
    }

    [Fact]
    public void A_closed_ticket_takes_no_replies_but_still_takes_notes()
    {
        var ticket = NewTicket();
        ticket.Apply(new TicketChange { Status = TicketStatus.Solved }, Agent, _clock.GetUtcNow());
        ticket.Apply(new TicketChange { Status = TicketStatus.Closed }, Agent, _clock.GetUtcNow());

        Assert.False(ticket.AddMessage(new NewMessage(MessageDirection.Outbound, Channel.Email, "Hello?"), Agent, _clock.GetUtcNow(), _clock.GetUtcNow(), out _).IsOk);
        Assert.True(ticket.AddMessage(new NewMessage(MessageDirection.Outbound, Channel.Email, "for the record", Internal: true), Agent, _clock.GetUtcNow(), _clock.GetUtcNow(), out _).IsOk);
    }

    [Fact]
    public void Tags_are_trimmed_lower_cased_and_deduplicated()
    {
        var ticket = Ticket.Open(new NewTicket(TicketReference.New(), "x", Channel.Chat, Guid.NewGuid(), null, Tags: [" VIP ", "vip", "Billing"]), Agent, _clock.GetUtcNow(), _clock.GetUtcNow());
        Assert.Equal(["billing", "vip"], ticket.Tags);
    }

    [Fact]
    public void Too_many_tags_are_refused()
        => Assert.Equal("ticket.too_many_tags", Ticket.Validate(Enumerable.Range(0, Ticket.MaxTags + 1).Select(i => $"t{i}")).Code);
}
