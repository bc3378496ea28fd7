namespace Loopdesk.Core.Tickets;

/// <summary>Where a ticket stands. Pending waits on the customer, on-hold on someone else; solved waits for the customer to agree.</summary>
public enum TicketStatus { New, Open, Pending, OnHold, Solved, Closed }

public enum TicketType { Question, Problem, Incident, Complaint, Suggestion, Task, InternalRequest }

public enum TicketPriority { Low, Normal, High, Urgent }

public enum MessageDirection { Inbound, Outbound }

/// <summary>The moves a ticket's status may make. Closed is final: a customer coming back gets a follow-up ticket.</summary>
public static class TicketLifecycle
{
    public static bool CanMove(TicketStatus from, TicketStatus to) => from == to || (from, to) switch
    {
        (TicketStatus.New, TicketStatus.Open or TicketStatus.Pending or TicketStatus.OnHold or TicketStatus.Solved) => true,
        (TicketStatus.Open, TicketStatus.Pending or TicketStatus.OnHold or TicketStatus.Solved) => true,
        (TicketStatus.Pending, TicketStatus.Open or TicketStatus.OnHold or TicketStatus.Solved) => true,
        (TicketStatus.OnHold, TicketStatus.Open or TicketStatus.Pending or TicketStatus.Solved) => true,
        (TicketStatus.Solved, TicketStatus.Open or TicketStatus.Closed) => true,
        _ => false,
    };

    public static bool IsUnresolved(TicketStatus status) => status is TicketStatus.New or TicketStatus.Open or TicketStatus.Pending or TicketStatus.OnHold;
}
