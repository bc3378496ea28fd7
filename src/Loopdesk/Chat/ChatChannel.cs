using Loopdesk.Core.Chat;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Email;
using Loopdesk.Rules;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Chat;

/// <summary>
/// Delivers what we say on a chat ticket: into the chat while the visitor is still in it, otherwise by email when we
/// have their address (an acknowledgement of an offline message, a follow-up to a missed chat, a later answer).
/// </summary>
public sealed class ChatChannel(EmailChannel email, IHubContext<VisitorHub> visitors, ChatBus bus) : IChannelAdapter
{
    public Channel Channel => Channel.Chat;

    public async Task<DeliveryResult> DeliverAsync(DeliveryRequest r, CancellationToken ct)
    {
        var ticketId = r.Ticket.Id;
        var live = await r.Db.Set<ChatSession>().Where(c => c.TicketId == ticketId
            && (c.State == ChatState.Active || c.State == ChatState.IdleWarned || c.State == ChatState.Queued)).FirstOrDefaultAsync(ct);
        if (live is not null)
        {
            var name = r.Message.AuthorKind == ActorKind.Agent && r.Message.AuthorId is { } agentId
                ? await r.Db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.Name).FirstOrDefaultAsync(ct) : null;
            var line = new ChatLine(live.Id, name is null ? ChatAuthor.System : ChatAuthor.Agent, r.Message.AuthorId, name, r.Message.Text.Length > ChatLine.BodyMaxLength
                ? r.Message.Text[..ChatLine.BodyMaxLength] : r.Message.Text, "delivery:" + r.DeliveryId.ToString("N"), r.Now);
            if (!await r.Db.Set<ChatLine>().AnyAsync(l => l.ChatId == live.Id && l.ClientMessageId == line.ClientMessageId, ct))
            {
                r.Db.Add(line);
                await r.Db.SaveChangesAsync(ct);
                var dto = ChatService.ToDto(line);
                await visitors.Clients.Group(ChatService.Group(live.Id)).SendAsync("Message", dto, ct);
                bus.Publish(new ChatSignal(live.Id, ChatSignal.Line, live.TeamId, live.AgentId, dto));
            }
            return DeliveryResult.Sent("in the live chat");
        }
        if (r.Customer.PrimaryEmail is null) return new DeliveryResult(DeliveryState.Failed, "The chat is over and the visitor left no email address.");
        if (!email.Ready) return new DeliveryResult(DeliveryState.Failed, "The chat is over, and no mailbox sends mail to reach the visitor by email.");
        return await email.DeliverAsync(r, ct);
    }
}
