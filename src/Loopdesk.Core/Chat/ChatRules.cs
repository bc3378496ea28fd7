namespace Loopdesk.Core.Chat;

/// <summary>Where a live chat is: waiting in the queue, talking, warned about silence, or over (and how it ended).</summary>
public enum ChatState { Queued, Active, IdleWarned, Ended, Abandoned, Missed }

/// <summary>Who wrote a line of a chat.</summary>
public enum ChatAuthor { Visitor, Agent, System }

/// <summary>Why a chat ended.</summary>
public enum ChatEndReason { Agent, Visitor, Idle, Missed, Abandoned }

/// <summary>An honest expected wait for a queued chat, from the queue now and how long chats recently took.</summary>
public readonly record struct WaitEstimate(int Position, int ExpectedWaitSeconds, bool LongerThanUsual)
{
    /// <summary>Without history, an agent takes this long to pick up a chat with a free slot.</summary>
    public const int DefaultPickUpSeconds = 30;
    /// <summary>Without history, a chat lasts this long.</summary>
    public const int DefaultHandleSeconds = 360;

    /// <summary>
    /// <paramref name="position"/> is 1 for the first in line. While free slots (online agents' capacity not in use)
    /// cover the position, the wait is the usual pick-up time; past them, each chat ahead must end first, and chats end
    /// at the rate of the online capacity over the usual handle time. "Longer than usual" when the estimate is over
    /// twice the usual wait, or nobody online has room at all.
    /// </summary>
    public static WaitEstimate Compute(int position, int freeSlots, int onlineCapacity, double? pickUpSeconds, double? handleSeconds, double? usualWaitSeconds)
    {
        var pickUp = pickUpSeconds is > 0 ? pickUpSeconds.Value : DefaultPickUpSeconds;
        var handle = handleSeconds is > 0 ? handleSeconds.Value : DefaultHandleSeconds;
        double wait;
        if (position <= freeSlots) wait = pickUp;
        else
        {
            var ahead = position - Math.Max(0, freeSlots);
            wait = pickUp + ahead * handle / Math.Max(1, onlineCapacity);
        }
        var usual = usualWaitSeconds is > 0 ? usualWaitSeconds.Value : pickUp;
        var longer = wait > 2 * usual || onlineCapacity == 0;
        return new WaitEstimate(position, (int)Math.Round(wait), longer);
    }
}
