using System.Net;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Rules;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Rules;

/// <summary>
/// Each of the ten service rules that ship enabled, driven through the public API with the fake clock: what the
/// customer receives, what the agent sees, what the ticket's history says. The app (and its clock) is shared by the
/// tests of a class, so every test makes its own customers and measures time from "now".
/// </summary>
public abstract class BuiltinRuleTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Agent => app.CreateClient(AgentRole.Agent);

    private HttpClient Admin => app.CreateClient(AgentRole.Admin);

    private static string NewEmail() => $"c{Guid.NewGuid():N}@example.com";

    private async Task<List<MessageDto>> MessagesAsync(string reference)
    {
        using var client = Agent;
        return await client.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
    }

    private async Task<List<TicketEventDto>> EventsAsync(string reference)
    {
        using var client = Agent;
        return await client.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{reference}/events", Ct);
    }

    private async Task<TicketDto> TicketAsync(string reference)
    {
        using var client = Agent;
        return await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{reference}", Ct);
    }

    /// <summary>What the rules sent the customer (outbound, not internal, written by the system).</summary>
    private async Task<List<MessageDto>> SentByRulesAsync(string reference)
        => [.. (await MessagesAsync(reference)).Where(m => m.AuthorKind == ActorKind.System && m.Direction == MessageDirection.Outbound && !m.Internal)];

    private async Task<List<MessageDto>> NotesByRulesAsync(string reference)
        => [.. (await MessagesAsync(reference)).Where(m => m.AuthorKind == ActorKind.System && m.Internal)];

    private async Task CustomerWritesAsync(string reference, string body)
    {
        using var client = Agent;
        (await client.PostJsonAsync($"/api/v1/tickets/{reference}/messages", new { body, direction = "inbound" }, Ct)).EnsureSuccessStatusCode();
    }

    private async Task AgentRepliesAsync(string reference, string body)
    {
        using var client = Agent;
        var response = await client.PostJsonAsync($"/api/v1/tickets/{reference}/messages", new { body, lexiconOverride = true }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task PatchAsync(string reference, object change)
    {
        using var client = Agent;
        var response = await client.PatchJsonAsync($"/api/v1/tickets/{reference}", change, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
    }

    private async Task<RuleDto> BuiltinAsync(string key)
    {
        using var client = Admin;
        return (await client.GetJsonAsync<List<RuleDto>>("/api/v1/rules", Ct)).Single(r => r.Key == key);
    }

    /// <summary>Changes a built-in rule's settings for the length of a test, then puts them back.</summary>
    private async Task<IAsyncDisposable> WithSettingsAsync(string key, object settings)
    {
        var rule = await BuiltinAsync(key);
        using var client = Admin;
        var response = await client.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { settings }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return new Restore(async () =>
        {
            using var admin = Admin;
            (await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { settings = rule.Settings }, CancellationToken.None)).EnsureSuccessStatusCode();
        });
    }

    private sealed class Restore(Func<Task> undo) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await undo();
    }

    [Fact]
    public async Task Close_the_loop_acknowledges_a_new_contact_with_name_reference_and_when_to_expect_an_answer()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Parcel never arrived", Ct, email: NewEmail(), name: "Marta Lindqvist");

        var sent = Assert.Single(await SentByRulesAsync(ticket.Reference));
        Assert.StartsWith("Hello Marta,", sent.Body, StringComparison.Ordinal);
        Assert.Contains(ticket.Reference, sent.Body, StringComparison.Ordinal);
        Assert.Contains("You will hear from one of us", sent.Body, StringComparison.Ordinal);
        Assert.Equal(Channel.Email, sent.Channel);
        // the acknowledgement is not a reply: the ticket is still new and its first reply is still owed
        var after = await TicketAsync(ticket.Reference);
        Assert.Equal(TicketStatus.New, after.Status);
        Assert.Null(after.FirstRepliedAt);

        // the customer writes again within the hour: we just wrote to them, so no second acknowledgement
        app.Clock.Advance(TimeSpan.FromMinutes(20));
        await CustomerWritesAsync(ticket.Reference, "Any news?");
        Assert.Single(await SentByRulesAsync(ticket.Reference));
    }

    [Fact]
    public async Task Close_the_loop_is_skipped_when_an_agent_answers_within_the_delay()
    {
        await using var _ = await WithSettingsAsync("close-the-loop", new { delaySeconds = 600 });
        using var client = Agent;
        var answered = await client.CreateTicketAsync("Login fails", Ct, email: NewEmail());
        var waiting = await client.CreateTicketAsync("Invoice copy", Ct, email: NewEmail());
        Assert.Empty(await SentByRulesAsync(answered.Reference));

        app.Clock.Advance(TimeSpan.FromMinutes(3));
        await AgentRepliesAsync(answered.Reference, "Sorry about that, I have reset your login.");
        await app.AdvanceAsync(TimeSpan.FromMinutes(8));

        Assert.Empty(await SentByRulesAsync(answered.Reference));
        Assert.Single(await SentByRulesAsync(waiting.Reference));
    }

    [Fact]
    public async Task Close_the_loop_does_not_acknowledge_a_call_an_agent_logs()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Router setup", Ct, email: NewEmail());
        app.Clock.Advance(TimeSpan.FromHours(3));
        (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", summary = "Walked through setup" }, Ct)).EnsureSuccessStatusCode();

        Assert.Single(await SentByRulesAsync(ticket.Reference));
    }

    [Fact]
    public async Task Repeat_contact_three_times_in_forty_hours_moves_the_ticket_to_the_senior_tier_with_the_reason()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Refund still missing", Ct, email: NewEmail(), name: "Jonas Berg");
        Assert.Equal(AgentTier.Tier1, ticket.Tier);

        app.Clock.Advance(TimeSpan.FromHours(20));
        await CustomerWritesAsync(ticket.Reference, "Still no refund.");
        Assert.Equal(AgentTier.Tier1, (await TicketAsync(ticket.Reference)).Tier);
        app.Clock.Advance(TimeSpan.FromHours(20));
        await CustomerWritesAsync(ticket.Reference, "This is the third time I write.");

        Assert.Equal(AgentTier.Senior, (await TicketAsync(ticket.Reference)).Tier);
        var escalated = Assert.Single(await EventsAsync(ticket.Reference), e => e.Type == "ticket.escalated");
        Assert.Equal(ActorKind.System, escalated.ActorKind);
        Assert.Equal((await BuiltinAsync("repeat-contact")).Id, escalated.ActorId);
        Assert.Contains("3 times in 2 days", escalated.Data.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("contacted us several times", escalated.Data.GetProperty("suggestedOpening").GetString(), StringComparison.Ordinal);
        var note = Assert.Single(await NotesByRulesAsync(ticket.Reference));
        Assert.Contains("Suggested opening", note.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Repeat_contact_spread_over_more_than_the_window_is_not_escalated_and_the_window_is_a_setting()
    {
        using var client = Agent;
        var slow = await client.CreateTicketAsync("Slow replies", Ct, email: NewEmail());
        app.Clock.Advance(TimeSpan.FromHours(30));
        await CustomerWritesAsync(slow.Reference, "Second note");
        app.Clock.Advance(TimeSpan.FromHours(30));
        await CustomerWritesAsync(slow.Reference, "Third note");
        Assert.Equal(AgentTier.Tier1, (await TicketAsync(slow.Reference)).Tier);

        // the same three contacts count once the window is three days, without a restart
        await using (await WithSettingsAsync("repeat-contact", new { windowSeconds = 259_200 }))
        {
            app.Clock.Advance(TimeSpan.FromHours(1));
            await CustomerWritesAsync(slow.Reference, "Fourth note");
            Assert.Equal(AgentTier.Senior, (await TicketAsync(slow.Reference)).Tier);
        }
    }

    [Fact]
    public async Task Follow_up_routing_sends_a_return_after_fourteen_days_to_the_follow_up_team_with_the_original_linked()
    {
        using var admin = Admin;
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Follow-ups {Guid.NewGuid():N}"[..40] }, Ct)).ReadAsync<TeamDto>(Ct);
        await using var _ = await WithSettingsAsync("follow-up-routing", new { teamId = team.Id.ToString() });
        var email = NewEmail();
        using var client = Agent;
        var original = await client.CreateTicketAsync("Broken hinge", Ct, email: email);
        await PatchAsync(original.Reference, new { assigneeId = app.AgentId(AgentRole.Agent), status = "solved" });
        app.Clock.Advance(TimeSpan.FromDays(15));

        var followUp = await (await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "The hinge broke again",
            body = "Same problem as before.",
            channel = "email",
            customer = new { email },
            followUpOf = original.Reference,
        }, Ct)).ReadAsync<TicketDto>(Ct);

        Assert.Equal(team.Id, followUp.TeamId);
        Assert.Equal(original.Id, followUp.FollowUpOfId);
        var note = Assert.Single(await NotesByRulesAsync(followUp.Reference));
        Assert.Contains(original.Reference, note.Body, StringComparison.Ordinal);
        Assert.Contains("15 days ago", note.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Follow_up_routing_keeps_a_quick_return_with_the_same_owner()
    {
        var email = NewEmail();
        using var client = Agent;
        var original = await client.CreateTicketAsync("Password reset", Ct, email: email);
        await PatchAsync(original.Reference, new { assigneeId = app.AgentId(AgentRole.Supervisor), status = "solved" });
        app.Clock.Advance(TimeSpan.FromDays(3));

        var back = await (await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Reset link expired",
            body = "The link did not work.",
            customer = new { email },
            followUpOf = original.Reference,
        }, Ct)).ReadAsync<TicketDto>(Ct);

        Assert.Equal(app.AgentId(AgentRole.Supervisor), back.AssigneeId);
        Assert.Null(back.TeamId);
    }

    [Fact]
    public async Task Rule_of_three_prompts_the_agent_to_offer_a_call_after_three_exchanges_once()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Sync conflicts", Ct, email: NewEmail(), name: "Ola Nordmann");
        for (var round = 1; round <= 3; round++)
        {
            // a day apart, so the customer's messages are not also repeat contacts
            Assert.Empty(await NotesByRulesAsync(ticket.Reference));
            app.Clock.Advance(TimeSpan.FromDays(1));
            await AgentRepliesAsync(ticket.Reference, $"Sorry for the trouble; could you try step {round}?");
            if (round < 3)
            {
                app.Clock.Advance(TimeSpan.FromDays(1));
                await CustomerWritesAsync(ticket.Reference, $"Step {round} did not help.");
            }
        }

        var prompt = Assert.Single(await NotesByRulesAsync(ticket.Reference));
        Assert.Contains("3 times", prompt.Body, StringComparison.Ordinal);
        Assert.Contains("offer Ola a call", prompt.Body, StringComparison.Ordinal);
        Assert.Contains(await EventsAsync(ticket.Reference), e => e.Type == "rule.noted" && e.Data.GetProperty("suggestion").GetString() == "offer-call");

        // a fourth exchange does not prompt again
        await CustomerWritesAsync(ticket.Reference, "Still failing.");
        await AgentRepliesAsync(ticket.Reference, "Let us call you.");
        Assert.Single(await NotesByRulesAsync(ticket.Reference));

        // the customer asks for a callback: a promise to call, confirmed to them
        var callback = await (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/callback", new { note = "after 14:00" }, Ct)).ReadAsync<CommitmentDto>(Ct);
        Assert.Equal("open", callback.State);
        Assert.Equal(app.Clock.GetUtcNow().AddHours(4), callback.DueAt);
        Assert.Contains(await SentByRulesAsync(ticket.Reference), m => m.Body.Contains("we will call you", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resolved_means_agreed_asks_on_solve_reopens_on_no_and_closes_after_silence_with_a_survey()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Screen flickers", Ct, email: NewEmail(), name: "Priya Natarajan");
        await AgentRepliesAsync(ticket.Reference, "Sorry about that; a driver update fixes it.");
        await PatchAsync(ticket.Reference, new { status = "solved" });

        var ask = (await SentByRulesAsync(ticket.Reference)).Last();
        Assert.Contains("Is it resolved to your satisfaction?", ask.Body, StringComparison.Ordinal);

        // "no": the ticket opens again with the customer's words, and the close timer is off
        app.Clock.Advance(TimeSpan.FromDays(1));
        (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = false, comment = "Still flickers after the update." }, Ct))
            .EnsureSuccessStatusCode();
        Assert.Equal(TicketStatus.Open, (await TicketAsync(ticket.Reference)).Status);
        await app.AdvanceAsync(TimeSpan.FromDays(8));
        Assert.Equal(TicketStatus.Open, (await TicketAsync(ticket.Reference)).Status);

        // solved again, and this time silence: closed after seven days, then the survey
        await PatchAsync(ticket.Reference, new { status = "solved" });
        await app.AdvanceAsync(TimeSpan.FromDays(6));
        Assert.Equal(TicketStatus.Solved, (await TicketAsync(ticket.Reference)).Status);
        await app.AdvanceAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.Equal(TicketStatus.Closed, (await TicketAsync(ticket.Reference)).Status);
        var survey = (await SentByRulesAsync(ticket.Reference)).Last();
        Assert.Contains("/survey/", survey.Body, StringComparison.Ordinal);
        Assert.Contains("How did we do", survey.Body.Replace("Would you tell us how we did", "How did we do", StringComparison.Ordinal), StringComparison.Ordinal);
        using var admin = Admin;
        Assert.Single(await admin.GetJsonAsync<List<SurveyDto>>($"/api/v1/surveys?ticket={ticket.Reference}", Ct));
    }

    [Fact]
    public async Task Promises_kept_reminds_the_owner_then_alerts_the_lead_and_tells_the_customer_when_overdue()
    {
        using var admin = Admin;
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Billing {Guid.NewGuid():N}"[..30], leadId = app.AgentId(AgentRole.Supervisor) }, Ct))
            .ReadAsync<TeamDto>(Ct);
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Credit note", Ct, email: NewEmail(), name: "Sam Okafor");
        await PatchAsync(ticket.Reference, new { teamId = team.Id, assigneeId = app.AgentId(AgentRole.Agent) });
        var promise = await (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments",
            new { description = "Send the credit note", dueAt = app.Clock.GetUtcNow().AddHours(3) }, Ct)).ReadAsync<CommitmentDto>(Ct);
        Assert.Equal(app.AgentId(AgentRole.Agent), promise.OwnerId);
        using var owner = app.CreateClient(AgentRole.Agent);
        using var lead = app.CreateClient(AgentRole.Supervisor);
        bool About(NotificationDto n) => n.TicketId == ticket.Id;

        await app.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.DoesNotContain(await owner.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct), About);
        await app.AdvanceAsync(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        var reminder = Assert.Single(await owner.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct), About);
        Assert.Equal("commitment.reminder", reminder.Kind);
        Assert.Contains("Send the credit note", reminder.Text, StringComparison.Ordinal);

        await app.AdvanceAsync(TimeSpan.FromHours(1));
        var alert = Assert.Single(await lead.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct), About);
        Assert.Equal("commitment.overdue", alert.Kind);
        Assert.Contains(await SentByRulesAsync(ticket.Reference), m => m.Body.Contains("we have not kept that promise on time", StringComparison.Ordinal));
        Assert.Contains(await EventsAsync(ticket.Reference), e => e.Type == "commitment.overdue");
        var overdue = await client.GetJsonAsync<List<CommitmentDto>>("/api/v1/commitments?state=overdue", Ct);
        Assert.Contains(overdue, c => c.Id == promise.Id && c.OverdueAt is not null);
    }

    [Fact]
    public async Task Promises_kept_in_time_raise_nothing()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Warranty form", Ct, email: NewEmail());
        var promise = await (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments",
            new { description = "Mail the form", dueAt = app.Clock.GetUtcNow().AddHours(5), ownerId = app.AgentId(AgentRole.Agent) }, Ct)).ReadAsync<CommitmentDto>(Ct);
        var sentBefore = (await SentByRulesAsync(ticket.Reference)).Count;

        var kept = await (await client.PostJsonAsync($"/api/v1/commitments/{promise.Id}/kept", new { }, Ct)).ReadAsync<CommitmentDto>(Ct);
        Assert.Equal("kept", kept.State);
        await app.AdvanceAsync(TimeSpan.FromHours(6));

        using var owner = app.CreateClient(AgentRole.Agent);
        Assert.DoesNotContain(await owner.GetJsonAsync<List<NotificationDto>>("/api/v1/me/notifications", Ct), n => n.TicketId == ticket.Id);
        Assert.Equal(sentBefore, (await SentByRulesAsync(ticket.Reference)).Count);
        Assert.DoesNotContain(await EventsAsync(ticket.Reference), e => e.Type == "commitment.overdue");
        await (await client.PostJsonAsync($"/api/v1/commitments/{promise.Id}/kept", new { }, Ct)).ProblemAsync(HttpStatusCode.Conflict, Ct);
    }

    [Fact]
    public async Task A_commitment_due_before_it_is_made_or_without_words_or_owner_is_refused_and_nothing_is_promised()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Promise checks", Ct, email: NewEmail());
        var now = app.Clock.GetUtcNow();

        var past = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments", new { description = "Call back", dueAt = now.AddMinutes(-1) }, Ct);
        var problem = await past.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("commitment.due_in_past", problem.GetProperty("code").GetString());
        Assert.Equal("dueAt", problem.Field());
        var exactlyNow = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments", new { description = "Call back", dueAt = now }, Ct);
        await exactlyNow.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        var blank = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments", new { description = "  ", dueAt = now.AddHours(1) }, Ct);
        Assert.Equal("description", (await blank.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        var stranger = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/commitments",
            new { description = "Call back", dueAt = now.AddHours(1), ownerId = Guid.NewGuid() }, Ct);
        Assert.Equal("ownerId", (await stranger.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        await (await client.PostJsonAsync("/api/v1/tickets/ZZZZ-ZZZZ/commitments", new { description = "Call back", dueAt = now.AddHours(1) }, Ct))
            .ProblemAsync(HttpStatusCode.NotFound, Ct);

        Assert.Empty(await client.GetJsonAsync<List<CommitmentDto>>($"/api/v1/tickets/{ticket.Reference}/commitments", Ct));
        Assert.DoesNotContain(await EventsAsync(ticket.Reference), e => e.Type == "commitment.made");
    }

    [Fact]
    public async Task Silence_noticed_writes_a_personal_follow_up_when_a_ticket_waiting_on_us_goes_quiet()
    {
        using var client = Agent;
        var stuck = await client.CreateTicketAsync("Order 5512 stuck", Ct, email: NewEmail(), name: "Lea Schmidt");
        var waitingOnCustomer = await client.CreateTicketAsync("Need your serial", Ct, email: NewEmail());
        await PatchAsync(stuck.Reference, new { status = "on-hold", assigneeId = app.AgentId(AgentRole.Agent) });
        await PatchAsync(waitingOnCustomer.Reference, new { status = "pending" });
        var before = (await SentByRulesAsync(stuck.Reference)).Count;

        await app.AdvanceAsync(TimeSpan.FromDays(2));
        Assert.Equal(before, (await SentByRulesAsync(stuck.Reference)).Count);
        await app.AdvanceAsync(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        var followUp = (await SentByRulesAsync(stuck.Reference)).Last();
        Assert.StartsWith("Hello Lea,", followUp.Body, StringComparison.Ordinal);
        Assert.Contains("This is Test agent", followUp.Body, StringComparison.Ordinal);
        Assert.Contains(stuck.Reference, followUp.Body, StringComparison.Ordinal);
        Assert.Contains("I am sorry", followUp.Body, StringComparison.Ordinal);
        Assert.Contains("rather we call you", followUp.Body, StringComparison.Ordinal);
        Assert.Contains("Thank you", followUp.Body, StringComparison.Ordinal);
        Assert.Contains("Kind regards", followUp.Body, StringComparison.Ordinal);
        // the one waiting on the customer gets no "sorry for the silence"
        Assert.DoesNotContain(await SentByRulesAsync(waitingOnCustomer.Reference), m => m.Body.Contains("quiet for a while", StringComparison.Ordinal));
        // once is enough until something happens again
        await app.AdvanceAsync(TimeSpan.FromDays(4));
        Assert.Single(await SentByRulesAsync(stuck.Reference), m => m.Body.Contains("quiet for a while", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Language_refuses_a_reply_with_hurtful_words_unless_overridden()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Charge I do not recognise", Ct, email: NewEmail());

        var refused = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "It’s our policy, you need to ask a manager." }, Ct);
        var problem = await refused.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("lexicon.findings", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("findings").GetArrayLength() >= 2);
        Assert.DoesNotContain((await MessagesAsync(ticket.Reference)).ByPeople(), m => m.Direction == MessageDirection.Outbound);

        var sent = await (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages",
            new { body = "It’s our policy, you need to ask a manager.", lexiconOverride = true }, Ct)).ReadAsync<MessageDto>(Ct);
        Assert.True(sent.LexiconOverrides >= 2);
    }

    [Fact]
    public async Task Keep_informed_tells_the_customer_about_hold_resume_and_a_new_date_but_not_about_their_own_moves()
    {
        using var client = Agent;
        var ticket = await client.CreateTicketAsync("Replacement part", Ct, email: NewEmail());
        var before = (await SentByRulesAsync(ticket.Reference)).Count;

        await PatchAsync(ticket.Reference, new { status = "on-hold" });
        Assert.Contains("waiting on someone outside our team", (await SentByRulesAsync(ticket.Reference)).Last().Body, StringComparison.Ordinal);
        await PatchAsync(ticket.Reference, new { status = "open" });
        Assert.Contains("what we were waiting for has arrived", (await SentByRulesAsync(ticket.Reference)).Last().Body, StringComparison.Ordinal);
        await PatchAsync(ticket.Reference, new { dueAt = app.Clock.GetUtcNow().AddDays(3) });
        Assert.Contains("we now expect to have it done", (await SentByRulesAsync(ticket.Reference)).Last().Body, StringComparison.Ordinal);
        Assert.Equal(before + 3, (await SentByRulesAsync(ticket.Reference)).Count);

        // the customer reopening by writing does not earn them a message about it
        await PatchAsync(ticket.Reference, new { status = "pending" });
        var count = (await SentByRulesAsync(ticket.Reference)).Count;
        await CustomerWritesAsync(ticket.Reference, "Here is the photo you asked for.");
        Assert.Equal(TicketStatus.Open, (await TicketAsync(ticket.Reference)).Status);
        Assert.Equal(count, (await SentByRulesAsync(ticket.Reference)).Count);
    }

    [Fact]
    public async Task Know_the_customer_raises_an_angry_ticket_and_the_profile_shows_contacts_tickets_and_sentiment()
    {
        var email = NewEmail();
        using var client = Agent;
        var calm = await client.CreateTicketAsync("Question about plans", Ct, email: email, body: "Thanks so much, the new plan looks great!");
        app.Clock.Advance(TimeSpan.FromHours(1));
        var angry = await client.CreateTicketAsync("Charged twice", Ct, email: email,
            body: "This is the THIRD time I've written and NOBODY answers. Absolutely unacceptable!!!");

        var raised = await TicketAsync(angry.Reference);
        Assert.Equal(TicketPriority.High, raised.Priority);
        Assert.Contains("sounds-angry", raised.Tags);
        Assert.Equal(TicketPriority.Normal, (await TicketAsync(calm.Reference)).Priority);
        var inbound = (await MessagesAsync(angry.Reference)).First(m => m.Direction == MessageDirection.Inbound);
        Assert.True(inbound.Sentiment <= -0.6, $"sentiment {inbound.Sentiment}");

        (await client.PostJsonAsync($"/api/v1/tickets/{calm.Reference}/contacts", new { channel = "phone", summary = "Called about plans" }, Ct)).EnsureSuccessStatusCode();
        var profile = await client.GetJsonAsync<CustomerProfileDto>($"/api/v1/customers/{angry.CustomerId}/profile", Ct);
        Assert.Equal(2, profile.ContactsByChannel["email"]);
        Assert.Equal(1, profile.ContactsByChannel["phone"]);
        Assert.Equal(3, profile.ContactsInWindow);
        Assert.Equal(2, profile.OpenTickets);
        Assert.True(profile.Sentiment.SoundsAngry);
        Assert.Equal("worsening", profile.Sentiment.Trend);
        Assert.Equal(2, profile.Sentiment.Recent.Count);
    }

    [Fact]
    public async Task An_automation_acts_on_a_ticket_idle_past_its_condition_once_until_the_ticket_changes_again()
    {
        var tag = "stale" + Guid.NewGuid().ToString("N")[..6];
        using var admin = Admin;
        var rule = await (await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = $"Flag stale {tag}",
            events = new[] { "time.elapsed" },
            conditions = new object[]
            {
                new { field = "ticket.hours_since_updated", @operator = "greater_than", value = "48" },
                new { field = "ticket.subject", @operator = "contains", value = tag },
            },
            actions = new[] { new { type = "add_tag", value = tag } },
        }, Ct)).ReadAsync<RuleDto>(Ct);
        try
        {
            using var client = Agent;
            var idle = await client.CreateTicketAsync($"Quiet one {tag}", Ct, email: NewEmail());
            var busy = await client.CreateTicketAsync($"Busy one {tag}", Ct, email: NewEmail());
            await PatchAsync(busy.Reference, new { status = "pending" });
            await PatchAsync(idle.Reference, new { status = "pending" });

            await app.AdvanceAsync(TimeSpan.FromHours(30));
            await PatchAsync(busy.Reference, new { priority = "high" });
            await app.AdvanceAsync(TimeSpan.FromHours(20));
            Assert.Contains(tag, (await TicketAsync(idle.Reference)).Tags);
            Assert.DoesNotContain(tag, (await TicketAsync(busy.Reference)).Tags);

            // once: the sweep an hour later leaves it alone; after the ticket changes and goes quiet again, once more
            await app.AdvanceAsync(TimeSpan.FromHours(1));
            var runs = await admin.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{rule.Id}/runs", Ct);
            Assert.Single(runs, r => r.TicketId == idle.Id);
            Assert.Equal("time.elapsed", runs[0].Trigger);
            await PatchAsync(idle.Reference, new { tags = Array.Empty<string>() });
            await app.AdvanceAsync(TimeSpan.FromHours(49));
            Assert.Contains(tag, (await TicketAsync(idle.Reference)).Tags);
            Assert.Equal(2, (await admin.GetJsonAsync<List<RuleRunDto>>($"/api/v1/rules/{rule.Id}/runs", Ct)).Count(r => r.TicketId == idle.Id));
        }
        finally
        {
            (await admin.DeleteAsync($"/api/v1/rules/{rule.Id}", Ct)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task A_rule_can_test_the_contact_that_started_it()
    {
        var tag = "called" + Guid.NewGuid().ToString("N")[..6];
        using var admin = Admin;
        var rule = await (await admin.PostJsonAsync("/api/v1/rules", new
        {
            name = $"Calls {tag}",
            events = new[] { "contact.recorded" },
            conditions = new object[]
            {
                new { field = "contact.channel", @operator = "is", value = "phone" },
                new { field = "contact.summary", @operator = "contains", value = tag },
            },
            actions = new[] { new { type = "add_tag", value = tag } },
        }, Ct)).ReadAsync<RuleDto>(Ct);
        try
        {
            using var client = Agent;
            var ticket = await client.CreateTicketAsync("Call me", Ct, email: NewEmail());
            (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "visit", summary = $"Came by {tag}" }, Ct)).EnsureSuccessStatusCode();
            Assert.DoesNotContain(tag, (await TicketAsync(ticket.Reference)).Tags);
            (await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", summary = $"Rang {tag}" }, Ct)).EnsureSuccessStatusCode();
            Assert.Contains(tag, (await TicketAsync(ticket.Reference)).Tags);
        }
        finally
        {
            (await admin.DeleteAsync($"/api/v1/rules/{rule.Id}", Ct)).EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task A_switched_off_built_in_rule_does_nothing_until_switched_on_again()
    {
        var rule = await BuiltinAsync("close-the-loop");
        using var admin = Admin;
        (await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { enabled = false }, Ct)).EnsureSuccessStatusCode();
        try
        {
            using var client = Agent;
            var quiet = await client.CreateTicketAsync("No acknowledgement please", Ct, email: NewEmail());
            Assert.Empty(await SentByRulesAsync(quiet.Reference));
        }
        finally
        {
            (await admin.PatchJsonAsync($"/api/v1/rules/{rule.Id}", new { enabled = true }, Ct)).EnsureSuccessStatusCode();
        }
        using var again = Agent;
        var heard = await again.CreateTicketAsync("Acknowledge me", Ct, email: NewEmail());
        Assert.Single(await SentByRulesAsync(heard.Reference));
    }

    [Fact]
    public async Task A_save_the_rules_run_in_leaves_the_database_connection_as_it_found_it()
    {
        using var agent = Agent;
        var created = await agent.CreateTicketAsync("Connection kept for the rules", Ct, email: NewEmail());
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<Loopdesk.Data.LoopdeskDb>();
        var connection = db.Database.GetDbConnection();
        var ticket = await db.Tickets.SingleAsync(t => t.Id == created.Id, Ct);
        // contexts are pooled: one handed on with its connection open would keep it (a PostgreSQL connection) for good
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);

        ticket.Apply(new TicketChange { Priority = TicketPriority.High }, Actor.System, app.Clock.GetUtcNow());
        await db.SaveChangesAsync(Ct);
        // the rules and the save shared one opening, which the end of the save closed
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);

        // a save called off while the rules run closes it too
        ticket.Apply(new TicketChange { Priority = TicketPriority.Low }, Actor.System, app.Clock.GetUtcNow());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.SaveChangesAsync(new CancellationToken(canceled: true)));
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);

        // one the caller opened stays open for the caller
        await db.Database.OpenConnectionAsync(Ct);
        ticket.Apply(new TicketChange { Priority = TicketPriority.Urgent }, Actor.System, app.Clock.GetUtcNow());
        await db.SaveChangesAsync(Ct);
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
        await db.Database.CloseConnectionAsync();
        Assert.Equal(System.Data.ConnectionState.Closed, connection.State);

        using var check = app.Services.CreateScope();
        var changes = await check.ServiceProvider.GetRequiredService<Loopdesk.Data.LoopdeskDb>().TicketEvents
            .Where(e => e.TicketId == created.Id && e.Type == TicketEventTypes.PriorityChanged).CountAsync(Ct);
        Assert.Equal(3, changes);
    }
}

public sealed class BuiltinRulesOnSqlite(SqliteApp app) : BuiltinRuleTests(app), IClassFixture<SqliteApp>;

public sealed class BuiltinRulesOnPostgres(PostgresApp app) : BuiltinRuleTests(app), IClassFixture<PostgresApp>;
