using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Data;
using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Rules;

public sealed record SurveyDto(Guid Id, Guid TicketId, Guid CustomerId, Channel Channel, DateTimeOffset SentAt, int? Rating, string? Comment, DateTimeOffset? AnsweredAt);

public sealed class SurveyAnswerRequest
{
    /// <summary>The token of the answer link.</summary>
    [Required, MaxLength(100)]
    public required string Token { get; init; }
    /// <summary>1 (very unhappy) to 5 (very happy).</summary>
    public required int Rating { get; init; }
    [MaxLength(Survey.CommentMaxLength)]
    public string? Comment { get; init; }
}

public sealed record NotificationDto(Guid Id, Guid? TicketId, string Kind, string Text, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);

public sealed record OutboxEntryDto(Guid Id, string Kind, string? Key, Guid? TicketId, JobState State, int Attempts, string? LastError, DateTimeOffset DueAt, DateTimeOffset CreatedAt);

/// <summary>Surveys, staff notifications and the outbox: what the service rules leave for people to see.</summary>
public static class ServiceEndpoints
{
    public static void MapServiceEndpoints(this IEndpointRouteBuilder app)
    {
        var surveys = app.MapGroup("/surveys").WithTags("Surveys");
        surveys.MapGet("/", ListSurveysAsync).WithName("ListSurveys").RequireAuthorization(Policies.Agent).WithSummary("Survey answers")
            .WithDescription("Newest first, up to 200; `answered=true` for answered ones only; `ticket` (a reference) for one ticket's.");
        surveys.MapPost("/{id:guid}/answer", AnswerAsync).WithName("AnswerSurvey").AllowAnonymous().WithSummary("Answer a survey")
            .WithDescription("Called from the survey link, by the customer (no sign-in): the token proves the link. A link works once (409 after); "
                + "a wrong token, or a token of another survey, is 403.");

        var me = app.MapGroup("/me/notifications").WithTags("Notifications").RequireAuthorization(Policies.Staff);
        me.MapGet("/", NotificationsAsync).WithName("ListMyNotifications").WithSummary("My notifications")
            .WithDescription("Newest first, up to 100: reminders of my promises, overdue promises of my team, what rules asked me to look at. `unread=true` for unread only.");
        me.MapPost("/{id:guid}/read", ReadAsync).WithName("ReadNotification").WithSummary("Mark a notification read")
            .WithDescription("Any staff member, collaborators included, for their own notifications; marking one read twice changes nothing. 404 when it is not yours or there is none.");

        var outbox = app.MapGroup("/outbox").WithTags("Outbox").RequireAuthorization(Policies.Admin);
        outbox.MapGet("/", OutboxAsync).WithName("ListOutbox").WithSummary("Pending and parked work")
            .WithDescription("Deliveries, webhook calls and timers not done yet. `state=parked` shows what failed every attempt, with the last error.");
        outbox.MapPost("/{id:guid}/retry", RetryAsync).WithName("RetryOutboxEntry").WithSummary("Try a parked entry again, now")
            .WithDescription("Admins only. The entry is due at once with its attempts counted from zero, parked or still pending. 404 when there is none, 409 outbox.running while it runs.");
        outbox.MapDelete("/{id:guid}", DiscardAsync).WithName("DiscardOutboxEntry").WithSummary("Discard a parked entry")
            .WithDescription("What it was to do will not happen; a discarded delivery marks its message failed. Only parked entries (409 outbox.not_parked), not while one runs (409 outbox.running).");
    }

    private static async Task<Results<Ok<List<SurveyDto>>, ProblemHttpResult>> ListSurveysAsync(
        bool? answered, string? ticket, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        var query = db.Surveys.AsNoTracking();
        if (ticket is not null)
        {
            var t = await TicketEndpoints.FindAsync(db, ticket, user, ct);
            if (t is null) return Problems.NotFound("ticket");
            query = query.Where(s => s.TicketId == t.Id);
        }
        if (answered == true) query = query.Where(s => s.AnsweredAt != null);
        var rows = await query.OrderByDescending(s => s.Id).Take(200).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(s => new SurveyDto(s.Id, s.TicketId, s.CustomerId, s.Channel, s.SentAt, s.Rating, s.Comment, s.AnsweredAt)).ToList());
    }

    private static async Task<Results<Ok<SurveyDto>, ProblemHttpResult>> AnswerAsync(
        Guid id, SurveyAnswerRequest body, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var survey = await db.Surveys.FirstOrDefaultAsync(s => s.Id == id, ct);
        // an unknown survey and a wrong token look the same: the link is not valid
        if (survey is null) return Problems.Forbidden("This survey link is not valid.", "token");
        var verdict = survey.Answer(body.Token, body.Rating, body.Comment, clock.GetUtcNow());
        if (!verdict.IsOk)
        {
            return verdict.Code switch
            {
                "survey.invalid_token" => Problems.Forbidden(verdict.Message!, "token"),
                "survey.answered" => Problems.Conflict(verdict.Code, verdict.Message!),
                _ => Problems.Validation(verdict.Field ?? "rating", verdict.Message!),
            };
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.Conflict("survey.answered", "This survey was answered already; thank you.");
        }
        return TypedResults.Ok(new SurveyDto(survey.Id, survey.TicketId, survey.CustomerId, survey.Channel, survey.SentAt, survey.Rating, survey.Comment, survey.AnsweredAt));
    }

    private static async Task<Ok<List<NotificationDto>>> NotificationsAsync(bool? unread, ClaimsPrincipal user, LoopdeskDb db, CancellationToken ct)
    {
        var me = user.AgentId();
        var query = db.Notifications.AsNoTracking().Where(n => n.AgentId == me);
        if (unread == true) query = query.Where(n => n.ReadAt == null);
        var rows = await query.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Take(100).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(n => new NotificationDto(n.Id, n.TicketId, n.Kind, n.Text, n.CreatedAt, n.ReadAt)).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ReadAsync(Guid id, ClaimsPrincipal user, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
    {
        var me = user.AgentId();
        var notification = await db.Notifications.FirstOrDefaultAsync(n => n.Id == id && n.AgentId == me, ct);
        if (notification is null) return Problems.NotFound("notification");
        notification.MarkRead(clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<List<OutboxEntryDto>>, ProblemHttpResult>> OutboxAsync(string? state, string? kind, LoopdeskDb db, CancellationToken ct)
    {
        JobState? parsed = null;
        if (state is not null)
        {
            if (!WireValues.TryParse<JobState>(state, out var s)) return Problems.Validation("state", WireValues.Expected<JobState>("state"));
            parsed = s;
        }
        return TypedResults.Ok(await OutboxCommands.ListAsync(db, parsed, kind, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RetryAsync(Guid id, LoopdeskDb db, TimeProvider clock, JobRunner runner, CancellationToken ct)
        => await OutboxCommands.RetryAsync(db, id, clock.GetUtcNow(), runner, ct) is { } problem ? problem : TypedResults.NoContent();

    private static async Task<Results<NoContent, ProblemHttpResult>> DiscardAsync(Guid id, LoopdeskDb db, TimeProvider clock, CancellationToken ct)
        => await OutboxCommands.DiscardAsync(db, id, clock.GetUtcNow(), ct) is { } problem ? problem : TypedResults.NoContent();
}
