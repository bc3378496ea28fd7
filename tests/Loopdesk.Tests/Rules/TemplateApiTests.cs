using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Rules;
using Loopdesk.Teams;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Rules;

public abstract class TemplateApiTests(LoopdeskApp app)
{
    private const string Acknowledgement = "close-the-loop.acknowledgement";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_list_holds_the_shipped_words_of_the_builtin_rules()
    {
        using var agent = app.CreateClient(AgentRole.Agent);

        var templates = await agent.GetJsonAsync<List<TemplateDto>>("/api/v1/templates", Ct);

        var english = Assert.Single(templates, t => t.Key == Acknowledgement && t.Language == "en");
        Assert.True(english.Shipped);
        Assert.Null(english.Id);
        Assert.Contains("{{ ticket.reference }}", english.Body);
        Assert.Contains(templates, t => t.Key == Acknowledgement && t.Language == "nl" && t.Shipped);
        foreach (var key in new[] { "repeat-contact.opening", "resolved-means-agreed.survey", "promises-kept.overdue-customer", "silence-noticed.follow-up" })
            Assert.Contains(templates, t => t.Key == key && t.Shipped);
        var dutch = await agent.GetJsonAsync<List<TemplateDto>>("/api/v1/templates?language=nl", Ct);
        Assert.NotEmpty(dutch);
        Assert.All(dutch, t => Assert.Equal("nl", t.Language));
    }

