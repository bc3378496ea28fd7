using Loopdesk.Core.Common;

namespace Loopdesk.Core.Agents;

/// <summary>Something a staff member should know: a promise overdue on their team, a rule asking for attention.</summary>
public sealed class Notification
{
    public const int TextMaxLength = 2000;

    private Notification() { }

    public Notification(Guid agentId, Guid? ticketId, string kind, string text, DateTimeOffset now)
    {
        Id = Ids.New(now);
        AgentId = agentId;
        TicketId = ticketId;
        Kind = kind;
        Text = text.Length > TextMaxLength ? text[..TextMaxLength] : text;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid AgentId { get; private set; }
    public Guid? TicketId { get; private set; }
    public string Kind { get; private set; } = "";
    public string Text { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ReadAt { get; private set; }

    public void MarkRead(DateTimeOffset now) => ReadAt ??= now;
}
