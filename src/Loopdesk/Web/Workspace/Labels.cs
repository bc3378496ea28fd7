using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;

namespace Loopdesk.Web.Workspace;

/// <summary>The words the workspace shows for the domain's values.</summary>
public static class Labels
{
    public static string Status(TicketStatus s) => s switch
    {
        TicketStatus.New => "New",
        TicketStatus.Open => "Open",
        TicketStatus.Pending => "Pending",
        TicketStatus.OnHold => "On hold",
        TicketStatus.Solved => "Solved",
        _ => "Closed",
    };

    public static string Priority(TicketPriority p) => p switch
    {
        TicketPriority.Low => "Low",
        TicketPriority.Normal => "Normal",
        TicketPriority.High => "High",
        _ => "Urgent",
    };

    public static string Channel(Channel c) => c switch
    {
        Core.Common.Channel.Email => "Email",
        Core.Common.Channel.Chat => "Chat",
        Core.Common.Channel.Phone => "Phone",
        Core.Common.Channel.Portal => "Portal",
        Core.Common.Channel.Social => "Social",
        Core.Common.Channel.Review => "Review",
        Core.Common.Channel.Internal => "Internal",
        Core.Common.Channel.Visit => "Visit",
        _ => "API",
    };

    public static string ChatState(Core.Chat.ChatState s) => s switch
    {
        Core.Chat.ChatState.Queued => "Waiting",
        Core.Chat.ChatState.Active => "Talking",
        Core.Chat.ChatState.IdleWarned => "Asked if still there",
        Core.Chat.ChatState.Ended => "Ended",
        Core.Chat.ChatState.Abandoned => "Left the queue",
        _ => "Missed",
    };

    public static string Type(TicketType t) => t == TicketType.InternalRequest ? "Internal request" : t.ToString();

    /// <summary>"just now", "5 min ago", "3 h ago", "2 days ago", then the date.</summary>
    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        if (span < TimeSpan.FromMinutes(1)) return "just now";
        if (span < TimeSpan.FromHours(1)) return $"{(int)span.TotalMinutes} min ago";
        if (span < TimeSpan.FromDays(1)) return $"{(int)span.TotalHours} h ago";
        if (span < TimeSpan.FromDays(2)) return "1 day ago";
        if (span < TimeSpan.FromDays(14)) return $"{(int)span.TotalDays} days ago";
        return at.ToString("d MMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Time left (or overdue) in words: "2 h 10 min left", "overdue by 5 min"; without <paramref name="days"/>, "50 h 0 min" rather than "2 d 2 h" (business hours are not whole days).</summary>
    public static string Left(TimeSpan left, bool days = true)
    {
        var over = left < TimeSpan.Zero;
        var span = over ? -left : left;
        // whole minutes, rounded up, before choosing the unit: 59 min 30 s is "1 h 0 min", not "60 min"
        var minutes = Math.Max(1, (long)Math.Ceiling(span.TotalMinutes));
        var text = days && minutes >= 24 * 60 ? $"{minutes / (24 * 60)} d {minutes % (24 * 60) / 60} h"
            : minutes >= 60 ? $"{minutes / 60} h {minutes % 60} min"
            : $"{minutes} min";
        return over ? $"overdue by {text}" : $"{text} left";
    }
}
