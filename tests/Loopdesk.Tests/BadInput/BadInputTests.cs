using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Loopdesk.Core.Agents;
using Loopdesk.Core.Tickets;
using Loopdesk.Customers;
using Loopdesk.Search;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.BadInput;

/// <summary>
/// Every way a client can get a request wrong answers a 4xx problem that names the field at fault, and writes nothing.
/// </summary>
public abstract class BadInputTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string ValidTicket = """{"subject":"Router drops","body":"Every night at 8pm.","customer":{"email":"valid@example.com"}}""";

    // ---- bodies the framework cannot read ----

    [Theory]
    [InlineData("""{"subject": "Router drops", """)]
    [InlineData("""not json at all""")]
    [InlineData("""{"subject": 'single quotes', "body": "x", "customer": {"email": "a@example.com"}}""")]
    [InlineData("""{"subject": "x", "body": "y", "customer": {"email": "a@example.com"},}""")]
    [InlineData("""{"subject": "x", /* a comment */ "body": "y", "customer": {"email": "a@example.com"}}""")]
    [InlineData("""{"subject": "x", "body": "y", "customer": {"email": "a@example.com"}}}""")]
    [InlineData("""[]""")]
    [InlineData("""null""")]
    [InlineData("")]
    public async Task Malformed_json_is_400_and_opens_no_ticket(string body)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostRawAsync("/api/v1/tickets", body, Ct);

        await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("""{"subject": 12, "body": "y", "customer": {"email": "a@example.com"}}""", "subject")]
    [InlineData("""{"subject": "x", "body": ["y"], "customer": {"email": "a@example.com"}}""", "body")]
    [InlineData("""{"subject": "x", "body": "y", "customer": "a@example.com"}""", "customer")]
    [InlineData("""{"subject": "x", "body": "y", "customer": {"email": 42}}""", "customer.email")]
    [InlineData("""{"subject": "x", "body": "y", "customer": {"email": "a@example.com"}, "tags": "vip"}""", "tags")]
    [InlineData("""{"subject": "x", "body": "y", "customer": {"email": "a@example.com"}, "teamId": "not-a-guid"}""", "teamId")]
    [InlineData("""{"subject": "x", "body": "y", "customer": {"email": "a@example.com"}, "occurredAt": "yesterday"}""", "occurredAt")]
    public async Task A_value_of_the_wrong_type_is_400_naming_the_field(string body, string field)
    {
        await OpeningIsRefusedAsync(body, field);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=xyz")]
    public async Task A_body_that_is_not_json_is_415_and_opens_no_ticket(string contentType)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();
        using var content = new StringContent(ValidTicket, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        var response = await client.PostAsync("/api/v1/tickets", content, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType, Ct);
        Assert.Equal("Content-Type", problem.Field());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_patch_that_is_not_json_is_415_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Wrong content type", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/tickets/{ticket.Reference}")
        {
            Content = new StringContent("""{"priority":"urgent"}""", Encoding.UTF8, "text/plain"),
        };

        var response = await client.SendAsync(request, Ct);

        await response.ProblemAsync(HttpStatusCode.UnsupportedMediaType, Ct);
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((TicketPriority.Normal, ticket.Version), (after.Priority, after.Version));
    }

    [Theory]
    [InlineData("POST", "/api/v1/tickets", "")]
    [InlineData("POST", "/api/v1/tickets", "null")]
    [InlineData("POST", "/api/v1/customers", "")]
    [InlineData("POST", "/api/v1/customers", "null")]
    [InlineData("PATCH", "/api/v1/tickets/{ticket}", "")]
    [InlineData("PATCH", "/api/v1/tickets/{ticket}", "null")]
    [InlineData("POST", "/api/v1/tickets/{ticket}/messages", "")]
    [InlineData("POST", "/api/v1/tickets/{ticket}/messages", "null")]
    [InlineData("POST", "/api/v1/teams", "")]
    [InlineData("POST", "/api/v1/rules", "null")]
    public async Task An_empty_or_null_json_body_is_400_saying_a_body_is_required_and_writes_nothing(string method, string url, string body)
    {
        using var client = app.CreateClient(AgentRole.Admin);
        var ticket = await client.CreateTicketAsync("No body", Ct);
        var before = await CountAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), url.Replace("{ticket}", ticket.Reference, StringComparison.Ordinal))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        var response = await client.SendAsync(request, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(("urn:loopdesk:problem:malformed", "A JSON body is required.", (string?)null),
            (problem.GetProperty("type").GetString(), problem.GetProperty("detail").GetString(), problem.Field()));
        Assert.Equal(before, await CountAsync());
        Assert.Equal(ticket.Version, (await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Version);
    }

    [Theory]
    [InlineData("""{"subject":"S","subject":"T","body":"y","customer":{"email":"a@example.com"}}""", "subject")]
    [InlineData("""{"subject":"S","body":"y","customer":{"email":"a@example.com","email":"b@example.com"}}""", "customer.email")]
    [InlineData("""{"subject":"S","body":"y","customer":{"email":"a@example.com"},"tags":["a"],"tags":["b"]}""", "tags")]
    [InlineData("""{"subject":"S","body":"y","customer":{"email":"a@example.com"},"priority":"low","priority":"urgent"}""", "priority")]
    public async Task A_field_given_twice_is_400_malformed_naming_it_and_opens_no_ticket(string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostRawAsync("/api/v1/tickets", body, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(("urn:loopdesk:problem:malformed", field), (problem.GetProperty("type").GetString(), problem.Field()));
        Assert.Contains("more than once", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("/api/v1/tickets/{ticket}", """{"priority":"high","priority":"low"}""", "priority")]
    [InlineData("/api/v1/tickets/{ticket}", """{"customFields":{"plan":"gold","plan":"free"}}""", "customFields.plan")]
    [InlineData("/api/v1/customers/{customer}", """{"notes":"a","notes":"b"}""", "notes")]
    public async Task A_field_given_twice_in_a_patch_is_400_malformed_and_changes_nothing(string url, string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Twice", Ct);
        var customer = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{ticket.CustomerId}", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Patch, url.Replace("{ticket}", ticket.Reference, StringComparison.Ordinal)
            .Replace("{customer}", customer.Id.ToString(), StringComparison.Ordinal))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        var response = await client.SendAsync(request, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(("urn:loopdesk:problem:malformed", field), (problem.GetProperty("type").GetString(), problem.Field()));
        Assert.Equal(ticket.Version, (await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Version);
        Assert.Equal(customer.Version, (await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{customer.Id}", Ct)).Version);
    }

    // ---- unknown and missing fields ----

    [Theory]
    [InlineData("/api/v1/tickets", """{"subject":"x","body":"y","customer":{"email":"a@example.com"},"colour":"red"}""", "colour")]
    [InlineData("/api/v1/tickets", """{"subject":"x","body":"y","customer":{"email":"a@example.com","nickname":"Al"}}""", "customer.nickname")]
    [InlineData("/api/v1/tickets", """{"subject":"x","body":"y","customer":{"email":"a@example.com"},"status":"open"}""", "status")]
    [InlineData("/api/v1/customers", """{"name":"Al","email":"al@example.com"}""", "email")]
    public async Task An_unknown_field_is_400_naming_it_and_writes_nothing(string url, string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostRawAsync(url, body, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(field, problem.Field());
        Assert.Contains(field, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task An_unknown_field_in_a_patch_is_400_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Unknown patch field", Ct);

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { priority = "high", assignee = "me" }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal("assignee", problem.Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((TicketPriority.Normal, ticket.Version), (after.Priority, after.Version));
    }

    [Theory]
    [InlineData("""{"body":"y","customer":{"email":"a@example.com"}}""", "subject")]
    [InlineData("""{"subject":"x","customer":{"email":"a@example.com"}}""", "body")]
    [InlineData("""{"subject":"x","body":"y"}""", "customer")]
    [InlineData("""{"subject":null,"body":"y","customer":{"email":"a@example.com"}}""", "subject")]
    [InlineData("""{"subject":"","body":"y","customer":{"email":"a@example.com"}}""", "subject")]
    [InlineData("""{"subject":"   ","body":"y","customer":{"email":"a@example.com"}}""", "subject")]
    [InlineData("""{"subject":"x","body":"","customer":{"email":"a@example.com"}}""", "body")]
    [InlineData("""{"subject":"x","body":" \n ","customer":{"email":"a@example.com"}}""", "body")]
    [InlineData("""{"subject":"x","body":"y","customer":null}""", "customer")]
    [InlineData("""{"subject":"x","body":"y","customer":{}}""", "customer.email")]
    [InlineData("""{"subject":"x","body":"y","customer":{"name":"Anna Keller"}}""", "customer.email")]
    [InlineData("""{"subject":"x","body":"y","customer":{"name":"Anna Keller","email":" ","phone":""}}""", "customer.email")]
    public async Task A_missing_required_field_is_400_naming_it_and_opens_no_ticket(string body, string field)
    {
        var problem = await OpeningIsRefusedAsync(body, field);

        // a validation problem however the field is missing: left out, null or blank
        Assert.Equal("urn:loopdesk:problem:validation", problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        Assert.NotEmpty(problem.GetProperty("errors").GetProperty(field).EnumerateArray());
    }

    [Theory]
    [InlineData("""{"emails":["mo@example.com"]}""", "name")]
    [InlineData("""{"name":null,"emails":["mo@example.com"]}""", "name")]
    [InlineData("""{"name":"","emails":["mo@example.com"]}""", "name")]
    [InlineData("""{"name":"  ","emails":["mo@example.com"]}""", "name")]
    public async Task A_customer_without_a_name_is_400(string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostRawAsync("/api/v1/customers", body, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(field, problem.Field());
        Assert.Equal(before, await CountAsync());
    }

    // ---- sizes ----

    [Fact]
    public async Task A_subject_of_300_characters_is_fine_and_301_is_400()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var fine = await client.PostJsonAsync("/api/v1/tickets", NewTicket(subject: new string('s', 300)), Ct);
        Assert.Equal(HttpStatusCode.Created, fine.StatusCode);
        var before = await CountAsync();

        var response = await client.PostJsonAsync("/api/v1/tickets", NewTicket(subject: new string('s', 301)), Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal("subject", problem.Field());
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_body_over_100000_characters_is_400_on_tickets_and_messages()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Long body", Ct);
        var before = await CountAsync();
        var tooLong = new string('b', Limits.BodyMaxLength + 1);

        var create = await client.PostJsonAsync("/api/v1/tickets", NewTicket(body: tooLong), Ct);
        var reply = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = tooLong }, Ct);

        Assert.Equal("body", (await create.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("body", (await reply.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        Assert.Single((await client.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)).ByPeople());
        var exactly = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = tooLong[1..] }, Ct);
        Assert.Equal(HttpStatusCode.Created, exactly.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/tickets")]
    [InlineData("/api/v1/customers")]
    public async Task A_body_over_the_request_size_limit_is_413_and_writes_nothing(string url)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();
        const long limit = 10 * 1024 * 1024;
        // a JSON string that would be valid if it were not so long
        var bytes = new byte[limit + 2];
        Array.Fill(bytes, (byte)'a');
        bytes[0] = (byte)'"';
        bytes[^1] = (byte)'"';
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.True(content.Headers.ContentLength > limit);

        var response = await client.PostAsync(url, content, Ct);

        await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge, Ct);
        Assert.Equal(before, await CountAsync());
    }

    // ---- emails and phones ----

    [Theory]
    [InlineData("not-an-email", null, "customer.email")]
    [InlineData("anna@", null, "customer.email")]
    [InlineData("@example.com", null, "customer.email")]
    [InlineData("anna@example", null, "customer.email")]
    [InlineData("anna keller@example.com", null, "customer.email")]
    [InlineData("\"anna\"@example.com", null, "customer.email")]
    [InlineData(null, "12ab34567", "customer.phone")]
    [InlineData(null, "123", "customer.phone")]
    [InlineData(null, "+49 30 1234567 ext. 5", "customer.phone")]
    [InlineData(null, "1234567890123456", "customer.phone")]
    [InlineData("anna@example.com", "call me", "customer.phone")]
    public async Task An_invalid_email_or_phone_on_a_new_ticket_is_400_naming_it(string? email, string? phone, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostJsonAsync("/api/v1/tickets", new { subject = "Hello", body = "Help", customer = new { email, phone } }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(field, problem.Field());
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("not-an-email", null, "emails")]
    [InlineData("anna@@example.com", null, "emails")]
    [InlineData(null, "0800-CALL-NOW", "phones")]
    [InlineData(null, "12", "phones")]
    public async Task An_invalid_email_or_phone_on_a_customer_is_400_naming_it(string? email, string? phone, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var existing = await CreateCustomerAsync(client, "Existing Person");
        var before = await CountAsync();
        string[] emails = email is null ? [] : [$"ok{Guid.NewGuid():N}@example.com", email];
        string[] phones = phone is null ? [] : [phone];

        var create = await client.PostJsonAsync("/api/v1/customers", new { name = "New Person", emails, phones }, Ct);
        var update = await client.PatchJsonAsync($"/api/v1/customers/{existing.Id}", new { addEmails = emails, addPhones = phones }, Ct);

        Assert.Equal(field, (await create.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("add" + char.ToUpperInvariant(field[0]) + field[1..], (await update.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        var after = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{existing.Id}", Ct);
        Assert.Equal((existing.Version, existing.Identities.Count), (after.Version, after.Identities.Count));
    }

    // ---- rules of the domain ----

    [Fact]
    public async Task Closed_to_pending_is_422_on_status_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Closed for good", Ct);
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "closed" }, Ct)).EnsureSuccessStatusCode();
        var closed = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        var events = (await client.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct)).Count;

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "pending", tags = new[] { "reopen" } }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
        Assert.Equal("status", problem.Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((TicketStatus.Closed, closed.Version), (after.Status, after.Version));
        Assert.Empty(after.Tags);
        Assert.Equal(events, (await client.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{ticket.Reference}/events", Ct)).Count);
    }

    [Fact]
    public async Task A_contact_logged_on_a_closed_ticket_is_422_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Closed for good", Ct);
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "closed" }, Ct)).EnsureSuccessStatusCode();
        var closed = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        var timeline = await client.GetStringAsync($"/api/v1/customers/{ticket.CustomerId}/timeline", Ct);

        var response = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", summary = "called again" }, Ct);

        Assert.Equal("ticket.closed", (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        Assert.Equal(closed.Version, (await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Version);
        Assert.Equal(timeline, await client.GetStringAsync($"/api/v1/customers/{ticket.CustomerId}/timeline", Ct));
    }

    [Fact]
    public async Task A_stale_if_match_is_412_on_tickets_and_customers_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Two agents at once", Ct);
        (await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { priority = "low" }, Ct, ifMatch: ticket.ETag())).EnsureSuccessStatusCode();
        var customer = await CreateCustomerAsync(client, "Versioned Person");
        (await client.PatchJsonAsync($"/api/v1/customers/{customer.Id}", new { vip = true }, Ct, ifMatch: $"\"v{customer.Version}\"")).EnsureSuccessStatusCode();

        var staleTicket = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { priority = "urgent" }, Ct, ifMatch: ticket.ETag());
        var staleCustomer = await client.PatchJsonAsync($"/api/v1/customers/{customer.Id}", new { notes = "Overwritten" }, Ct, ifMatch: $"\"v{customer.Version}\"");
        var garbage = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { priority = "urgent" }, Ct, ifMatch: "not-an-etag");

        Assert.Equal("If-Match", (await staleTicket.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct)).Field());
        Assert.Equal("If-Match", (await staleCustomer.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct)).Field());
        Assert.Equal("If-Match", (await garbage.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct)).Field());
        var ticketAfter = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((TicketPriority.Low, ticket.Version + 1), (ticketAfter.Priority, ticketAfter.Version));
        var customerAfter = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{customer.Id}", Ct);
        Assert.Equal((true, (string?)null, customer.Version + 1), (customerAfter.Vip, customerAfter.Notes, customerAfter.Version));
    }

    // ---- references and ids ----

    [Theory]
    [InlineData("WXYZ-2345")]
    [InlineData("wxyz2345")]
    [InlineData("not-a-reference")]
    [InlineData("ABCD-234")]
    [InlineData("ABCD-23456")]
    [InlineData("0000-1111")]
    [InlineData("%27%3B%20drop%20table%20%22Tickets%22%3B%20--")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    public async Task A_ticket_reference_that_does_not_exist_or_is_no_reference_is_404_everywhere(string reference)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        await (await client.GetAsync($"/api/v1/tickets/{reference}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await client.GetAsync($"/api/v1/tickets/{reference}/events", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await client.GetAsync($"/api/v1/tickets/{reference}/messages", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await client.PatchJsonAsync($"/api/v1/tickets/{reference}", new { priority = "high" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await client.PostJsonAsync($"/api/v1/tickets/{reference}/messages", new { body = "Hello?" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await client.PostJsonAsync($"/api/v1/tickets/{reference}/contacts", new { channel = "phone" }, Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);

        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("customers")]
    [InlineData("customers/{0}/timeline")]
    [InlineData("organizations")]
    [InlineData("teams")]
    [InlineData("agents")]
    public async Task An_id_that_does_not_exist_is_404_and_one_that_is_no_id_is_404_too(string resource)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var path = resource.Contains("{0}", StringComparison.Ordinal) ? resource : resource + "/{0}";

        var unknown = await admin.GetAsync("/api/v1/" + string.Format(System.Globalization.CultureInfo.InvariantCulture, path, Guid.NewGuid()), Ct);
        var notAnId = await admin.GetAsync("/api/v1/" + string.Format(System.Globalization.CultureInfo.InvariantCulture, path, "12345"), Ct);

        await unknown.ProblemAsync(HttpStatusCode.NotFound, Ct);
        await notAnId.ProblemAsync(HttpStatusCode.NotFound, Ct);
    }

    [Fact]
    public async Task Moving_a_ticket_to_a_customer_that_does_not_exist_or_was_merged_is_422_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Whose is it", Ct);
        var target = await CreateCustomerAsync(client, "Merge Target");
        var merged = await CreateCustomerAsync(client, "Merged Away");
        (await client.PostJsonAsync($"/api/v1/customers/{target.Id}/merge", new { sourceId = merged.Id }, Ct)).EnsureSuccessStatusCode();

        var nobody = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { customerId = Guid.NewGuid(), priority = "high" }, Ct);
        var gone = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { customerId = merged.Id, priority = "high" }, Ct);

        Assert.Equal("customerId", (await nobody.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Equal("customerId", (await gone.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((ticket.CustomerId, TicketPriority.Normal, ticket.Version), (after.CustomerId, after.Priority, after.Version));
    }

    [Theory]
    [InlineData("teamId")]
    [InlineData("assigneeId")]
    [InlineData("shareWith")]
    public async Task A_ticket_change_naming_a_team_or_staff_member_that_does_not_exist_is_422_and_changes_nothing(string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Foreign ids", Ct);
        var body = new Dictionary<string, object> { [field] = Guid.NewGuid(), ["priority"] = "high" };

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", body, Ct);

        Assert.Equal(field, (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((TicketPriority.Normal, ticket.Version), (after.Priority, after.Version));
    }

    [Fact]
    public async Task A_collaborator_cannot_own_a_ticket()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Owner check", Ct);

        var response = await client.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { assigneeId = app.AgentId(AgentRole.Collaborator) }, Ct);

        Assert.Equal("assigneeId", (await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Null((await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).AssigneeId);
    }

    [Fact]
    public async Task A_follow_up_naming_another_customers_ticket_is_422_and_writes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var annasEmail = $"anna{Guid.NewGuid():N}@example.com";
        var bertsEmail = $"bert{Guid.NewGuid():N}@example.com";
        var annas = await client.CreateTicketAsync("Broken hinge", Ct, email: annasEmail);
        await client.CreateTicketAsync("Late parcel", Ct, email: bertsEmail);
        var before = await CountAsync();

        // a customer seen before, and one nobody knows yet, each naming Anna's ticket
        foreach (var email in new[] { bertsEmail, $"carl{Guid.NewGuid():N}@example.com" })
        {
            var response = await client.PostJsonAsync("/api/v1/tickets",
                new { subject = "Back again", body = "Same problem as before.", customer = new { email }, followUpOf = annas.Reference }, Ct);

            var problem = await response.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct);
            Assert.Equal(("followUpOf", "ticket.other_customer"), (problem.Field(), problem.GetProperty("code").GetString()));
        }
        Assert.Equal(before, await CountAsync());

        var followUp = await (await client.PostJsonAsync("/api/v1/tickets",
            new { subject = "Back again", body = "Same problem as before.", customer = new { email = annasEmail.ToUpperInvariant() }, followUpOf = annas.Reference }, Ct))
            .ReadAsync<TicketDto>(Ct);
        Assert.Equal((annas.CustomerId, annas.Id), (followUp.CustomerId, followUp.FollowUpOfId));
    }

    [Fact]
    public async Task Opening_a_ticket_for_a_team_or_organization_that_does_not_exist_is_422_and_writes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();
        var email = $"ghost{Guid.NewGuid():N}@example.com";

        var ticket = await client.PostJsonAsync("/api/v1/tickets", new { subject = "x", body = "y", customer = new { email }, teamId = Guid.NewGuid() }, Ct);
        var customer = await client.PostJsonAsync("/api/v1/customers", new { name = "Ghost", emails = new[] { email }, organizationId = Guid.NewGuid() }, Ct);

        Assert.Equal("teamId", (await ticket.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Equal("organizationId", (await customer.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        Assert.Empty(await client.GetJsonAsync<List<CustomerMatch>>($"/api/v1/customers/lookup?q={email}", Ct));
    }

    [Fact]
    public async Task A_team_unknown_at_first_is_found_once_another_process_makes_it_and_an_unknown_one_stays_refused()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        object Ticket(Guid teamId) => new { subject = "Team check", body = "y", customer = new { email = $"t{Guid.NewGuid():N}@example.com" }, teamId };
        var late = new Loopdesk.Core.Teams.Team($"Late team {Guid.NewGuid():N}", null, app.Clock.GetUtcNow());
        var never = Guid.NewGuid();

        var before = await agent.PostJsonAsync("/api/v1/tickets", Ticket(late.Id), Ct);
        using (var scope = app.Services.CreateScope())
        {
            // written straight to the database, as another server process or an import would
            var db = scope.ServiceProvider.GetRequiredService<Loopdesk.Data.LoopdeskDb>();
            db.Teams.Add(late);
            await db.SaveChangesAsync(Ct);
        }
        var after = await agent.PostJsonAsync("/api/v1/tickets", Ticket(late.Id), Ct);
        var again = await agent.PostJsonAsync("/api/v1/tickets", Ticket(late.Id), Ct);
        var unknown = await agent.PostJsonAsync("/api/v1/tickets", Ticket(never), Ct);

        Assert.Equal("teamId", (await before.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Equal(late.Id, (await after.ReadAsync<TicketDto>(Ct)).TeamId);
        Assert.Equal(late.Id, (await again.ReadAsync<TicketDto>(Ct)).TeamId);
        Assert.Equal("teamId", (await unknown.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
    }

    [Fact]
    public async Task Merging_without_a_source_or_with_one_that_does_not_exist_or_is_the_customer_itself_is_refused_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Merge me", Ct);
        var target = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{ticket.CustomerId}", Ct);
        var before = await CountAsync();

        var nobody = await client.PostJsonAsync($"/api/v1/customers/{target.Id}/merge", new { sourceId = Guid.NewGuid() }, Ct);
        var itself = await client.PostJsonAsync($"/api/v1/customers/{target.Id}/merge", new { sourceId = target.Id }, Ct);
        var noSource = await client.PostJsonAsync($"/api/v1/customers/{target.Id}/merge", new { }, Ct);
        var notAnId = await client.PostRawAsync($"/api/v1/customers/{target.Id}/merge", """{"sourceId":"12345"}""", Ct);
        var noTarget = await client.PostJsonAsync($"/api/v1/customers/{Guid.NewGuid()}/merge", new { sourceId = target.Id }, Ct);

        Assert.Equal("sourceId", (await nobody.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Equal("sourceId", (await itself.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        var missing = await noSource.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(("sourceId", Loopdesk.Platform.Problems.TypePrefix + "validation"), (missing.Field(), missing.GetProperty("type").GetString()));
        Assert.Equal("sourceId", (await notAnId.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        await noTarget.ProblemAsync(HttpStatusCode.NotFound, Ct);
        var after = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{target.Id}", Ct);
        Assert.Equal((target.Version, (Guid?)null, target.Identities.Count), (after.Version, after.MergedIntoId, after.Identities.Count));
        Assert.Equal(before, await CountAsync());
        Assert.Equal(target.Id, (await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).CustomerId);
    }

    [Fact]
    public async Task Merging_a_customer_merged_already_or_into_one_merged_already_is_422()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var a = await CreateCustomerAsync(client, "Person A");
        var b = await CreateCustomerAsync(client, "Person B");
        var c = await CreateCustomerAsync(client, "Person C");
        (await client.PostJsonAsync($"/api/v1/customers/{a.Id}/merge", new { sourceId = b.Id }, Ct)).EnsureSuccessStatusCode();

        var again = await client.PostJsonAsync($"/api/v1/customers/{c.Id}/merge", new { sourceId = b.Id }, Ct);
        var intoMerged = await client.PostJsonAsync($"/api/v1/customers/{b.Id}/merge", new { sourceId = c.Id }, Ct);

        Assert.Equal("sourceId", (await again.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        Assert.Equal("targetId", (await intoMerged.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).Field());
        var cAfter = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{c.Id}", Ct);
        Assert.Equal((c.Version, (Guid?)null), (cAfter.Version, cAfter.MergedIntoId));
        Assert.Equal(a.Id, (await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{b.Id}", Ct)).MergedIntoId);
    }

    // ---- occurredAt ----

    [Theory]
    [InlineData(AgentRole.Collaborator)]
    [InlineData(AgentRole.Agent)]
    [InlineData(AgentRole.Supervisor)]
    public async Task Occurred_at_from_anyone_but_an_admin_is_403_on_occurred_at_and_writes_nothing(AgentRole role)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await admin.CreateTicketAsync("Backdating", Ct);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { shareWith = app.AgentId(AgentRole.Collaborator) }, Ct)).EnsureSuccessStatusCode();
        var version = (await admin.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Version;
        using var client = app.CreateClient(role);
        var before = await CountAsync();
        var then = app.Clock.GetUtcNow().AddDays(-30);

        var create = await client.PostJsonAsync("/api/v1/tickets", NewTicket(occurredAt: then), Ct);
        var note = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Old note", @internal = true, occurredAt = then }, Ct);

        Assert.Equal("occurredAt", (await create.ProblemAsync(HttpStatusCode.Forbidden, Ct)).Field());
        Assert.Equal("occurredAt", (await note.ProblemAsync(HttpStatusCode.Forbidden, Ct)).Field());
        if (role >= AgentRole.Agent)
        {
            var contact = await client.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", occurredAt = then }, Ct);
            Assert.Equal("occurredAt", (await contact.ProblemAsync(HttpStatusCode.Forbidden, Ct)).Field());
        }
        Assert.Equal(before, await CountAsync());
        Assert.Equal(version, (await admin.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Version);
    }

    [Fact]
    public async Task Occurred_at_in_the_future_is_400_even_for_an_admin()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await admin.CreateTicketAsync("Time travel", Ct);
        var before = await CountAsync();
        var future = app.Clock.GetUtcNow().AddDays(1);

        var create = await admin.PostJsonAsync("/api/v1/tickets", NewTicket(occurredAt: future), Ct);
        var message = await admin.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "From tomorrow", occurredAt = future }, Ct);
        var contact = await admin.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/contacts", new { channel = "phone", occurredAt = future }, Ct);

        Assert.Equal("occurredAt", (await create.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("occurredAt", (await message.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("occurredAt", (await contact.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        Assert.Equal(ticket.Version, (await admin.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct)).Version);
    }

    [Theory]
    [InlineData("2026-01-01T10:00:00")]
    [InlineData("2026-01-01T10:00")]
    [InlineData("2026-01-01")]
    public async Task A_time_without_its_offset_is_400_naming_the_field_even_for_an_admin(string then)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var before = await CountAsync();

        var response = await admin.PostRawAsync("/api/v1/tickets",
            $$"""{"subject":"Imported","body":"From the old desk","customer":{"email":"import@example.com"},"occurredAt":"{{then}}"}""", Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal("occurredAt", problem.Field());
        Assert.Contains("offset", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Path:", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await CountAsync());
    }

    // ---- search ----

    public static TheoryData<string, string> QueriesWithoutWords()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in SearchEndpoints)
        {
            foreach (var q in new[] { "\"", "*", "^", "-", "(", ")", "((", "\")", "' ; --", "\"*\"", ":*", "&|!", "   ", "\u200B", "\u0301", "\u202E" })
            {
                data.Add(endpoint, q);
            }
        }
        return data;
    }

    public static TheoryData<string, string> QueriesWithWords()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in SearchEndpoints)
        {
            foreach (var q in new[]
            {
                "router\"", "rout*", "NEAR(", "NEAR(router", "NEAR(router dies, 2)", "'; drop table \"Tickets\"; --", "router OR modem", "a OR b",
                "-x", "-router", "^router", "(router", "router)", "((router)", "router AND NOT modem", "router:*", "router & modem | !x",
                "\"unbalanced", "col:router", "ti\u0301cket", "Ро\u0301утер", "\u0301x",
            })
            {
                data.Add(endpoint, q);
            }
        }
        return data;
    }

    private static readonly string[] SearchEndpoints = ["/api/v1/search", "/api/v1/tickets", "/api/v1/customers/lookup", "/api/v1/customers"];

    [Theory]
    [MemberData(nameof(QueriesWithoutWords))]
    public async Task A_search_with_no_letters_or_digits_is_400_on_q(string endpoint, string q)
    {
        using var client = app.CreateClient(AgentRole.Agent);

        var response = await client.GetAsync($"{endpoint}?q={Uri.EscapeDataString(q)}", Ct);

        Assert.Equal("q", (await response.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
    }

    [Theory]
    [MemberData(nameof(QueriesWithWords))]
    public async Task A_search_with_query_syntax_in_it_is_200_and_the_tables_stay(string endpoint, string q)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var word = "Quokka" + Guid.NewGuid().ToString("N")[..6];
        var ticket = await client.CreateTicketAsync($"{word} router dies", Ct, name: $"{word} Person");
        var before = await CountAsync();

        var response = await client.GetAsync($"{endpoint}?q={Uri.EscapeDataString(q)}", Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(before, await CountAsync());
        var found = await client.GetJsonAsync<SearchResults>($"/api/v1/search?q={word}", Ct);
        Assert.Equal([ticket.Id], found.Tickets.Select(t => t.Id));
        Assert.Equal([ticket.CustomerId], found.Customers.Select(c => c.Id));
    }

    [Fact]
    public async Task Search_words_are_plain_words_and_match_as_prefixes()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var word = "Wombat" + Guid.NewGuid().ToString("N")[..6];
        var ticket = await client.CreateTicketAsync($"{word} NEAR modem", Ct);

        var quoted = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?q={Uri.EscapeDataString($"\"{word}\" NEAR(")}", Ct);
        var prefix = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?q={Uri.EscapeDataString(word[..8] + "*")}", Ct);
        var sql = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?q={Uri.EscapeDataString($"{word}' OR '1'='1")}", Ct);

        Assert.Equal([ticket.Reference], quoted.Items.Select(t => t.Reference));
        Assert.Contains(ticket.Reference, prefix.Items.Select(t => t.Reference));
        Assert.Empty(sql.Items);
    }

    // ---- spoofing ----

    [Theory]
    [InlineData("P\u0430ul Keller", "name")]
    [InlineData("Paul\u200BKeller", "name")]
    [InlineData("Paul \u202Erelle\u004B", "name")]
    [InlineData("\u0391nna Keller", "name")]
    [InlineData("Paul\u00ADKeller", "name")]
    [InlineData("\uFF30\uFF41\uFF59\uFF50\uFF41\uFF4C Support", "name")]
    [InlineData("Paul Ke\u217Cler", "name")]
    public async Task A_customer_name_with_look_alike_or_invisible_characters_is_400_naming_it(string name, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var existing = await CreateCustomerAsync(client, "Plain Name");
        var before = await CountAsync();
        var email = $"spoof{Guid.NewGuid():N}@example.com";

        var create = await client.PostJsonAsync("/api/v1/customers", new { name, emails = new[] { email } }, Ct);
        var viaTicket = await client.PostJsonAsync("/api/v1/tickets", new { subject = "Hi", body = "Hello", customer = new { name, email } }, Ct);
        var update = await client.PatchJsonAsync($"/api/v1/customers/{existing.Id}", new { name }, Ct);
        var preferred = await client.PatchJsonAsync($"/api/v1/customers/{existing.Id}", new { preferredName = name }, Ct);

        Assert.Equal(field, (await create.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("customer." + field, (await viaTicket.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(field, (await update.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("preferredName", (await preferred.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        var after = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{existing.Id}", Ct);
        Assert.Equal(("Plain Name", existing.Version), (after.Name, after.Version));
    }

    [Theory]
    [InlineData("p\u0430ypal@example.com")]
    [InlineData("paypal@ex\u0430mple.com")]
    [InlineData("pay\u200Bpal@example.com")]
    [InlineData("paypal\u202E@example.com")]
    [InlineData("paypal@example.com\u200B")]
    [InlineData("\u2060paypal@example.com")]
    [InlineData("\uFF46\uFF55\uFF4C\uFF4C@example.com")]
    [InlineData("\u2170nfo@example.com")]
    [InlineData("paypal@\U0001D41Example.com")]
    [InlineData("of\uFB01ce@example.com")]
    public async Task An_email_with_look_alike_or_invisible_characters_is_400_naming_it(string email)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var existing = await CreateCustomerAsync(client, "Plain Email");
        var before = await CountAsync();

        var create = await client.PostJsonAsync("/api/v1/customers", new { name = "Pay Pal", emails = new[] { email } }, Ct);
        var viaTicket = await client.PostJsonAsync("/api/v1/tickets", new { subject = "Hi", body = "Hello", customer = new { name = "Pay Pal", email } }, Ct);
        var update = await client.PatchJsonAsync($"/api/v1/customers/{existing.Id}", new { addEmails = new[] { email } }, Ct);

        Assert.Equal("emails", (await create.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("customer.email", (await viaTicket.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("addEmails", (await update.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        Assert.Equal(existing.Version, (await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{existing.Id}", Ct)).Version);
    }

    [Theory]
    [InlineData("Анна Келлер", "anna@пример.рф")]
    [InlineData("Αθηνά Παππά", "athena@example.gr")]
    [InlineData("Zoë O'Brien-Núñez", "zoe.obrien@example.ie")]
    [InlineData("山田 太郎", "taro.yamada@example.jp")]
    [InlineData("Acme™ Support", "support@acme.example")]
    public async Task Names_and_emails_in_one_alphabet_each_are_fine(string name, string email)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var unique = email.Replace("@", $"+{Guid.NewGuid():N}@", StringComparison.Ordinal);

        var response = await client.PostJsonAsync("/api/v1/customers", new { name, emails = new[] { unique } }, Ct);

        var customer = await response.ReadAsync<CustomerDto>(Ct);
        Assert.Equal(name, customer.Name);
    }

    // ---- query strings ----

    [Theory]
    [InlineData("/api/v1/tickets", "?status=&teamId=&assigneeId=&customerId=&tag=&q=&cursor=&limit=")]
    [InlineData("/api/v1/tickets", "?Status=&TeamId=&Limit=")]
    [InlineData("/api/v1/customers", "?q=&cursor=&limit=")]
    [InlineData("/api/v1/customers/{customer}/timeline", "?cursor=&limit=")]
    public async Task An_empty_query_value_is_a_filter_not_given(string endpoint, string query)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Empty filters", Ct);
        var url = endpoint.Replace("{customer}", ticket.CustomerId.ToString(), StringComparison.Ordinal);

        var unfiltered = await client.GetStringAsync(url, Ct);
        var response = await client.GetAsync(url + query, Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(unfiltered, text);
    }

    [Theory]
    [InlineData("/api/v1/tickets?teamId=xyz", "teamId", "teamId is not a valid id.")]
    [InlineData("/api/v1/tickets?customerId=xyz", "customerId", "customerId is not a valid id.")]
    [InlineData("/api/v1/tickets?assigneeId=xyz", "assigneeId", "assigneeId is not a valid id.")]
    [InlineData("/api/v1/tickets?TeamId=xyz", "teamId", "teamId is not a valid id.")]
    [InlineData("/api/v1/tickets?limit=abc", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/tickets?limit=99999999999999", "limit", "limit is out of range.")]
    [InlineData("/api/v1/tickets?status=open&limit=1.5", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/customers?limit=abc", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/customers?limit=99999999999999", "limit", "limit is out of range.")]
    [InlineData("/api/v1/customers/{customer}/timeline?limit=abc", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/search?q=router&limit=abc", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/help/search?q=router&limit=abc", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/help/articles?category=xyz", "category", "category is not a valid id.")]
    [InlineData("/api/v1/chats?customerId=xyz", "customerId", "customerId is not a valid id.")]
    [InlineData("/api/v1/chats?from=yesterday", "from", "from is not a time; give one in ISO 8601 with an offset, like 2026-03-02T09:00:00Z.")]
    [InlineData("/api/v1/reports/chat?to=soon", "to", "to is not a time; give one in ISO 8601 with an offset, like 2026-03-02T09:00:00Z.")]
    [InlineData("/api/v1/credits/export?from=2026-13-45", "from", "from is not a time; give one in ISO 8601 with an offset, like 2026-03-02T09:00:00Z.")]
    [InlineData("/api/v1/commitments?ownerId=xyz", "ownerId", "ownerId is not a valid id.")]
    [InlineData("/api/v1/commitments?withinSeconds=soon", "withinSeconds", "withinSeconds is not a whole number.")]
    [InlineData("/api/v1/inbound?limit=abc", "limit", "limit is not a whole number.")]
    [InlineData("/api/v1/inbound?before=x", "before", "before is not a time; give one in ISO 8601 with an offset, like 2026-03-02T09:00:00Z.")]
    [InlineData("/api/v1/me/notifications?unread=maybe", "unread", "unread is true or false.")]
    [InlineData("/api/v1/surveys?answered=maybe", "answered", "answered is true or false.")]
    public async Task A_query_value_of_the_wrong_kind_is_400_naming_the_parameter(string url, string field, string detail)
    {
        using var client = app.CreateClient(AgentRole.Admin);
        var customer = await CreateCustomerAsync(client, "Query Person");

        var response = await client.GetAsync(url.Replace("{customer}", customer.Id.ToString(), StringComparison.Ordinal), Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(("urn:loopdesk:problem:validation", field, detail),
            (problem.GetProperty("type").GetString(), problem.Field(), problem.GetProperty("detail").GetString()));
    }

    // ---- cursors, enums ----

    [Theory]
    [InlineData("/api/v1/tickets", "garbage")]
    [InlineData("/api/v1/tickets", "!!!")]
    [InlineData("/api/v1/tickets", "MTIzfG5vcGU")]
    [InlineData("/api/v1/tickets", "LTF8QUJDRC0yMzQ1")]
    [InlineData("/api/v1/tickets", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5fEFCQ0QtMjM0NQ")]
    [InlineData("/api/v1/tickets", "%00")]
    [InlineData("/api/v1/customers", "garbage")]
    [InlineData("/api/v1/customers", "MTIzfG5vcGU")]
    [InlineData("/api/v1/customers", "OTk5OTk5OTk5OTk5OTk5OTk5OTk5fDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw")]
    [InlineData("/api/v1/customers/{customer}/timeline", "garbage")]
    [InlineData("/api/v1/customers/{customer}/timeline", "MTIzfG5vcGU")]
    public async Task A_cursor_this_api_did_not_give_out_is_400_on_cursor(string endpoint, string cursor)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var customer = await CreateCustomerAsync(client, "Cursor Person");

        var response = await client.GetAsync($"{endpoint.Replace("{customer}", customer.Id.ToString(), StringComparison.Ordinal)}?cursor={cursor}", Ct);

        Assert.Equal("cursor", (await response.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
    }

    [Theory]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":"asap"}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":2}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":"2"}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":"-1"}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":""}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":"high,low"}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":"normal, high"}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"priority":"normal\u002C high"}""", "priority")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"channel":"social, visit"}""", "channel")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"type":"problem,incident"}""", "type")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"channel":"pigeon"}""", "channel")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"channel":0}""", "channel")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"type":"rant"}""", "type")]
    [InlineData("""{"subject":"x","body":"y","customer":{"email":"a@example.com"},"type":1.5}""", "type")]
    public async Task An_enum_value_that_does_not_exist_or_a_number_is_400_naming_the_field(string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostRawAsync("/api/v1/tickets", body, Ct);

        Assert.Equal(field, (await response.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
    }

    [Theory]
    [InlineData("""{"priority":"asap"}""", "priority")]
    [InlineData("""{"priority":3}""", "priority")]
    [InlineData("""{"status":"reopened"}""", "status")]
    [InlineData("""{"status":1}""", "status")]
    [InlineData("""{"status":"on_hold"}""", "status")]
    [InlineData("""{"status":"open, pending"}""", "status")]
    [InlineData("""{"priority":"low, urgent"}""", "priority")]
    public async Task An_enum_value_that_does_not_exist_in_a_patch_is_400_and_changes_nothing(string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var ticket = await client.CreateTicketAsync("Enum patch", Ct);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/tickets/{ticket.Reference}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(field, (await response.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        var after = await client.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal((TicketStatus.New, TicketPriority.Normal, ticket.Version), (after.Status, after.Priority, after.Version));
    }

    [Theory]
    [InlineData("asap")]
    [InlineData("1")]
    [InlineData("on_hold")]
    public async Task An_enum_value_that_does_not_exist_in_a_filter_is_400_naming_it(string status)
    {
        using var client = app.CreateClient(AgentRole.Agent);

        var response = await client.GetAsync($"/api/v1/tickets?status={status}", Ct);

        Assert.Equal("status", (await response.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
    }

    [Fact]
    public async Task A_null_inside_a_list_is_400_naming_the_list_and_writes_nothing()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var before = await CountAsync();
        var agents = (await admin.GetJsonAsync<List<Agents.AgentDto>>("/api/v1/agents", Ct)).Count;
        var agent = await admin.GetJsonAsync<Agents.AgentDto>($"/api/v1/agents/{app.AgentId(AgentRole.Agent)}", Ct);
        var email = $"nulls{Guid.NewGuid():N}@loopdesk.test";

        var tags = await admin.PostRawAsync("/api/v1/tickets", """{"subject":"x","body":"y","customer":{"email":"n@example.com"},"tags":[null]}""", Ct);
        var emails = await admin.PostRawAsync("/api/v1/customers", """{"name":"Null Mail","emails":[null]}""", Ct);
        var phones = await admin.PostRawAsync("/api/v1/customers", """{"name":"Null Phone","phones":[null]}""", Ct);
        var newSkills = await admin.PostRawAsync("/api/v1/agents", $$"""{"name":"Null Skill","email":"{{email}}","skills":["billing",null]}""", Ct);
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/v1/agents/{agent.Id}")
        {
            Content = new StringContent("""{"skills":[null],"chatCapacity":5}""", Encoding.UTF8, "application/json"),
        };
        var changedSkills = await admin.SendAsync(patch, Ct);

        Assert.Equal("tags", (await tags.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("emails", (await emails.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("phones", (await phones.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("skills", (await newSkills.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal("skills", (await changedSkills.ProblemAsync(HttpStatusCode.BadRequest, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        var agentsAfter = await admin.GetJsonAsync<List<Agents.AgentDto>>("/api/v1/agents", Ct);
        Assert.Equal(agents, agentsAfter.Count);
        Assert.DoesNotContain(agentsAfter, a => a.Email == email);
        var agentAfter = await admin.GetJsonAsync<Agents.AgentDto>($"/api/v1/agents/{agent.Id}", Ct);
        Assert.Equal((agent.Version, agent.ChatCapacity), (agentAfter.Version, agentAfter.ChatCapacity));
    }

    // ---- duplicates ----

    [Fact]
    public async Task A_customer_with_an_email_or_phone_someone_has_is_409_and_writes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var email = $"taken{Guid.NewGuid():N}@example.com";
        var phone = "+44 20 7946 " + Random.Shared.Next(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var first = await (await client.PostJsonAsync("/api/v1/customers", new { name = "First Owner", emails = new[] { email }, phones = new[] { phone } }, Ct))
            .ReadAsync<CustomerDto>(Ct);
        var before = await CountAsync();

        var sameEmail = await client.PostJsonAsync("/api/v1/customers", new { name = "Second Owner", emails = new[] { email } }, Ct);
        var otherCase = await client.PostJsonAsync("/api/v1/customers", new { name = "Second Owner", emails = new[] { $"fresh{Guid.NewGuid():N}@example.com", $"  {email.ToUpperInvariant()} " } }, Ct);
        var samePhone = await client.PostJsonAsync("/api/v1/customers",
            new { name = "Second Owner", emails = new[] { $"fresh{Guid.NewGuid():N}@example.com" }, phones = new[] { "0044 (20) 7946-" + phone[^4..] } }, Ct);

        Assert.Equal("emails", (await sameEmail.ProblemAsync(HttpStatusCode.Conflict, Ct)).Field());
        Assert.Equal("emails", (await otherCase.ProblemAsync(HttpStatusCode.Conflict, Ct)).Field());
        Assert.Equal("phones", (await samePhone.ProblemAsync(HttpStatusCode.Conflict, Ct)).Field());
        Assert.Equal(before, await CountAsync());
        var owner = Assert.Single(await client.GetJsonAsync<List<CustomerMatch>>($"/api/v1/customers/lookup?q={email}", Ct));
        Assert.Equal(first.Id, owner.Customer.Id);
    }

    [Fact]
    public async Task Adding_an_email_another_customer_has_is_409_and_changes_nothing()
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var owner = await CreateCustomerAsync(client, "Email Owner");
        var other = await CreateCustomerAsync(client, "Email Wanter");
        var fresh = $"fresh{Guid.NewGuid():N}@example.com";

        var response = await client.PatchJsonAsync($"/api/v1/customers/{other.Id}", new { name = "Renamed", addEmails = new[] { fresh, owner.Email } }, Ct);

        Assert.Equal("addEmails", (await response.ProblemAsync(HttpStatusCode.Conflict, Ct)).Field());
        var after = await client.GetJsonAsync<CustomerDto>($"/api/v1/customers/{other.Id}", Ct);
        Assert.Equal(("Email Wanter", other.Version, other.Identities.Count), (after.Name, after.Version, after.Identities.Count));
        Assert.Empty(await client.GetJsonAsync<List<CustomerMatch>>($"/api/v1/customers/lookup?q={fresh}", Ct));
    }

    // ---- helpers ----

    private static object NewTicket(string? subject = null, string? body = null, DateTimeOffset? occurredAt = null) => new
    {
        subject = subject ?? "Printer jams",
        body = body ?? "Page 2 jams every time.",
        customer = new { email = $"c{Guid.NewGuid():N}@example.com" },
        occurredAt,
    };

    private static async Task<CustomerDto> CreateCustomerAsync(HttpClient client, string name)
    {
        var response = await client.PostJsonAsync("/api/v1/customers", new { name, emails = new[] { $"p{Guid.NewGuid():N}@example.com" } }, Ct);
        return await response.ReadAsync<CustomerDto>(Ct);
    }

    /// <summary>Every ticket and every (unmerged) customer there is, counted through the list APIs.</summary>
    /// <summary>POST /tickets with <paramref name="body"/> is 400 naming <paramref name="field"/>, and nothing is written.</summary>
    private async Task<JsonElement> OpeningIsRefusedAsync(string body, string field)
    {
        using var client = app.CreateClient(AgentRole.Agent);
        var before = await CountAsync();

        var response = await client.PostRawAsync("/api/v1/tickets", body, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal(field, problem.Field());
        Assert.Equal(before, await CountAsync());
        return problem;
    }

    private async Task<(int Tickets, int Customers)> CountAsync()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var tickets = 0;
        string? cursor = null;
        do
        {
            var page = await admin.GetJsonAsync<TicketPage>($"/api/v1/tickets?limit=100{(cursor is null ? "" : "&cursor=" + cursor)}", Ct);
            tickets += page.Items.Count;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        var customers = 0;
        do
        {
            var page = await admin.GetJsonAsync<CustomerPage>($"/api/v1/customers?limit=100{(cursor is null ? "" : "&cursor=" + cursor)}", Ct);
            customers += page.Items.Count;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return (tickets, customers);
    }
}

internal static class TicketDtoExtensions
{
    public static string ETag(this TicketDto ticket) => $"\"v{ticket.Version}\"";
}

public sealed class BadInputOnSqlite(SqliteApp app) : BadInputTests(app), IClassFixture<SqliteApp>;

public sealed class BadInputOnPostgres(PostgresApp app) : BadInputTests(app), IClassFixture<PostgresApp>;