    [Fact]
    public async Task Every_shipped_template_passes_the_checks_a_saved_template_goes_through()
    {
        using var admin = app.Admin();
        var shipped = (await admin.GetJsonAsync<List<TemplateDto>>("/api/v1/templates", Ct)).Where(t => t.Shipped).ToList();
        Assert.True(shipped.Count >= 15, $"{shipped.Count} shipped templates");
        var marker = RuleKit.Marker();

        for (var i = 0; i < shipped.Count; i++)
        {
            var response = await admin.PostJsonAsync("/api/v1/templates", new { key = $"macro.{marker}.{i}", language = "en", name = shipped[i].Key, body = shipped[i].Body }, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{shipped[i].Key} ({shipped[i].Language}): {await response.Content.ReadAsStringAsync(Ct)}");
        }
    }

    [Fact]
    public async Task An_unknown_placeholder_is_422()
    {
        using var admin = app.Admin();

        var response = await admin.PostJsonAsync("/api/v1/templates", Macro("Hello {{ customer.shoe_size }}"), Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("template.unknown_placeholder", problem.GetProperty("code").GetString());
        Assert.Equal("body", problem.Field());
        Assert.Contains("customer.shoe_size", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_filter_is_422()
    {
        using var admin = app.Admin();

        var response = await admin.PostJsonAsync("/api/v1/templates", Macro("Hello {{ customer.first_name | nosuchfilter }}"), Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("template.unknown_filter", problem.GetProperty("code").GetString());
        Assert.Equal("body", problem.Field());
    }

    [Fact]
    public async Task A_template_over_twenty_thousand_characters_is_refused()
    {
        using var admin = app.Admin();
        var before = await admin.GetJsonAsync<List<TemplateDto>>("/api/v1/templates", Ct);

        var response = await admin.PostJsonAsync("/api/v1/templates", Macro(new string('a', 20_001)), Ct);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode}");
        Assert.Equal("body", (await response.ProblemAsync(response.StatusCode, Ct)).Field());
        Assert.Equal(before.Count, (await admin.GetJsonAsync<List<TemplateDto>>("/api/v1/templates", Ct)).Count);
    }

    [Fact]
    public async Task Conditions_nest_five_deep_but_not_six()
    {
        using var admin = app.Admin();
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("{% if customer.name %}", depth)) + "deep" + string.Concat(Enumerable.Repeat("{% endif %}", depth));

        Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync("/api/v1/templates", Macro(Nested(5)), Ct)).StatusCode);
        var six = await admin.PostJsonAsync("/api/v1/templates", Macro(Nested(6)), Ct);
        Assert.Equal("template.too_deep", (await six.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        var bomb = await admin.PostJsonAsync("/api/v1/templates", Macro(Nested(500)), Ct);
        Assert.Equal("template.too_deep", (await bomb.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("{% for t in ticket.tags %}{{ t }}{% endfor %}")]
    [InlineData("{%- for t in ticket.tags -%}{{ t }}{%- endfor -%}")]
    [InlineData("{% assign x = customer.name %}{{ x }}")]
    [InlineData("{% raw %}{{ system }}{% endraw %}")]
    [InlineData("{% include 'secrets' %}")]
    public async Task Tags_beyond_if_and_unless_are_422(string body)
    {
        using var admin = app.Admin();

        var response = await admin.PostJsonAsync("/api/v1/templates", Macro(body), Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("template.unsupported_tag", problem.GetProperty("code").GetString());
        Assert.Equal("body", problem.Field());
    }

    [Fact]
    public async Task The_same_key_and_language_twice_is_409()
    {
        using var admin = app.Admin();
        var macro = Macro("Hello {{ customer.first_name }}");
        (await admin.PostJsonAsync("/api/v1/templates", macro, Ct)).EnsureSuccessStatusCode();

        var again = await admin.PostJsonAsync("/api/v1/templates", macro, Ct);

        Assert.Equal("template.exists", (await again.ProblemAsync(HttpStatusCode.Conflict, Ct)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_edited_acknowledgement_is_what_the_next_customer_reads_until_it_is_deleted()
    {
        using var admin = app.Admin();
        using var agent = app.CreateClient(AgentRole.Agent);
        var response = await admin.PostJsonAsync("/api/v1/templates", new
        {
            key = Acknowledgement, language = "en", name = "Our acknowledgement",
            body = "Hi {{ customer.first_name }}! We have {{ ticket.reference }} and will answer {{ expect.reply_by | humanize }}. {{ company.name }}",
        }, Ct);
        var template = await response.ReadAsync<TemplateDto>(Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(template.Shipped);
        try
        {
            var listed = await admin.GetJsonAsync<List<TemplateDto>>($"/api/v1/templates?key={Acknowledgement}&language=en", Ct);
            Assert.Equal(template.Id, Assert.Single(listed).Id);

            var ticket = await agent.CreateTicketAsync("Password reset", Ct, name: "Olga Nilsen");
            var ack = await AcknowledgementAsync(agent, ticket);
            Assert.StartsWith($"Hi Olga! We have {ticket.Reference} and will answer ", ack.Body);
            Assert.DoesNotContain("Thank you for getting in touch", ack.Body);

            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/templates/{template.Id}", Ct)).StatusCode);

            var later = await agent.CreateTicketAsync("Password reset again", Ct, name: "Olga Nilsen");
            var shipped = await AcknowledgementAsync(agent, later);
            Assert.StartsWith("Hello Olga,", shipped.Body);
            Assert.Contains("Thank you for getting in touch", shipped.Body);
            Assert.Contains(later.Reference, shipped.Body);
            var back = Assert.Single(await admin.GetJsonAsync<List<TemplateDto>>($"/api/v1/templates?key={Acknowledgement}&language=en", Ct));
            Assert.True(back.Shipped);
        }
        finally
        {
            await admin.DeleteAsync($"/api/v1/templates/{template.Id}", Ct);
        }
    }

    [Fact]
    public async Task A_dutch_customer_gets_the_dutch_acknowledgement()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var email = $"daan{Guid.NewGuid():N}@example.nl";
        (await agent.PostJsonAsync("/api/v1/customers", new { name = "Daan de Vries", emails = new[] { email }, language = "nl" }, Ct)).EnsureSuccessStatusCode();

        var ticket = await agent.CreateTicketAsync("Factuur klopt niet", Ct, email: email);

        var ack = await AcknowledgementAsync(agent, ticket);
        Assert.StartsWith("Hallo Daan,", ack.Body);
        Assert.Contains("Dank u wel voor uw bericht", ack.Body);
        Assert.Contains(ticket.Reference, ack.Body);
        Assert.DoesNotContain("Thank you", ack.Body);
    }

    [Fact]
    public async Task A_preview_renders_the_text_for_a_ticket()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.CreateTicketAsync("Lost parcel", Ct, name: "Jonas Holm");

        var response = await agent.PostJsonAsync("/api/v1/templates/preview", new
        {
            body = "Dear {{ customer.first_name }}, about {{ ticket.reference }} (\"{{ ticket.subject }}\"){% if agent.name %} with {{ agent.name }}{% endif %}.",
            ticketRef = ticket.Reference,
        }, Ct);

        var preview = await response.ReadAsync<TemplatePreview>(Ct);
        Assert.Equal($"Dear Jonas, about {ticket.Reference} (\"Lost parcel\").", preview.Text);

        var unknown = await agent.PostJsonAsync("/api/v1/templates/preview", new { body = "{{ system }}", ticketRef = ticket.Reference }, Ct);
        Assert.Equal("template.unknown_placeholder", (await unknown.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_text_naming_the_team_gets_the_tickets_team_as_it_is_named_now()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Returns {Guid.NewGuid():N}" }, Ct)).ReadAsync<TeamDto>(Ct);
        var ticket = await (await admin.PostJsonAsync("/api/v1/tickets", new
        {
            subject = "Wrong size",
            body = "The shoes are a size too small.",
            customer = new { name = "Mia Berg", email = $"mia{Guid.NewGuid():N}@example.com" },
            teamId = team.Id,
        }, Ct)).ReadAsync<TicketDto>(Ct);
        const string Text = "{{ customer.first_name }}, the {{ team.name | default: \"nobody\" }} team has it.";

        var before = await (await admin.PostJsonAsync("/api/v1/templates/preview", new { body = Text, ticketRef = ticket.Reference }, Ct)).ReadAsync<TemplatePreview>(Ct);
        var renamed = $"Exchanges {Guid.NewGuid():N}";
        (await admin.PatchJsonAsync($"/api/v1/teams/{team.Id}", new { name = renamed }, Ct)).EnsureSuccessStatusCode();
        var after = await (await admin.PostJsonAsync("/api/v1/templates/preview", new { body = Text, ticketRef = ticket.Reference }, Ct)).ReadAsync<TemplatePreview>(Ct);

        Assert.Equal($"Mia, the {team.Name} team has it.", before.Text);
        Assert.Equal($"Mia, the {renamed} team has it.", after.Text);
    }

    [Fact]
    public async Task Html_in_a_customer_name_is_written_as_the_literal_name_not_interpreted()
    {
        using var agent = app.CreateClient(AgentRole.Agent);

        var ticket = await agent.CreateTicketAsync("Odd name", Ct, name: "<b>Ann</b> <script>alert(1)</script>");

        var ack = await AcknowledgementAsync(agent, ticket);
        Assert.StartsWith("Hello <b>Ann</b>,", ack.Body);
        Assert.DoesNotContain("&lt;", ack.Body);
        Assert.Null(ack.Html);
    }

    private static object Macro(string body) => new { key = $"macro.{RuleKit.Marker()}", language = "en", name = "A macro", body };

    /// <summary>The acknowledgement close-the-loop sent for the ticket's first contact.</summary>
    private static async Task<MessageDto> AcknowledgementAsync(HttpClient client, TicketDto ticket)
    {
        var messages = await client.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct);
        return Assert.Single(messages, m => m.AuthorKind == ActorKind.System && !m.Internal);
    }
}

public sealed class TemplateApiOnSqlite(SqliteApp app) : TemplateApiTests(app), IClassFixture<SqliteApp>;

public sealed class TemplateApiOnPostgres(PostgresApp app) : TemplateApiTests(app), IClassFixture<PostgresApp>;
