using System.Net;
using System.Text;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Common;
using Loopdesk.Core.Tickets;
using Loopdesk.Portal;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Tests.Portal;

/// <summary>The customer portal's pages and forms as a customer's browser uses them, on both databases.</summary>
public abstract class PortalTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Request(string email, string subject = "The router blinks red", string description = "Since this morning the router blinks red and nothing loads.")
        => new() { ["Name"] = "Rita Request", ["Email"] = email, ["Subject"] = subject, ["Description"] = description, ["Category"] = "problem" };

    private static string NewEmail() => $"portal{Guid.NewGuid():N}@example.com";

    /// <summary>Sends the request form as a person would; returns the new ticket's reference.</summary>
    private static async Task<string> SubmitRequestAsync(PortalBrowser browser, string email, IReadOnlyList<(string, string, byte[], string)>? files = null)
    {
        using var response = await browser.SubmitAsync("/request", "/request", Request(email), files);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        var match = System.Text.RegularExpressions.Regex.Match(html, "reference ([A-Z0-9]{4}-[A-Z0-9]{4})");
        Assert.True(match.Success, html);
        return match.Groups[1].Value;
    }

    private async Task<int> TicketCountAsync(string email)
        => await PortalData.WithDbAsync(app, db => db.Tickets.CountAsync(t => db.CustomerIdentities.Any(i => i.Value == email && i.CustomerId == t.CustomerId), Ct));

    /// <summary>Signs the browser in to "My tickets" with the link mailed to <paramref name="email"/>.</summary>
    private async Task SignInAsync(PortalBrowser browser, string email)
    {
        using var asked = await browser.SubmitAsync("/my", "/my?handler=Link", new Dictionary<string, string> { ["Email"] = email });
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        var link = await PortalData.LinkToAsync(app, email, "/my/link");
        using var redeemed = await browser.SubmitAsync(link, link, new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Redirect, redeemed.StatusCode);
        Assert.Equal("/my", redeemed.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task The_home_page_leads_to_contact_request_my_tickets_and_help_without_the_workspace_scripts()
    {
        using var browser = new PortalBrowser(app);
        var html = await browser.PageAsync("/");
        foreach (var link in new[] { "href=\"/contact\"", "href=\"/request\"", "href=\"/my\"", "href=\"/help\"" }) Assert.Contains(link, html);
        Assert.Contains("id=\"status\"", html);
        Assert.DoesNotContain("blazor.web.js", html);
        Assert.DoesNotContain("MudBlazor", html);
        foreach (var page in new[] { "/contact", "/request", "/my", "/help" }) Assert.Contains("href=\"/contact\"", await browser.PageAsync(page));
    }

    [Fact]
    public async Task The_contact_page_lists_every_channel_with_hours_and_waits()
    {
        using var browser = new PortalBrowser(app);
        var html = await browser.PageAsync("/contact");
        Assert.Contains("tel:&#x2B;49301234567", html);
        Assert.Contains("30 1234567", html);
        Assert.Contains("Technical help", html);
        Assert.Contains("Live chat", html);
        Assert.Contains("href=\"/request\"", html);
        Assert.Contains("@acme@social.example", html);
        Assert.Contains("Opening hours", html);
    }

    [Fact]
    public async Task The_portal_speaks_german_when_the_browser_asks_for_it_and_the_switch_remembers_english()
    {
        using var browser = new PortalBrowser(app);
        browser.Client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("de-DE");
        Assert.Contains("Anfrage stellen", await browser.PageAsync("/request"));
        using var switched = await browser.Client.GetAsync("/language?culture=en&returnUrl=%2Frequest", Ct);
        Assert.Equal("/request", switched.Headers.Location?.OriginalString);
        Assert.Contains("Submit a request", await browser.PageAsync("/request"));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example")]
    [InlineData("javascript:alert(1)")]
    public async Task The_language_switch_does_not_redirect_off_the_site(string returnUrl)
    {
        using var browser = new PortalBrowser(app);
        using var response = await browser.Client.GetAsync($"/language?culture=de&returnUrl={Uri.EscapeDataString(returnUrl)}", Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_request_opens_a_portal_ticket_shows_the_reference_and_is_acknowledged()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        using var response = await browser.SubmitAsync("/request", "/request", Request(email));
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("You will hear from us", html);
        var reference = System.Text.RegularExpressions.Regex.Match(html, "reference ([A-Z0-9]{4}-[A-Z0-9]{4})").Groups[1].Value;
        await app.RunJobsAsync();
        using var agent = app.CreateClient(AgentRole.Agent);
        var ticket = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{reference}", Ct);
        Assert.Equal(Channel.Portal, ticket.Channel);
        Assert.Equal(TicketType.Problem, ticket.Type);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        Assert.Contains(messages, m => m.Direction == MessageDirection.Inbound && m.Body.Contains("blinks red", StringComparison.Ordinal));
        // the close-the-loop rule answered on the customer's channel with the reference
        Assert.Contains(messages, m => m.AuthorKind == ActorKind.System && m.Direction == MessageDirection.Outbound && m.Body.Contains(reference, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_keeps_its_attachment()
    {
        using var browser = new PortalBrowser(app);
        var reference = await SubmitRequestAsync(browser, NewEmail(), [("Files", "photo.png", new byte[5000], "image/png")]);
        using var agent = app.CreateClient(AgentRole.Agent);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        var file = Assert.Single(messages.SelectMany(m => m.Attachments));
        Assert.Equal("photo.png", file.FileName);
        Assert.NotNull(file.StorageKey);
    }

    [Theory]
    [InlineData("big.pdf", PortalSettings.MaxAttachmentBytes + 1, "application/pdf", "larger than")]
    [InlineData("invoice.exe", 100, "application/octet-stream", "not accepted")]
    [InlineData("page.html", 100, "text/html", "not accepted")]
    [InlineData("drawing.svg", 100, "image/svg+xml", "not accepted")]
    public async Task A_request_with_a_file_over_the_limit_or_of_a_dangerous_type_is_refused_and_writes_nothing(string name, int size, string type, string says)
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        using var response = await browser.SubmitAsync("/request", "/request", Request(email), [("Files", name, new byte[size], type)]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(says, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(0, await TicketCountAsync(email));
    }

    [Fact]
    public async Task A_filled_honeypot_is_refused_and_writes_nothing()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        var fields = Request(email);
        fields[FormGuard.HoneypotField] = "http://spam.example";
        using var response = await browser.SubmitAsync("/request", "/request", fields);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await TicketCountAsync(email));
    }

    [Fact]
    public async Task A_form_sent_back_faster_than_a_person_types_is_refused()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        var html = await browser.PageAsync("/request");
        var hidden = PortalBrowser.HiddenFields(html, "/request");
        foreach (var (k, v) in Request(email)) hidden[k] = v;
        using var response = await browser.PostAsync("/request", hidden);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("very quick", await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(0, await TicketCountAsync(email));
    }

    [Fact]
    public async Task A_forged_or_missing_form_stamp_is_refused()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        var fields = Request(email);
        fields[FormGuard.StampField] = Convert.ToBase64String(Encoding.UTF8.GetBytes("0"));
        using var forged = await browser.SubmitAsync("/request", "/request", fields);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        fields[FormGuard.StampField] = "";
        using var missing = await browser.SubmitAsync("/request", "/request", fields);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(0, await TicketCountAsync(email));
    }

    [Fact]
    public async Task Every_form_refuses_a_post_without_a_valid_antiforgery_token()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        using (var r = await browser.SubmitAsync("/request", "/request", Request(email), withToken: false)) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(0, await TicketCountAsync(email));
        var reference = await SubmitRequestAsync(browser, email);
        using (var r = await browser.SubmitAsync("/my", "/my?handler=Link", new Dictionary<string, string> { ["Email"] = email }, withToken: false)) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.DoesNotContain(await PortalData.MailsAsync(app), m => m.To == email);
        await SignInAsync(browser, email);
        var ticketPage = $"/my/t/{reference}";
        using (var r = await browser.SubmitAsync(ticketPage, $"{ticketPage}?handler=Reply", new Dictionary<string, string> { ["Text"] = "forged" }, withToken: false))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await browser.SubmitAsync("/my", "/my?handler=SignOut", new Dictionary<string, string>(), withToken: false)) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        // a token of another browser does not count either
        using var other = new PortalBrowser(app);
        var foreign = PortalBrowser.HiddenFields(await other.PageAsync("/request"), "/request");
        app.Clock.Advance(TimeSpan.FromSeconds(5));
        var fields = Request(email);
        foreach (var (k, v) in foreign) fields[k] = v;
        using (var r = await browser.PostAsync("/request", fields)) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using var agent = app.CreateClient(AgentRole.Agent);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        Assert.DoesNotContain(messages, m => m.Body == "forged");
        Assert.Equal(1, await TicketCountAsync(email));
    }

    [Fact]
    public async Task A_sign_in_link_signs_in_once_and_shows_only_the_customers_own_tickets_without_internal_notes()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        var reference = await SubmitRequestAsync(browser, email);
        using var agent = app.CreateClient(AgentRole.Agent);
        (await agent.PostJsonAsync($"/api/v1/tickets/{reference}/messages", new { body = "Line test shows a fault on port 7.", direction = "outbound", @internal = true }, Ct)).EnsureSuccessStatusCode();
        (await agent.PostJsonAsync($"/api/v1/tickets/{reference}/messages", new { body = "We found the fault and are fixing it.", direction = "outbound" }, Ct)).EnsureSuccessStatusCode();

        await SignInAsync(browser, email);
        var list = await browser.PageAsync("/my");
        Assert.Contains(reference, list);
        var page = await browser.PageAsync($"/my/t/{reference}");
        Assert.Contains("We found the fault", page);
        Assert.DoesNotContain("port 7", page);

        // the same link again: spent
        var link = await PortalData.LinkToAsync(app, email, "/my/link");
        using var again = new PortalBrowser(app);
        using var reused = await again.SubmitAsync(link, link, new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Contains("does not work", await reused.Content.ReadAsStringAsync(Ct));
        await again.PageAsync($"/my/t/{reference}", HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Another_customers_ticket_is_not_found_not_forbidden()
    {
        using var mine = new PortalBrowser(app);
        var email = NewEmail();
        await SubmitRequestAsync(mine, email);
        using var theirs = new PortalBrowser(app);
        var otherReference = await SubmitRequestAsync(theirs, NewEmail());
        await SignInAsync(mine, email);
        await mine.PageAsync($"/my/t/{otherReference}", HttpStatusCode.NotFound);
        await mine.PageAsync("/my/t/ZZZZ-ZZZZ", HttpStatusCode.NotFound);
        await mine.PageAsync($"/my/t/{otherReference}?handler=File&key={new string('a', 64)}", HttpStatusCode.NotFound);
        var html = PortalBrowser.HiddenFields(await mine.PageAsync("/my"), "/my?handler=SignOut");
        html["Text"] = "not mine";
        using var reply = await mine.PostAsync($"/my/t/{otherReference}?handler=Reply", html);
        Assert.Equal(HttpStatusCode.NotFound, reply.StatusCode);
    }

    [Fact]
    public async Task Expired_foreign_and_guessed_links_fail_with_the_same_words_and_unknown_addresses_get_the_same_answer()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        await SubmitRequestAsync(browser, email);
        using var asked = await browser.SubmitAsync("/my", "/my?handler=Link", new Dictionary<string, string> { ["Email"] = email });
        var knownAnswer = await asked.Content.ReadAsStringAsync(Ct);
        var link = await PortalData.LinkToAsync(app, email, "/my/link");

        var unknown = NewEmail();
        var mailsBefore = (await PortalData.MailsAsync(app)).Count;
        using var askedUnknown = await browser.SubmitAsync("/my", "/my?handler=Link", new Dictionary<string, string> { ["Email"] = unknown });
        Assert.Equal(asked.StatusCode, askedUnknown.StatusCode);
        Assert.Equal(Message(knownAnswer), Message(await askedUnknown.Content.ReadAsStringAsync(Ct)));
        Assert.Equal(mailsBefore, (await PortalData.MailsAsync(app)).Count);

        var token = System.Web.HttpUtility.ParseQueryString(new Uri("http://x" + link).Query)["token"]!;
        var answers = new List<string>();
        foreach (var bad in new[] { $"/my/link?token={token}&email={Uri.EscapeDataString(unknown)}", $"/my/link?token={new string('A', 43)}&email={Uri.EscapeDataString(email)}" })
        {
            using var b = new PortalBrowser(app);
            using var r = await b.SubmitAsync(bad, bad, new Dictionary<string, string>());
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            answers.Add(Message(await r.Content.ReadAsStringAsync(Ct)));
        }
        app.Clock.Advance(TimeSpan.FromMinutes(16));
        using (var b = new PortalBrowser(app))
        {
            using var expired = await b.SubmitAsync(link, link, new Dictionary<string, string>());
            Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
            answers.Add(Message(await expired.Content.ReadAsStringAsync(Ct)));
        }
        Assert.Single(answers.Distinct());
    }

    [Fact]
    public async Task Sign_in_links_to_one_address_are_limited_per_hour_with_the_same_answer()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        await SubmitRequestAsync(browser, email);
        for (var i = 0; i < 7; i++)
        {
            using var r = await browser.SubmitAsync("/my", "/my?handler=Link", new Dictionary<string, string> { ["Email"] = email });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.Equal(5, (await PortalData.MailsAsync(app)).Count(m => m.To == email));
    }

    [Fact]
    public async Task The_customer_replies_with_a_file_says_not_resolved_then_resolved_and_answers_the_survey()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        var reference = await SubmitRequestAsync(browser, email);
        await SignInAsync(browser, email);
        var page = $"/my/t/{reference}";
        using (var r = await browser.SubmitAsync(page, $"{page}?handler=Reply", new Dictionary<string, string> { ["Text"] = "Here is a photo of the lights." },
            [("Files", "lights.jpg", new byte[3000], "image/jpeg")])) Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);

        using var agent = app.CreateClient(AgentRole.Agent);
        var messages = await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        var reply = Assert.Single(messages, m => m.Body == "Here is a photo of the lights.");
        Assert.Equal(Channel.Portal, reply.Channel);
        Assert.Equal("lights.jpg", Assert.Single(reply.Attachments).FileName);

        (await agent.PatchJsonAsync($"/api/v1/tickets/{reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        using (var r = await browser.SubmitAsync(page, $"{page}?handler=NotResolved", new Dictionary<string, string> { ["Text"] = "Still red." }, formIndex: 1))
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Equal(TicketStatus.Open, (await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{reference}", Ct)).Status);

        (await agent.PatchJsonAsync($"/api/v1/tickets/{reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        using (var r = await browser.SubmitAsync(page, $"{page}?handler=Resolved", new Dictionary<string, string>())) Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Equal(TicketStatus.Closed, (await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{reference}", Ct)).Status);
        await app.RunJobsAsync();

        var closed = await browser.PageAsync(page);
        Assert.Contains("How did we do?", closed);
        using (var r = await browser.SubmitAsync(page, $"{page}?handler=Survey", new Dictionary<string, string> { ["Rating"] = "5", ["Comment"] = "Quick and kind." }))
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        var surveys = await agent.GetJsonAsync<List<Loopdesk.Rules.SurveyDto>>($"/api/v1/surveys?ticket={reference}", Ct);
        Assert.Equal(5, Assert.Single(surveys).Rating);
        Assert.DoesNotContain("How did we do?", await browser.PageAsync(page));
    }

    [Fact]
    public async Task An_agent_asks_for_identity_verification_and_the_ticket_records_the_fields_never_the_values()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        var reference = await SubmitRequestAsync(browser, email);
        using var agent = app.CreateClient(AgentRole.Agent);
        using var bad = await agent.PostJsonAsync($"/api/v1/tickets/{reference}/verifications", new { fields = new[] { "mothers-maiden-name" } }, Ct);
        await bad.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        using var created = await agent.PostJsonAsync($"/api/v1/tickets/{reference}/verifications", new { fields = new[] { "account-number", "card-last4" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var link = await PortalData.LinkToAsync(app, email, "/verify");
        var form = await browser.PageAsync(link);
        Assert.Contains("Account number", form);
        using (var missing = await browser.SubmitAsync(link, link, new Dictionary<string, string> { ["values[account-number]"] = "AC-991" }))
            Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        using (var done = await browser.SubmitAsync(link, link, new Dictionary<string, string> { ["values[account-number]"] = "AC-991-SECRET", ["values[card-last4]"] = "4242" }))
            Assert.Contains("identity is confirmed", await done.Content.ReadAsStringAsync(Ct));

        var events = await agent.GetStringAsync($"/api/v1/tickets/{reference}/events", Ct);
        Assert.Contains("\"verified\"", events);
        Assert.Contains("card-last4", events);
        Assert.DoesNotContain("AC-991-SECRET", events);
        Assert.DoesNotContain("4242", events);
        Assert.DoesNotContain("AC-991-SECRET", await agent.GetStringAsync($"/api/v1/tickets/{reference}/messages", Ct));
        await browser.PageAsync(link, HttpStatusCode.NotFound);
        var list = await agent.GetJsonAsync<List<VerificationDto>>($"/api/v1/tickets/{reference}/verifications", Ct);
        Assert.NotNull(Assert.Single(list).CompletedAt);
    }

    [Fact]
    public async Task Help_articles_render_markdown_without_script_or_javascript_links_and_are_found_by_search()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var category = await (await supervisor.PostJsonAsync("/api/v1/help/categories", new { name = $"Safety {Guid.NewGuid():N}" }, Ct)).ReadAsync<HelpCategoryDto>(Ct);
        var word = "zebra" + Guid.NewGuid().ToString("N")[..6];
        var article = await (await supervisor.PostJsonAsync("/api/v1/help/articles", new
        {
            categoryId = category.Id,
            title = $"Resetting the {word} modem",
            body = "Press **reset**.\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[click me](javascript:alert(1)) and [ok](https://example.org)",
            noviceBody = "Find the small hole marked reset and press it with a pin.",
            expertBody = "Hold reset 10 s for a factory reset.",
        }, Ct)).ReadAsync<HelpArticleDto>(Ct);
        using var browser = new PortalBrowser(app);
        var html = await browser.PageAsync($"/help/a/{article.Slug}");
        var body = html[html.IndexOf("article-body", StringComparison.Ordinal)..];
        body = body[..body.IndexOf("</article>", StringComparison.Ordinal)];
        Assert.Contains("<strong>reset</strong>", body);
        Assert.DoesNotContain("<script", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", body, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("href=\"https://example.org\"", body);

        Assert.Contains(article.Title, await browser.PageAsync($"/help?q={word}"));
        using var anonymous = app.CreateClient();
        var hits = await anonymous.GetJsonAsync<List<HelpSearchHit>>($"/api/v1/help/search?q={word[..7]}", Ct);
        Assert.Contains(hits, h => h.Slug == article.Slug);
    }

    [Fact]
    public async Task The_reader_picks_a_level_the_page_remembers_it_and_votes_count_once_per_visitor()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var category = await (await supervisor.PostJsonAsync("/api/v1/help/categories", new { name = $"Levels {Guid.NewGuid():N}" }, Ct)).ReadAsync<HelpCategoryDto>(Ct);
        var article = await (await supervisor.PostJsonAsync("/api/v1/help/articles", new
        {
            categoryId = category.Id, title = $"Levels {Guid.NewGuid():N}", body = "The usual words.", noviceBody = "Very gentle words.", expertBody = "Terse words.",
        }, Ct)).ReadAsync<HelpArticleDto>(Ct);
        using var browser = new PortalBrowser(app);
        var url = $"/help/a/{article.Slug}";
        Assert.Contains("The usual words.", await browser.PageAsync(url));
        Assert.Contains("Very gentle words.", await browser.PageAsync(url + "?level=novice"));
        Assert.Contains("Very gentle words.", await browser.PageAsync(url));

        var form = PortalBrowser.HiddenFields(await browser.PageAsync(url), $"{url}?handler=Vote");
        form["helpful"] = "true";
        app.Clock.Advance(TimeSpan.FromSeconds(5));
        using (var r = await browser.PostAsync($"{url}?handler=Vote", form)) Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.Contains("Thank you for your feedback", await browser.PageAsync(url));
        // the same visitor posting the form again by hand does not count twice
        using (var again = await browser.PostAsync($"{url}?handler=Vote", form)) Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        var stored = await supervisor.GetJsonAsync<HelpArticleDto>($"/api/v1/help/articles/{article.Id}", Ct);
        Assert.Equal(1, stored.HelpfulCount);
    }

    [Fact]
    public async Task The_customer_cookie_is_not_a_staff_session()
    {
        using var browser = new PortalBrowser(app);
        var email = NewEmail();
        await SubmitRequestAsync(browser, email);
        await SignInAsync(browser, email);
        using var api = await browser.Client.GetAsync("/api/v1/tickets", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        using var inbox = new HttpRequestMessage(HttpMethod.Get, "/inbox");
        inbox.Headers.Accept.ParseAdd("text/html");
        using var workspace = await browser.Client.SendAsync(inbox, Ct);
        Assert.Equal(HttpStatusCode.Redirect, workspace.StatusCode);
        Assert.StartsWith("/signin", workspace.Headers.Location?.PathAndQuery ?? workspace.Headers.Location?.OriginalString);
    }

    /// <summary>The words a page says to the customer in its notice, without the per-request form fields.</summary>
    private static string Message(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, "<div class=\"notice[^\"]*\"[^>]*>(.*?)</div>", System.Text.RegularExpressions.RegexOptions.Singleline);
        return match.Success ? match.Groups[1].Value.Trim() : "(no notice)";
    }
}

public sealed class PortalOnSqlite(PortalSqliteApp app) : PortalTests(app), IClassFixture<PortalSqliteApp>;

public sealed class PortalOnPostgres(PortalPostgresApp app) : PortalTests(app), IClassFixture<PortalPostgresApp>;
