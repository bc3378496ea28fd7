using System.Net;
using System.Text;
using Loopdesk.Core.Agents;
using Loopdesk.Email;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using MimeKit;
using Loopdesk.Agents;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Email;

/// <summary>
/// The email channel against real servers: Dovecot over IMAP for what customers send, an SMTP server that records what
/// it receives for what we send. A customer writes, gets an acknowledgement, an agent answers, the customer replies:
/// every step threads as a mail client would see it.
/// </summary>
public abstract class EmailServerTests(LoopdeskApp app, MailServers mail)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string Unique(string name) => $"{name}{Guid.NewGuid():N}"[..(name.Length + 10)];

    /// <summary>A Dovecot user and a mailbox reading it (and sending through the SMTP server).</summary>
    private async Task<(MailboxDto Mailbox, string User, string Address)> MailboxAsync(string? processedFolder = null, bool smtp = true, int? imapPort = null)
    {
        var user = Unique("desk");
        await mail.AddUserAsync(user, MailServers.Password);
        var address = $"{user}@shop.example";
        using var admin = app.CreateClient(AgentRole.Admin);
        var response = await admin.PostJsonAsync("/api/v1/mailboxes", new
        {
            name = user,
            address,
            fromName = "Shop Support",
            signature = "Shop Ltd, +31 20 555 0100",
            imap = new { host = mail.ImapHost, port = imapPort ?? mail.ImapPort, security = "none", username = user, secret = MailServers.Password, processedFolder },
            smtp = smtp ? new { host = mail.SmtpHost, port = mail.SmtpPort, security = "none" } : null,
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadAsync<MailboxDto>(Ct), user, address);
    }

    private static byte[] Customer(string from, string to, string subject, string body, string? inReplyTo = null, string? id = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = id ?? $"{Guid.NewGuid():N}@mail.example.org";
        if (inReplyTo is not null)
        {
            message.InReplyTo = inReplyTo;
            message.References.Add(inReplyTo);
        }
        message.Body = new TextPart("plain") { Text = body };
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        return stream.ToArray();
    }

    private async Task<List<InboundDto>> StoredAsync(Guid mailboxId, int count)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var until = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var all = (await admin.GetJsonAsync<List<InboundDto>>("/api/v1/inbound?limit=200", Ct)).Where(i => i.MailboxId == mailboxId).ToList();
            if (all.Count >= count) return all;
            Assert.True(until.Elapsed < Patience, $"only {all.Count} of {count} messages were fetched; dovecot log:\n{mail.DovecotLog()}");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Runs due jobs until the SMTP server holds <paramref name="count"/> messages for <paramref name="to"/>.</summary>
    private async Task<List<ReceivedMail>> ReceivedForAsync(string to, int count)
    {
        var until = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await app.RunJobsAsync();
            var received = (await mail.ReceivedAsync(Ct)).Where(r => r.RcptTo.Contains(to, StringComparer.OrdinalIgnoreCase)).ToList();
            if (received.Count >= count) return received;
            Assert.True(until.Elapsed < Patience, $"the SMTP server received {received.Count} of {count} messages for {to}");
            await Task.Delay(100, Ct);
        }
    }

    [Fact]
    public async Task A_customer_writes_is_acknowledged_by_name_an_agent_answers_and_the_reply_threads_both_ways()
    {
        var (mailbox, user, address) = await MailboxAsync();
        var customer = $"{Unique("anna")}@example.org";
        var firstId = $"{Guid.NewGuid():N}@mail.example.org";
        await mail.DeliverAsync(user, Customer($"\"Anna Berg\" <{customer}>", address, "My order never arrived", "Order 5561 never came.", id: firstId), ct: Ct);

        // fetched, stored, flagged only after the commit, then processed
        var stored = await StoredAsync(mailbox.Id, 1);
        await app.RunJobsAsync();
        var flagged = await mail.MessagesAsync(user, ct: Ct);
        Assert.All(flagged, m => Assert.True(m.Seen && m.HasKeyword(MailboxPoller.DoneKeyword)));
        using var admin = app.CreateClient(AgentRole.Admin);
        var inbound = await admin.GetJsonAsync<InboundDto>($"/api/v1/inbound/{stored[0].Id}", Ct);
        Assert.Equal("processed", inbound.State);
        var reference = inbound.Reference!;

        // the acknowledgement names the customer, gives the reference, and threads under their mail
        var ack = (await ReceivedForAsync(customer, 1)).Single().Message;
        Assert.Equal($"Re: My order never arrived [#{reference}]", ack.Subject);
        Assert.Equal(address, ack.From.Mailboxes.Single().Address);
        Assert.Equal("Shop Support", ack.From.Mailboxes.Single().Name);
        Assert.Equal(firstId, ack.InReplyTo);
        Assert.Contains(firstId, ack.References);
        Assert.Equal("auto-replied", ack.Headers["Auto-Submitted"]);
        Assert.NotNull(ack.Headers["Thread-Index"]);
        Assert.StartsWith("m.", ack.MessageId, StringComparison.Ordinal);
        Assert.StartsWith("Hello Anna,", ack.TextBody!.Trim(), StringComparison.Ordinal);
        Assert.Contains(reference, ack.TextBody, StringComparison.Ordinal);

        // the agent's answer: not automatic, signed, in the same thread after the acknowledgement
        using var agent = app.CreateClient(AgentRole.Agent);
        (await agent.PostJsonAsync($"/api/v1/tickets/{reference}/messages", new { body = "We are sending a new one today.", direction = "outbound", channel = "email" }, Ct)).EnsureSuccessStatusCode();
        var answer = (await ReceivedForAsync(customer, 2)).Select(r => r.Message).Single(m => m.MessageId != ack.MessageId);
        Assert.Null(answer.Headers["Auto-Submitted"]);
        Assert.Contains("Shop Ltd, +31 20 555 0100", answer.TextBody, StringComparison.Ordinal);
        Assert.Equal(firstId, answer.InReplyTo);
        Assert.Contains(ack.MessageId, answer.References);
        Assert.Equal(Convert.FromBase64String(ack.Headers["Thread-Index"]!)[..22], Convert.FromBase64String(answer.Headers["Thread-Index"]!)[..22]);
        var messages = await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        Assert.All(messages.Where(m => m.Direction == Core.Tickets.MessageDirection.Outbound && !m.Internal), m => Assert.Equal(Core.Tickets.DeliveryState.Sent, m.Delivery));

        // the customer answers the agent's mail: same ticket, no second acknowledgement
        await mail.DeliverAsync(user, Customer($"\"Anna Berg\" <{customer}>", address, answer.Subject!, "Thank you!", inReplyTo: answer.MessageId), ct: Ct);
        await StoredAsync(mailbox.Id, 2);
        await app.RunJobsAsync();
        messages = await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
        Assert.Equal(2, messages.Count(m => m.Direction == Core.Tickets.MessageDirection.Inbound));
        await app.RunJobsAsync();
        Assert.Equal(2, (await mail.ReceivedAsync(Ct)).Count(r => r.RcptTo.Contains(customer, StringComparer.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task Files_an_agent_attaches_to_a_reply_go_out_with_the_mail()
    {
        var (mailbox, user, address) = await MailboxAsync();
        var customer = $"{Unique("ravi")}@example.org";
        await mail.DeliverAsync(user, Customer($"\"Ravi Rao\" <{customer}>", address, "Need the manual", "Can you send me the manual?"), ct: Ct);
        var stored = await StoredAsync(mailbox.Id, 1);
        await app.RunJobsAsync();
        using var admin = app.CreateClient(AgentRole.Admin);
        var reference = (await admin.GetJsonAsync<InboundDto>($"/api/v1/inbound/{stored[0].Id}", Ct)).Reference!;
        await ReceivedForAsync(customer, 1);

        // the workspace's composer stores the files, then sends the reply with them through the shared command
        using var agent = app.CreateClient(AgentRole.Agent);
        var me = await agent.GetJsonAsync<AgentDto>("/api/v1/me", Ct);
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% a tiny manual\n%%EOF\n");
        using (var scope = app.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Data.LoopdeskDb>();
            var key = await scope.ServiceProvider.GetRequiredService<FileStore>().PutAsync(pdf, Ct);
            var ticket = await TicketEndpoints.FindAsync(db, reference, Admin(me.Id), Ct);
            var (message, problem) = await scope.ServiceProvider.GetRequiredService<TicketCommands>().AddMessageAsync(db, ticket!,
                new AddMessageRequest { Body = "Here is the manual." }, Admin(me.Id), Ct, [new Core.Tickets.Attachment("manual.pdf", "application/pdf", pdf.Length, key)]);
            Assert.Null(problem);
            Assert.Single(message!.Attachments);
        }

        var reply = (await ReceivedForAsync(customer, 2)).Select(r => r.Message).Single(m => m.TextBody?.Contains("Here is the manual.", StringComparison.Ordinal) == true);
        var attached = Assert.Single(reply.Attachments.OfType<MimePart>());
        Assert.Equal("manual.pdf", attached.FileName);
        Assert.Equal("application/pdf", attached.ContentType.MimeType);
        using var content = new MemoryStream();
        await attached.Content!.DecodeToAsync(content, Ct);
        Assert.Equal(pdf, content.ToArray());
    }

    private static System.Security.Claims.ClaimsPrincipal Admin(Guid agentId)
        => new(global::Loopdesk.Platform.Auth.Policies.IdentityFor(agentId, "Agent", AgentRole.Agent, "test"));

    [Fact]
    public async Task A_reply_fetched_in_the_same_batch_as_the_message_it_answers_joins_its_ticket()
    {
        var user = Unique("batch");
        await mail.AddUserAsync(user, MailServers.Password);
        var address = $"{user}@shop.example";
        var customer = $"\"Tom Vik\" <{Unique("tom")}@example.org>";
        var parentId = $"{Guid.NewGuid():N}@mail.example.org";
        await mail.DeliverAsync(user, Customer(customer, address, "Batch", "First.", id: parentId), ct: Ct);
        for (var i = 0; i < 4; i++) await mail.DeliverAsync(user, Customer(customer, address, $"Re: Batch {i}", $"Reply {i}.", inReplyTo: parentId), ct: Ct);
        using var admin = app.CreateClient(AgentRole.Admin);
        var mailbox = await (await admin.PostJsonAsync("/api/v1/mailboxes", new
        {
            name = user, address, imap = new { host = mail.ImapHost, port = mail.ImapPort, security = "none", username = user, secret = MailServers.Password },
        }, Ct)).ReadAsync<MailboxDto>(Ct);

        await StoredAsync(mailbox.Id, 5);
        for (var i = 0; i < 10; i++) await app.AdvanceAsync(TimeSpan.FromMinutes(1));

        var stored = (await admin.GetJsonAsync<List<InboundDto>>("/api/v1/inbound?limit=200", Ct)).Where(m => m.MailboxId == mailbox.Id).ToList();
        Assert.All(stored, m => Assert.Equal("processed", m.State));
        Assert.Single(stored.Select(m => m.Reference).Distinct());
    }

    [Fact]
    public async Task People_in_cc_follow_the_ticket_and_get_the_agents_answer_in_cc()
    {
        var (_, _, address) = await MailboxAsync();
        var customer = $"{Unique("una")}@example.org";
        var colleague = $"{Unique("vic")}@example.org";
        var raw = Encoding.UTF8.GetString(Customer($"\"Una Ek\" <{customer}>", address, "Access for my colleague", "Please give Vic access."))
            .Replace("Subject:", $"Cc: \"Vic Lund\" <{colleague}>\r\nSubject:", StringComparison.Ordinal);
        using var client = app.ClientWithToken(LoopdeskApp.AdminToken);
        var answer = await (await client.PostMimeAsync(raw, Ct, mailbox: address, secret: null)).ReadAsync<InboundAcceptedDto>(Ct);

        using var agent = app.CreateClient(AgentRole.Agent);
        (await agent.PostJsonAsync($"/api/v1/tickets/{answer.Reference}/messages", new { body = "Done, Vic has access.", direction = "outbound", channel = "email" }, Ct)).EnsureSuccessStatusCode();

        var received = (await ReceivedForAsync(customer, 2)).Select(r => r.Message).ToList();
        var ack = received.Single(m => m.Headers["Auto-Submitted"] is not null);
        var reply = received.Single(m => m.Headers["Auto-Submitted"] is null);
        Assert.Empty(ack.Cc);
        Assert.Equal(colleague, reply.Cc.Mailboxes.Single().Address);
    }

    [Fact]
    public async Task Test_connection_says_what_works_and_what_does_not()
    {
        var (mailbox, user, _) = await MailboxAsync();
        using var admin = app.CreateClient(AgentRole.Admin);

        var good = await (await admin.PostAsync($"/api/v1/mailboxes/{mailbox.Id}/test", null, Ct)).ReadAsync<MailboxTestDto>(Ct);
        Assert.True(good.Imap!.Ok, good.Imap.Detail);
        Assert.True(good.Smtp!.Ok, good.Smtp.Detail);
        Assert.Contains("IDLE supported", good.Imap.Detail, StringComparison.Ordinal);

        (await admin.PatchJsonAsync($"/api/v1/mailboxes/{mailbox.Id}", new
        {
            imap = new { host = mail.ImapHost, port = mail.ImapPort, security = "none", username = user, secret = "not-the-password" },
        }, Ct)).EnsureSuccessStatusCode();
        var bad = await (await admin.PostAsync($"/api/v1/mailboxes/{mailbox.Id}/test", null, Ct)).ReadAsync<MailboxTestDto>(Ct);
        Assert.False(bad.Imap!.Ok);
        Assert.True(bad.Smtp!.Ok);
        (await admin.PatchJsonAsync($"/api/v1/mailboxes/{mailbox.Id}", new { active = false }, Ct)).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Processed_mail_is_moved_and_two_mailboxes_are_fetched_side_by_side()
    {
        var one = await MailboxAsync(processedFolder: "Processed", smtp: false);
        var two = await MailboxAsync(smtp: false);
        await mail.CreateFolderAsync(one.User, "Processed", Ct);
        for (var i = 0; i < 3; i++)
        {
            await mail.DeliverAsync(one.User, Customer($"{Unique("c")}@example.org", one.Address, $"One {i}", "Hello."), ct: Ct);
            await mail.DeliverAsync(two.User, Customer($"{Unique("c")}@example.org", two.Address, $"Two {i}", "Hello."), ct: Ct);
        }

        await StoredAsync(one.Mailbox.Id, 3);
        await StoredAsync(two.Mailbox.Id, 3);

        var until = System.Diagnostics.Stopwatch.StartNew();
        while ((await mail.UidsAsync(one.User, ct: Ct)).Count > 0 && until.Elapsed < Patience) await Task.Delay(100, Ct);
        Assert.Empty(await mail.UidsAsync(one.User, ct: Ct));
        Assert.Equal(3, (await mail.UidsAsync(one.User, "Processed", Ct)).Count);
        Assert.Equal(3, (await mail.MessagesAsync(two.User, ct: Ct)).Count(m => m.HasKeyword(MailboxPoller.DoneKeyword)));
    }

    [Fact]
    public async Task An_imap_server_that_drops_the_connection_mid_fetch_is_resumed_and_nothing_is_stored_twice()
    {
        await using var proxy = new DroppingProxy(mail.ImapPort);
        var user = Unique("drop");
        await mail.AddUserAsync(user, MailServers.Password);
        var address = $"{user}@shop.example";
        var big = new string('x', 400_000);
        for (var i = 0; i < 5; i++)
            await mail.DeliverAsync(user, Customer($"{Unique("c")}@example.org", address, $"Message {i}", i == 2 ? big : $"Short {i}."), ct: Ct);
        // the connection breaks in the middle of the large message
        proxy.DropAfterServerBytes(200_000);
        using var admin = app.CreateClient(AgentRole.Admin);
        var created = await admin.PostJsonAsync("/api/v1/mailboxes", new
        {
            name = user, address,
            imap = new { host = proxy.Host, port = proxy.Port, security = "none", username = user, secret = MailServers.Password },
        }, Ct);
        var mailbox = await created.ReadAsync<MailboxDto>(Ct);

        await StoredAsync(mailbox.Id, 5);
        var until = System.Diagnostics.Stopwatch.StartNew();
        while ((await mail.MessagesAsync(user, ct: Ct)).Any(m => !m.HasKeyword(MailboxPoller.DoneKeyword)) && until.Elapsed < Patience) await Task.Delay(100, Ct);

        await app.RunJobsAsync();
        Assert.True(proxy.ConnectionsCut >= 1, "the connection was never cut");
        Assert.True(proxy.ConnectionsAccepted >= 2, "the poller did not connect again");
        var stored = (await admin.GetJsonAsync<List<InboundDto>>("/api/v1/inbound?limit=200", Ct)).Where(i => i.MailboxId == mailbox.Id).ToList();
        Assert.Equal(5, stored.Count);
        Assert.Equal(5, stored.Select(s => s.Subject).Distinct().Count());
        Assert.All(await mail.MessagesAsync(user, ct: Ct), m => Assert.True(m.HasKeyword(MailboxPoller.DoneKeyword)));
    }

    [Fact]
    public async Task With_smtp_down_for_ten_minutes_the_acknowledgement_waits_and_goes_out_once_when_it_is_back()
    {
        var (_, _, address) = await MailboxAsync();
        var customer = $"{Unique("sam")}@example.org";
        await mail.StopSmtpAsync();
        try
        {
            var raw = Encoding.UTF8.GetString(Customer($"\"Sam Lo\" <{customer}>", address, "Outage", "Anyone there?"));
            using var client = app.ClientWithToken(LoopdeskApp.AdminToken);
            var answer = await (await client.PostMimeAsync(raw, Ct, mailbox: address, secret: null)).ReadAsync<InboundAcceptedDto>(Ct);
            Assert.Equal("processed", answer.State);
            for (var minute = 0; minute < 10; minute++) await app.AdvanceAsync(TimeSpan.FromMinutes(1));
            Assert.DoesNotContain(await mail.ReceivedAsync(Ct), r => r.RcptTo.Contains(customer, StringComparer.OrdinalIgnoreCase));
        }
        finally
        {
            await mail.StartSmtpAsync();
        }

        var until = System.Diagnostics.Stopwatch.StartNew();
        while (!(await mail.ReceivedAsync(Ct)).Any(r => r.RcptTo.Contains(customer, StringComparer.OrdinalIgnoreCase)) && until.Elapsed < Patience)
        {
            await app.AdvanceAsync(TimeSpan.FromMinutes(1));
        }
        for (var i = 0; i < 5; i++) await app.AdvanceAsync(TimeSpan.FromMinutes(30));
        Assert.Single(await mail.ReceivedAsync(Ct), r => r.RcptTo.Contains(customer, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_30_MB_attachment_over_the_default_limit_is_not_kept_but_the_text_is_and_the_sender_hears_why()
    {
        var (_, _, address) = await MailboxAsync();
        var customer = $"{Unique("big")}@example.org";
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Big Sender", customer));
        message.To.Add(MailboxAddress.Parse(address));
        message.Subject = "The video";
        var video = new byte[30 * 1024 * 1024];
        Random.Shared.NextBytes(video);
        var body = new BodyBuilder { TextBody = "The fault is in the attached video." };
        body.Attachments.Add("fault.mp4", video, new ContentType("video", "mp4"));
        message.Body = body.ToMessageBody();
        using var stream = new MemoryStream();
        message.WriteTo(stream, Ct);
        using var client = app.ClientWithToken(LoopdeskApp.AdminToken);

        var response = await client.PostMimeAsync(stream.ToArray(), Ct, mailbox: address, secret: null);

        var answer = await response.ReadAsync<InboundAcceptedDto>(Ct);
        Assert.Equal("processed", answer.State);
        using var admin = app.CreateClient(AgentRole.Admin);
        var messages = await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{answer.Reference}/messages", Ct);
        var inbound = messages.Single(m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        Assert.Contains("attached video", inbound.Body, StringComparison.Ordinal);
        Assert.Null(Assert.Single(inbound.Attachments).StorageKey);
        var notice = (await ReceivedForAsync(customer, 2)).Select(r => r.Message).Single(m => m.TextBody?.Contains("fault.mp4", StringComparison.Ordinal) == true);
        Assert.Contains("20 MB", notice.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_most_five_automatic_messages_an_hour_go_to_one_address()
    {
        await MailboxAsync();
        var customer = $"{Unique("flood")}@example.org";
        using var agent = app.CreateClient(AgentRole.Agent);
        var references = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            references.Add((await agent.CreateTicketAsync($"Question {i}", Ct, email: customer, channel: "email")).Reference);
        }

        await ReceivedForAsync(customer, 5);
        for (var i = 0; i < 3; i++) await app.RunJobsAsync();

        Assert.Equal(5, (await mail.ReceivedAsync(Ct)).Count(r => r.RcptTo.Contains(customer, StringComparer.OrdinalIgnoreCase)));
        using var admin = app.CreateClient(AgentRole.Admin);
        var states = new List<Core.Tickets.DeliveryState?>();
        foreach (var reference in references)
        {
            states.AddRange((await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct))
                .Where(m => m.AuthorKind == Core.Common.ActorKind.System && !m.Internal).Select(m => m.Delivery));
        }
        Assert.Equal(5, states.Count(s => s == Core.Tickets.DeliveryState.Sent));
        Assert.Equal(2, states.Count(s => s == Core.Tickets.DeliveryState.Suppressed));
    }
}

/// <summary>The host with the IMAP poller on, checking every second, against the real mail servers.</summary>
public static class MailServerSetup
{
    public static void Configure(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.UseSetting("Loopdesk:Email:Poll", "true");
        builder.UseSetting("Loopdesk:Email:PollSeconds", "1");
    }
}

public sealed class MailServerSqliteApp : SqliteApp
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        MailServerSetup.Configure(builder);
    }
}

public sealed class MailServerPostgresApp : PostgresApp
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        MailServerSetup.Configure(builder);
    }
}

public sealed class EmailServersOnSqlite(MailServerSqliteApp app, MailServers mail) : EmailServerTests(app, mail), IClassFixture<MailServerSqliteApp>, IClassFixture<MailServers>;

public sealed class EmailServersOnPostgres(MailServerPostgresApp app, MailServers mail) : EmailServerTests(app, mail), IClassFixture<MailServerPostgresApp>, IClassFixture<MailServers>;
