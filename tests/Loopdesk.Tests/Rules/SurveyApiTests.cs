using System.Net;
using System.Text.RegularExpressions;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Rules;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Rules;

public abstract partial class SurveyApiTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"/survey/(?<id>[0-9a-f-]{36})\?token=(?<token>[A-Za-z0-9_-]+)")]
    private static partial Regex SurveyLink();

    private sealed record SentSurvey(string Reference, Guid Id, string Token);

    [Fact]
    public async Task The_customer_agreeing_closes_the_ticket_and_the_survey_link_takes_one_answer()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var customer = app.ClientWithToken(null);
        var survey = await ClosedWithSurveyAsync(agent);
        Assert.Equal(TicketStatus.Closed, (await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{survey.Reference}", Ct)).Status);
        var unanswered = Assert.Single(await SurveysAsync(agent, survey.Reference));
        Assert.Equal(survey.Id, unanswered.Id);
        Assert.Null(unanswered.Rating);
        Assert.Null(unanswered.AnsweredAt);

        var answer = await customer.PostJsonAsync($"/api/v1/surveys/{survey.Id}/answer", new { token = survey.Token, rating = 4, comment = "Quick and kind." }, Ct);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var answered = Assert.Single(await SurveysAsync(agent, survey.Reference));
        Assert.Equal(4, answered.Rating);
        Assert.Equal("Quick and kind.", answered.Comment);
        Assert.Equal(app.Clock.GetUtcNow(), answered.AnsweredAt);
        Assert.Contains(await agent.GetJsonAsync<List<SurveyDto>>("/api/v1/surveys?answered=true", Ct), s => s.Id == survey.Id);

        var again = await customer.PostJsonAsync($"/api/v1/surveys/{survey.Id}/answer", new { token = survey.Token, rating = 1, comment = "Changed my mind." }, Ct);
        Assert.Equal("survey.answered", (await again.ProblemAsync(HttpStatusCode.Conflict, Ct)).GetProperty("code").GetString());
        var kept = Assert.Single(await SurveysAsync(agent, survey.Reference));
        Assert.Equal(4, kept.Rating);
        Assert.Equal("Quick and kind.", kept.Comment);
    }

    [Fact]
    public async Task A_forged_token_a_token_of_another_survey_and_an_unknown_survey_are_403()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var customer = app.ClientWithToken(null);
        var a = await ClosedWithSurveyAsync(agent);
        var b = await ClosedWithSurveyAsync(agent);

        var forged = await customer.PostJsonAsync($"/api/v1/surveys/{a.Id}/answer", new { token = "bm90LXRoZS10b2tlbi1hdC1hbGwtcmVhbGx5", rating = 5 }, Ct);
        var crossed = await customer.PostJsonAsync($"/api/v1/surveys/{b.Id}/answer", new { token = a.Token, rating = 5 }, Ct);
        var unknown = await customer.PostJsonAsync($"/api/v1/surveys/{Guid.NewGuid()}/answer", new { token = a.Token, rating = 5 }, Ct);

        foreach (var response in new[] { forged, crossed, unknown })
        {
            var problem = await response.ProblemAsync(HttpStatusCode.Forbidden, Ct);
            Assert.Equal("token", problem.Field());
        }
        Assert.Null(Assert.Single(await SurveysAsync(agent, a.Reference)).AnsweredAt);
        Assert.Null(Assert.Single(await SurveysAsync(agent, b.Reference)).AnsweredAt);
        // the real links still work
        Assert.Equal(HttpStatusCode.OK, (await customer.PostJsonAsync($"/api/v1/surveys/{a.Id}/answer", new { token = a.Token, rating = 5 }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await customer.PostJsonAsync($"/api/v1/surveys/{b.Id}/answer", new { token = b.Token, rating = 3 }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Answers_racing_each_other_are_taken_once()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var customer = app.ClientWithToken(null);
        var survey = await ClosedWithSurveyAsync(agent);

        var answers = await Task.WhenAll(Enumerable.Range(1, 5).Select(rating =>
            customer.PostJsonAsync($"/api/v1/surveys/{survey.Id}/answer", new { token = survey.Token, rating }, Ct)));

        var taken = Assert.Single(answers.Select((response, i) => (response.StatusCode, Rating: i + 1)), a => a.StatusCode == HttpStatusCode.OK);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Equal(taken.Rating, Assert.Single(await SurveysAsync(agent, survey.Reference)).Rating);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(6, 10)]
    [InlineData(-1, 10)]
    [InlineData(3, 5001)]
    public async Task A_rating_out_of_one_to_five_or_a_comment_too_long_is_400_and_the_link_still_works(int rating, int commentLength)
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var customer = app.ClientWithToken(null);
        var survey = await ClosedWithSurveyAsync(agent);

        var response = await customer.PostJsonAsync($"/api/v1/surveys/{survey.Id}/answer", new { token = survey.Token, rating, comment = new string('x', commentLength) }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(commentLength > 5000 ? "comment" : "rating", problem.Field());
        Assert.Null(Assert.Single(await SurveysAsync(agent, survey.Reference)).AnsweredAt);
        Assert.Equal(HttpStatusCode.OK, (await customer.PostJsonAsync($"/api/v1/surveys/{survey.Id}/answer", new { token = survey.Token, rating = 5 }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Not_agreeing_reopens_the_ticket_with_the_comment_as_the_customers_message()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Printer still jams", Ct);
        await SolveAsync(agent, ticket.Reference);

        var response = await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = false, comment = "  It jammed again this morning.  " }, Ct);

        var reopened = await response.ReadAsync<TicketDto>(Ct);
        Assert.Equal(TicketStatus.Open, reopened.Status);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        var said = messages.Last(m => m.Direction == MessageDirection.Inbound);
        Assert.Equal("It jammed again this morning.", said.Body);
        Assert.Equal(ActorKind.Customer, said.AuthorKind);
        Assert.Equal(ticket.CustomerId, said.AuthorId);
        Assert.False(said.Internal);
        var events = await agent.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct);
        var reopening = events.Last(e => e.Type == "ticket.status_changed");
        Assert.Equal("open", reopening.Data.GetProperty("to").GetString());
        Assert.Equal(ActorKind.Customer, reopening.ActorKind);
        Assert.Empty(await SurveysAsync(agent, ticket.Reference));
    }

    [Fact]
    public async Task A_ticket_gets_one_survey_however_often_it_is_solved_and_reopened()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Wrong size delivered", Ct);
        await SolveAsync(agent, ticket.Reference);
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = false, comment = "The new one is wrong too." }, Ct)).EnsureSuccessStatusCode();
        await SolveAsync(agent, ticket.Reference);
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = false }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(TicketStatus.Open, (await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Status);
        await SolveAsync(agent, ticket.Reference);

        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = true, comment = "Fits now." }, Ct)).EnsureSuccessStatusCode();
        // the close timers of every solve have fallen due by now
        await app.AdvanceAsync(TimeSpan.FromDays(8));

        Assert.Single(await SurveysAsync(agent, ticket.Reference));
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        Assert.Single(messages, m => SurveyLink().IsMatch(m.Body));
        var closed = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal(TicketStatus.Closed, closed.Status);
        var late = await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = true }, Ct);
        Assert.Equal("ticket.not_solved", (await late.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        Assert.Single(await SurveysAsync(agent, ticket.Reference));
    }

    [Fact]
    public async Task A_ticket_closed_by_the_customers_silence_gets_one_survey()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Cancel my order", Ct);
        await SolveAsync(agent, ticket.Reference);

        await app.AdvanceAsync(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        await app.AdvanceAsync(TimeSpan.FromDays(7));

        Assert.Equal(TicketStatus.Closed, (await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Status);
        Assert.Single(await SurveysAsync(agent, ticket.Reference));
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        Assert.Single(messages, m => SurveyLink().IsMatch(m.Body));
    }

    private static async Task SolveAsync(HttpClient agent, string reference)
        => (await agent.PatchJsonAsync($"/api/v1/tickets/{reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();

    /// <summary>A ticket solved, then closed by the customer's agreement; its survey, read from the survey message as the customer would.</summary>
    private static async Task<SentSurvey> ClosedWithSurveyAsync(HttpClient agent)
    {
        var ticket = await agent.CreateTicketAsync("Screen flickers", Ct, name: "Lena Fischer");
        await SolveAsync(agent, ticket.Reference);
        (await agent.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/resolution", new { agreed = true }, Ct)).EnsureSuccessStatusCode();
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        var message = Assert.Single(messages, m => SurveyLink().IsMatch(m.Body));
        Assert.Equal(ActorKind.System, message.AuthorKind);
        Assert.Equal(MessageDirection.Outbound, message.Direction);
        Assert.False(message.Internal);
        Assert.StartsWith("Hello Lena,", message.Body);
        var link = SurveyLink().Match(message.Body);
        return new SentSurvey(ticket.Reference, Guid.Parse(link.Groups["id"].Value), link.Groups["token"].Value);
    }

    private static Task<List<SurveyDto>> SurveysAsync(HttpClient agent, string reference)
        => agent.GetJsonAsync<List<SurveyDto>>($"/api/v1/surveys?ticket={reference}", Ct);
}

public sealed class SurveyApiOnSqlite(SqliteApp app) : SurveyApiTests(app), IClassFixture<SqliteApp>;

public sealed class SurveyApiOnPostgres(PostgresApp app) : SurveyApiTests(app), IClassFixture<PostgresApp>;
