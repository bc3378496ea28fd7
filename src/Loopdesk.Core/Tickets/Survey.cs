using System.Security.Cryptography;
using System.Text;
using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tickets;

/// <summary>
/// The satisfaction survey of one closed ticket: a rating of 1 to 5 and a comment. The customer answers through a link
/// holding a random token; only the token's hash is stored, and the link works once.
/// </summary>
public sealed class Survey
{
    public const int CommentMaxLength = 5000;

    private Survey() { }

    public static Survey Create(Guid ticketId, Guid customerId, Channel channel, DateTimeOffset now, out string token)
    {
        token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
        return new Survey
        {
            Id = Ids.New(now),
            TicketId = ticketId,
            CustomerId = customerId,
            Channel = channel,
            TokenHash = Hash(token),
            SentAt = now,
        };
    }

    public Guid Id { get; private set; }
    public Guid TicketId { get; private set; }
    public Guid CustomerId { get; private set; }
    public Channel Channel { get; private set; }
    public string TokenHash { get; private set; } = "";
    public DateTimeOffset SentAt { get; private set; }
    public int? Rating { get; private set; }
    public string? Comment { get; private set; }
    public DateTimeOffset? AnsweredAt { get; private set; }

    /// <summary>Takes the customer's answer, once, from the holder of the link's token.</summary>
    public Verdict Answer(string token, int rating, string? comment, DateTimeOffset now)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token ?? "")), Encoding.ASCII.GetBytes(TokenHash)))
            return Verdict.Deny("survey.invalid_token", "This survey link is not valid.", "token");
        return Take(rating, comment, now);
    }

    /// <summary>Takes the answer of the customer the survey was sent to, signed in to the portal (no link needed), once.</summary>
    public Verdict AnswerAsCustomer(Guid customerId, int rating, string? comment, DateTimeOffset now)
        => customerId != CustomerId ? Verdict.Deny("survey.invalid_token", "This survey link is not valid.", "token") : Take(rating, comment, now);

    private Verdict Take(int rating, string? comment, DateTimeOffset now)
    {
        if (AnsweredAt is not null) return Verdict.Deny("survey.answered", "This survey was answered already; thank you.");
        if (rating is < 1 or > 5) return Verdict.Deny("survey.invalid_rating", "The rating is 1 to 5.", "rating");
        var text = comment?.Trim();
        if (text is { Length: > CommentMaxLength }) return Verdict.Deny("survey.comment_too_long", $"A comment is at most {CommentMaxLength} characters.", "comment");
        Rating = rating;
        Comment = string.IsNullOrEmpty(text) ? null : text;
        AnsweredAt = now;
        return Verdict.Ok;
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
