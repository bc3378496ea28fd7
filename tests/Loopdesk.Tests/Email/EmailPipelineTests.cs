using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using Loopdesk.Core.Agents;
using Loopdesk.Email;
using Loopdesk.Tickets;
using Loopdesk.Tests.Infrastructure;

namespace Loopdesk.Tests.Email;

/// <summary>Inbound mail through the webhook: one pipeline, nothing lost, nothing twice, threads joined.</summary>
public abstract class EmailPipelineTests(LoopdeskApp app) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await app.MailboxesAsync(Ct);

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    private static string Unique(string name) => $"{name}.{Guid.NewGuid():N}"[..(name.Length + 13)];

    private async Task<TicketDto> TicketAsync(string reference)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        return await admin.GetJsonAsync<TicketDto>($"/api/v1/tickets/{reference}", Ct);
    }

    private async Task<List<MessageDto>> MessagesAsync(string reference)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        return await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", Ct);
    }

    [Fact]
    public async Task A_new_mail_opens_a_ticket_for_the_sender_with_an_acknowledgement_that_names_them()
    {
        var address = $"{Unique("anna")}@example.org";
        var raw = EmailKit.Mail($"\"Anna Berg\" <{address}>", "My order never arrived",
            "Hello,\n\nmy order 5561 never arrived.\n\nAnna\n\n-- \nAnna Berg | Example Org | +31 20 555 0100");

        var answer = await app.DeliverAsync(raw, Ct);

        Assert.Equal("processed", answer.State);
        Assert.False(answer.Duplicate);
        var ticket = await TicketAsync(answer.Reference!);
        Assert.Equal("My order never arrived", ticket.Subject);
        Assert.Equal("email", Core.Common.Wire.Name(ticket.Channel));
        var messages = await MessagesAsync(answer.Reference!);
        var inbound = Assert.Single(messages, m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        Assert.Contains("my order 5561 never arrived", inbound.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("+31 20 555 0100", inbound.Body, StringComparison.Ordinal);
        Assert.Equal(EmailKit.IdOf(raw), inbound.ExternalId);
        var ack = Assert.Single(messages, m => m.Direction == Core.Tickets.MessageDirection.Outbound && m.AuthorKind == Core.Common.ActorKind.System);
        Assert.StartsWith("Hello Anna,", ack.Body, StringComparison.Ordinal);
        Assert.Contains(answer.Reference!, ack.Body, StringComparison.Ordinal);
        using var admin = app.CreateClient(AgentRole.Admin);
        var customer = await admin.GetJsonAsync<CustomerDtoLite>($"/api/v1/customers/{ticket.CustomerId}", Ct);
        Assert.Equal("Anna Berg", customer.Name);
    }

    private sealed record IdentityLite(string Kind, string Value);

    private sealed record CustomerDtoLite(Guid Id, string Name, List<IdentityLite> Identities);

    [Fact]
    public async Task Without_a_display_name_the_greeting_falls_back_gracefully()
    {
        var raw = EmailKit.Mail($"{Unique("jdoe")}@example.org", "Question", "Do you ship to Norway?");

        var answer = await app.DeliverAsync(raw, Ct);

        var ack = (await MessagesAsync(answer.Reference!)).Single(m => m.AuthorKind == Core.Common.ActorKind.System);
        Assert.StartsWith("Hello there,", ack.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_message_twice_is_one_message_and_the_same_answer()
    {
        var raw = EmailKit.Mail($"\"Bo Lind\" <{Unique("bo")}@example.org>", "Twice", "Sent once, delivered twice.");

        var first = await app.DeliverAsync(raw, Ct);
        var second = await app.DeliverAsync(raw, Ct);

        Assert.Equal(first.Reference, second.Reference);
        Assert.True(second.Duplicate);
        Assert.Equal("duplicate", second.State);
        Assert.Single(await MessagesAsync(first.Reference!), m => m.Direction == Core.Tickets.MessageDirection.Inbound);
    }

    [Fact]
    public async Task One_message_sent_to_two_of_our_mailboxes_makes_one_ticket()
    {
        var raw = EmailKit.Mail($"\"Cy Moe\" <{Unique("cy")}@example.org>", "Both of you", "Which of you handles refunds?", to: $"{EmailKit.Support}, {EmailKit.Billing}");

        var viaSupport = await app.DeliverAsync(raw, Ct, mailbox: EmailKit.Support);
        var viaBilling = await app.DeliverAsync(raw.Replace("Subject:", "Delivered-To: billing@shop.example\r\nSubject:", StringComparison.Ordinal), Ct, mailbox: EmailKit.Billing);

        Assert.Equal(viaSupport.Reference, viaBilling.Reference);
        Assert.True(viaBilling.Duplicate);
    }

    [Fact]
    public async Task A_reply_joins_its_ticket_by_any_id_of_the_thread_and_gets_no_second_acknowledgement()
    {
        var from = $"\"Dee Ek\" <{Unique("dee")}@example.org>";
        var first = EmailKit.Mail(from, "Broken charger", "The charger sparks.");
        var opened = await app.DeliverAsync(first, Ct);
        var second = EmailKit.Mail(from, "Re: Broken charger", "Also, the cable is frayed.", inReplyTo: EmailKit.IdOf(first), references: $"<{EmailKit.IdOf(first)}>");
        await app.DeliverAsync(second, Ct);

        // a client that keeps only the root and an unrelated id in References, and a foreign In-Reply-To
        var third = EmailKit.Mail(from, "Re: Re: Broken charger", "Any news?", inReplyTo: "someone-elses@example.net",
            references: $"<{EmailKit.IdOf(second)}> <unknown@example.net>");
        var joined = await app.DeliverAsync(third, Ct);

        Assert.Equal(opened.Reference, joined.Reference);
        var messages = await MessagesAsync(opened.Reference!);
        Assert.Equal(3, messages.Count(m => m.Direction == Core.Tickets.MessageDirection.Inbound));
        Assert.Single(messages, m => m.AuthorKind == Core.Common.ActorKind.System && !m.Internal);
    }

    [Fact]
    public async Task A_reply_to_a_message_we_sent_joins_by_our_message_id()
    {
        var address = $"{Unique("eve")}@example.org";
        var opened = await app.DeliverAsync(EmailKit.Mail($"\"Eve Ng\" <{address}>", "Invoice wrong", "The VAT is wrong."), Ct);
        var ack = (await MessagesAsync(opened.Reference!)).Single(m => m.AuthorKind == Core.Common.ActorKind.System);
        var ourId = MailIngest.MessageIdFor(ack.Id, "shop.example");

        var reply = await app.DeliverAsync(EmailKit.Mail($"\"Eve Ng\" <{address}>", "Re: Invoice wrong", "Thanks!", inReplyTo: ourId, references: $"<{ourId}>"), Ct);

        Assert.Equal(opened.Reference, reply.Reference);
    }

    [Fact]
    public async Task The_reference_in_the_subject_joins_only_for_a_participant()
    {
        var address = $"{Unique("fay")}@example.org";
        var opened = await app.DeliverAsync(EmailKit.Mail($"\"Fay Oh\" <{address}>", "Lost parcel", "Where is it?"), Ct);

        var participant = await app.DeliverAsync(EmailKit.Mail($"\"Fay Oh\" <{address}>", $"Re: Lost parcel [#{opened.Reference}]", "From my phone, no headers."), Ct);
        var stranger = await app.DeliverAsync(EmailKit.Mail($"\"Mallory\" <{Unique("mal")}@example.net>", $"Re: Lost parcel [#{opened.Reference}]", "Let me in."), Ct);

        Assert.Equal(opened.Reference, participant.Reference);
        Assert.NotEqual(opened.Reference, stranger.Reference);
    }

    [Fact]
    public async Task Cc_addresses_become_followers_and_their_reply_joins_the_same_ticket()
    {
        var cc = $"{Unique("ola")}@example.org";
        var first = EmailKit.Mail($"\"Gus Pe\" <{Unique("gus")}@example.org>", "Team access", "Please add my colleague.", cc: $"\"Ola Nordmann\" <{cc}>");
        var opened = await app.DeliverAsync(first, Ct);
        var ticket = await TicketAsync(opened.Reference!);
        Assert.Single(ticket.Followers!);

        var reply = await app.DeliverAsync(EmailKit.Mail($"\"Ola Nordmann\" <{cc}>", "Re: Team access", "Yes, that's me.", inReplyTo: EmailKit.IdOf(first)), Ct);

        Assert.Equal(opened.Reference, reply.Reference);
    }

    [Fact]
    public async Task Messages_that_arrive_together_are_each_placed_as_if_they_came_one_by_one()
    {
        // the webhook stores and processes messages that arrive at once in groups: none may be lost, doubled or misplaced
        var ivy = $"\"Ivy Lo\" <{Unique("ivy")}@example.org>";
        var earlier = EmailKit.Mail(ivy, "Late parcel", "Where is parcel 12?");
        var earlierAnswer = await app.DeliverAsync(earlier, Ct);
        var jon = $"\"Jon Oak\" <{Unique("jon")}@example.org>";
        var acknowledged = await app.DeliverAsync(EmailKit.Mail(jon, "Wrong size", "The shoes are too small."), Ct);
        var ourId = MailIngest.MessageIdFor((await MessagesAsync(acknowledged.Reference!)).Single(m => m.AuthorKind == Core.Common.ActorKind.System).Id, "shop.example");
        var senders = Enumerable.Range(0, 12).Select(i => $"{Unique($"crowd{i}")}@example.org").ToList();
        var repeat = $"{Unique("pat")}@example.org";
        var both = EmailKit.Mail($"\"Cy Moe\" <{Unique("cy")}@example.org>", "To both of you", "Who handles refunds?", to: $"{EmailKit.Support}, {EmailKit.Billing}");
        var mails = new List<(string Raw, string? Mailbox)>();
        // the first copies the second sender, who writes too: one customer, a follower of the first ticket
        mails.AddRange(senders.Select((s, i) => (EmailKit.Mail($"\"Crowd Member{i}\" <{s}>", $"Question {i}", $"Question number {i}.", cc: i == 0 ? senders[1] : null), (string?)null)));
        mails.AddRange(Enumerable.Range(0, 3).Select(i => (EmailKit.Mail($"\"Pat Repeat\" <{repeat}>", $"Topic {i}", $"Topic number {i}."), (string?)null)));
        mails.Add((both, EmailKit.Support));
        mails.Add((both.Replace("Subject:", "Delivered-To: billing@shop.example\r\nSubject:", StringComparison.Ordinal), EmailKit.Billing));
        mails.Add((EmailKit.Mail(ivy, "Re: Late parcel", "Still nothing.", inReplyTo: EmailKit.IdOf(earlier)), null));
        mails.Add((EmailKit.Mail(jon, "Re: Wrong size", "Can I swap them?", inReplyTo: ourId, references: $"<{ourId}>"), null));

        var answers = await Task.WhenAll(mails.Select(m => app.DeliverAsync(m.Raw, Ct, mailbox: m.Mailbox)));

        Assert.All(answers, a => Assert.Contains(a.State, new[] { "processed", "duplicate" }));
        Assert.Equal(mails.Count, answers.Select(a => a.InboundId).Distinct().Count());
        var crowd = answers[..12];
        Assert.Equal(12, crowd.Select(a => a.Reference).Distinct().Count());
        for (var i = 0; i < 12; i++)
        {
            var ticket = await TicketAsync(crowd[i].Reference!);
            Assert.Equal($"Question {i}", ticket.Subject);
            var messages = await MessagesAsync(crowd[i].Reference!);
            Assert.Equal($"Question number {i}.", Assert.Single(messages, m => m.Direction == Core.Tickets.MessageDirection.Inbound).Body.Trim());
            Assert.Single(messages, m => m.AuthorKind == Core.Common.ActorKind.System && !m.Internal);
        }
        using var admin = app.CreateClient(AgentRole.Admin);
        var second = Assert.Single(await admin.GetJsonAsync<List<Loopdesk.Customers.CustomerMatch>>($"/api/v1/customers/lookup?q={Uri.EscapeDataString(senders[1])}", Ct));
        Assert.Equal((await TicketAsync(crowd[1].Reference!)).CustomerId, second.Customer.Id);
        Assert.Equal([second.Customer.Id], (await TicketAsync(crowd[0].Reference!)).Followers!);

        var pat = answers[12..15];
        Assert.Equal(3, pat.Select(a => a.Reference).Distinct().Count());
        Assert.Single((await Task.WhenAll(pat.Select(a => TicketAsync(a.Reference!)))).Select(t => t.CustomerId).Distinct());
        Assert.Single(await admin.GetJsonAsync<List<Loopdesk.Customers.CustomerMatch>>($"/api/v1/customers/lookup?q={Uri.EscapeDataString(repeat)}", Ct));

        Assert.Equal(answers[15].Reference, answers[16].Reference);
        Assert.Single(answers[15..17], a => a.Duplicate);
        Assert.Single(await MessagesAsync(answers[15].Reference!), m => m.Direction == Core.Tickets.MessageDirection.Inbound);

        Assert.Equal(earlierAnswer.Reference, answers[17].Reference);
        Assert.Equal(2, (await MessagesAsync(earlierAnswer.Reference!)).Count(m => m.Direction == Core.Tickets.MessageDirection.Inbound));
        Assert.Equal(acknowledged.Reference, answers[18].Reference);
        Assert.Equal(2, (await MessagesAsync(acknowledged.Reference!)).Count(m => m.Direction == Core.Tickets.MessageDirection.Inbound));
    }

    [Theory]
    [InlineData("Auto-Submitted: auto-replied")]
    [InlineData("X-Autoreply: yes")]
    [InlineData("Precedence: bulk")]
    [InlineData("List-Id: <news.example.net>")]
    public async Task Machine_written_mail_gets_no_acknowledgement(string header)
    {
        var answer = await app.DeliverAsync(EmailKit.Mail($"\"Out Of Office\" <{Unique("ooo")}@example.org>", "Automatic reply: hello", "I am away.", extra: header), Ct);

        var messages = await MessagesAsync(answer.Reference!);
        Assert.DoesNotContain(messages, m => m.Direction == Core.Tickets.MessageDirection.Outbound && !m.Internal);
        Assert.Contains("automatic", (await TicketAsync(answer.Reference!)).Tags);
    }

    [Fact]
    public async Task Mail_from_a_mailer_daemon_or_our_own_address_makes_no_acknowledgement_loop()
    {
        var daemon = await app.DeliverAsync(EmailKit.Mail($"MAILER-DAEMON@{Unique("mx")}.example.net", "Undeliverable", "Could not deliver."), Ct);
        var ours = await app.DeliverAsync(EmailKit.Mail($"\"Shop Support\" <{EmailKit.Support}>", "Re: something", "Looping."), Ct);

        Assert.DoesNotContain(await MessagesAsync(daemon.Reference!), m => m.Direction == Core.Tickets.MessageDirection.Outbound && !m.Internal);
        Assert.Equal("ignored", ours.State);
        Assert.Null(ours.Reference);
    }

    [Fact]
    public async Task A_storm_from_one_sender_is_grouped_not_a_ticket_and_an_acknowledgement_each()
    {
        var from = $"\"Storm\" <{Unique("storm")}@example.org>";
        var references = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            references.Add((await app.DeliverAsync(EmailKit.Mail(from, $"Complaint number {i}", $"Message {i}."), Ct)).Reference!);
        }

        var tickets = references.Distinct().ToList();
        Assert.Equal(5, tickets.Count);
        var last = await TicketAsync(tickets[^1]);
        Assert.Contains("mail-storm", last.Tags);
        var acks = 0;
        foreach (var reference in tickets) acks += (await MessagesAsync(reference)).Count(m => m.AuthorKind == Core.Common.ActorKind.System && !m.Internal);
        Assert.True(acks <= 5, $"{acks} acknowledgements");
    }

    [Fact]
    public async Task A_reply_to_a_closed_ticket_opens_a_follow_up_linked_to_it()
    {
        var address = $"{Unique("hal")}@example.org";
        var first = EmailKit.Mail($"\"Hal Ro\" <{address}>", "Refund", "Please refund order 7.");
        var opened = await app.DeliverAsync(first, Ct);
        using var admin = app.CreateClient(AgentRole.Admin);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{opened.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();
        (await admin.PatchJsonAsync($"/api/v1/tickets/{opened.Reference}", new { status = "closed" }, Ct)).EnsureSuccessStatusCode();

        var reply = await app.DeliverAsync(EmailKit.Mail($"\"Hal Ro\" <{address}>", "Re: Refund", "It came back broken.", inReplyTo: EmailKit.IdOf(first)), Ct);

        Assert.NotEqual(opened.Reference, reply.Reference);
        var followUp = await TicketAsync(reply.Reference!);
        Assert.Equal((await TicketAsync(opened.Reference!)).Id, followUp.FollowUpOfId);
    }

    [Fact]
    public async Task A_reply_to_a_solved_ticket_reopens_it()
    {
        var address = $"{Unique("ivy")}@example.org";
        var first = EmailKit.Mail($"\"Ivy Lo\" <{address}>", "Password", "Cannot log in.");
        var opened = await app.DeliverAsync(first, Ct);
        using var admin = app.CreateClient(AgentRole.Admin);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{opened.Reference}", new { status = "solved" }, Ct)).EnsureSuccessStatusCode();

        var reply = await app.DeliverAsync(EmailKit.Mail($"\"Ivy Lo\" <{address}>", "Re: Password", "Still cannot.", inReplyTo: EmailKit.IdOf(first)), Ct);

        Assert.Equal(opened.Reference, reply.Reference);
        Assert.Equal(Core.Tickets.TicketStatus.Open, (await TicketAsync(opened.Reference!)).Status);
    }

    [Fact]
    public async Task An_agent_forward_opens_a_ticket_for_the_original_sender()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var original = $"{Unique("karl")}@example.net";
        var body = $"Can you take this one?\n\n---------- Forwarded message ---------\nFrom: Karl Svensson <{original}>\nDate: Mon, 2 Mar 2026 at 08:00\nSubject: Warranty\nTo: Test agent <agent@loopdesk.test>\n\nMy blender broke after a week.\n";

        var answer = await app.DeliverAsync(EmailKit.Mail("\"Test agent\" <agent@loopdesk.test>", "Fwd: Warranty", body), Ct);

        var ticket = await TicketAsync(answer.Reference!);
        var customer = await admin.GetJsonAsync<CustomerDtoLite>($"/api/v1/customers/{ticket.CustomerId}", Ct);
        Assert.Contains(customer.Identities, i => i.Value == original);
        Assert.Equal("Karl Svensson", customer.Name);
    }

    [Fact]
    public async Task Mail_with_a_staff_address_that_is_not_a_forward_is_held_not_posted_as_the_agent()
    {
        var plain = await app.DeliverAsync(EmailKit.Mail("\"Test agent\" <agent@loopdesk.test>", "Refund approved", "Refund everything to account 123."), Ct);
        var forged = await app.DeliverAsync(EmailKit.Mail("\"Test agent\" <agent@loopdesk.test>", "Fwd: Warranty",
            $"---------- Forwarded message ---------\nFrom: Someone <{Unique("x")}@example.net>\n\nHi",
            extra: "Authentication-Results: mx.shop.example; spf=fail smtp.mailfrom=loopdesk.test; dmarc=fail header.from=loopdesk.test"), Ct);

        Assert.Equal("held", plain.State);
        Assert.Null(plain.Reference);
        Assert.Equal("held", forged.State);
        using var admin = app.CreateClient(AgentRole.Admin);
        var held = await admin.GetJsonAsync<List<InboundDto>>("/api/v1/inbound?state=held", Ct);
        Assert.Contains(held, h => h.Id == plain.InboundId);
    }

    [Fact]
    public async Task Mail_from_a_blocked_sender_is_kept_but_opens_nothing()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var mailboxes = await app.MailboxesAsync(Ct);
        var billing = mailboxes.Single(m => m.Address == EmailKit.Billing);
        (await admin.PatchJsonAsync($"/api/v1/mailboxes/{billing.Id}", new { blockedSenders = new[] { "@spam.example.net" } }, Ct)).EnsureSuccessStatusCode();

        var answer = await app.DeliverAsync(EmailKit.Mail("winner@spam.example.net", "You won", "Click here.", to: EmailKit.Billing), Ct);

        Assert.Equal("ignored", answer.State);
        Assert.Null(answer.Reference);
    }

    [Fact]
    public async Task A_message_that_cannot_be_read_is_kept_for_an_admin_and_does_not_block_the_next()
    {
        var broken = await app.DeliverAsync("\u0000\u0001\u0002 not a message at all", Ct, mailbox: EmailKit.Support);
        var next = await app.DeliverAsync(EmailKit.Mail($"\"Jo Ra\" <{Unique("jo")}@example.org>", "After the broken one", "Hello."), Ct);

        Assert.Equal("failed", broken.State);
        Assert.Equal("processed", next.State);
        using var admin = app.CreateClient(AgentRole.Admin);
        var failed = await admin.GetJsonAsync<List<InboundDto>>("/api/v1/inbound?state=failed", Ct);
        Assert.Contains(failed, f => f.Id == broken.InboundId && f.Note is { Length: > 0 });
        var raw = await admin.GetAsync($"/api/v1/inbound/{broken.InboundId}/raw", Ct);
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType?.MediaType);
        var retried = await (await admin.PostAsync($"/api/v1/inbound/{broken.InboundId}/retry", null, Ct)).ReadAsync<InboundAcceptedDto>(Ct);
        Assert.Equal("failed", retried.State);
    }

    [Fact]
    public async Task Without_a_message_id_a_repeat_is_recognized_by_its_content()
    {
        var raw = EmailKit.Mail($"\"Kim Su\" <{Unique("kim")}@example.org>", "No id", "My client sets no Message-ID.", messageId: null);

        var first = await app.DeliverAsync(raw, Ct);
        var second = await app.DeliverAsync(raw, Ct);

        Assert.Equal(first.Reference, second.Reference);
        Assert.True(second.Duplicate);
    }

    [Fact]
    public async Task The_same_message_id_with_different_content_counts_once_and_says_so()
    {
        var id = $"{Guid.NewGuid():N}@mail.example.org";
        var from = $"\"Lee Vo\" <{Unique("lee")}@example.org>";
        var first = await app.DeliverAsync(EmailKit.Mail(from, "Original", "The first text.", messageId: id), Ct);
        var second = await app.DeliverAsync(EmailKit.Mail(from, "Altered", "A different text.", messageId: id), Ct);

        Assert.Equal(first.Reference, second.Reference);
        Assert.True(second.Duplicate);
        Assert.Contains("different content", second.Note, StringComparison.Ordinal);
        var inbound = Assert.Single(await MessagesAsync(first.Reference!), m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        Assert.Contains("The first text.", inbound.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_html_is_sanitized_and_attachments_get_safe_names_and_are_never_served_as_html()
    {
        var boundary = "b1";
        var svg = Convert.ToBase64String(Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"));
        var html = "<p onclick=\"x()\">Hi<img src=x onerror=alert(1)><a href=\"javascript:alert(2)\">link</a><div style=\"width: expression(alert(3))\">s</div><script>alert(4)</script></p>";
        var raw = $"From: \"Max Ha\" <{Unique("max")}@example.org>\r\nTo: {EmailKit.Support}\r\nSubject: Hostile\r\nMessage-ID: <{Guid.NewGuid():N}@x.example>\r\nMIME-Version: 1.0\r\n"
            + $"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
            + $"--{boundary}\r\nContent-Type: image/png; name=\"../../etc/passwd\"\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{svg}\r\n"
            + $"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe\r\nContent-Transfer-Encoding: base64\r\n\r\n{Convert.ToBase64String(Encoding.ASCII.GetBytes("%PDF-1.4\n%\n"))}\r\n"
            + $"--{boundary}--\r\n";

        var answer = await app.DeliverAsync(raw, Ct);

        var message = (await MessagesAsync(answer.Reference!)).Single(m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        Assert.NotNull(message.Html);
        foreach (var bad in new[] { "<script", "onerror", "onclick", "javascript:", "expression(" }) Assert.DoesNotContain(bad, message.Html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(["passwd", "invoicefdp.exe"], message.Attachments.Select(a => a.FileName));
        Assert.Equal("image/svg+xml", message.Attachments[0].ContentType);
        using var admin = app.CreateClient(AgentRole.Admin);
        var file = await admin.GetAsync($"/api/v1/tickets/{answer.Reference}/files/{message.Attachments[0].StorageKey}", Ct);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("application/octet-stream", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", file.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", file.Headers.GetValues("X-Content-Type-Options").Single());
        var foreign = await admin.GetAsync($"/api/v1/tickets/{answer.Reference}/files/{new string('a', 64)}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
    }

    [Fact]
    public async Task An_attachment_over_the_limit_is_not_kept_the_text_is_and_the_sender_is_told()
    {
        var big = new byte[EmailApp.AttachmentLimit + 1000];
        Random.Shared.NextBytes(big);
        var raw = $"From: \"Ned Ko\" <{Unique("ned")}@example.org>\r\nTo: {EmailKit.Support}\r\nSubject: Big file\r\nMessage-ID: <{Guid.NewGuid():N}@x.example>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHere is the video of the fault.\r\n"
            + $"--b\r\nContent-Type: video/mp4\r\nContent-Disposition: attachment; filename=\"fault.mp4\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{Convert.ToBase64String(big, Base64FormattingOptions.InsertLineBreaks)}\r\n--b--\r\n";

        var answer = await app.DeliverAsync(raw, Ct);

        var messages = await MessagesAsync(answer.Reference!);
        var inbound = messages.Single(m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        Assert.Contains("video of the fault", inbound.Body, StringComparison.Ordinal);
        var file = Assert.Single(inbound.Attachments);
        Assert.Null(file.StorageKey);
        Assert.Contains(messages, m => m.Internal && m.Body.Contains("fault.mp4", StringComparison.Ordinal));
        Assert.Contains(messages, m => !m.Internal && m.Direction == Core.Tickets.MessageDirection.Outbound && m.Body.Contains("fault.mp4", StringComparison.Ordinal));
    }

    public static TheoryData<string> CorpusFiles() => CorpusTests.Files();

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task Every_corpus_message_lands_through_the_webhook_without_an_error(string file)
    {
        var raw = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Email", "Corpus", file), Ct);
        using var client = app.ClientWithToken(null);

        var response = await client.PostMimeAsync(raw, Ct, mailbox: EmailKit.Support);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = await response.ReadAsync<InboundAcceptedDto>(Ct);
        Assert.Contains(answer.State, new[] { "processed", "duplicate", "ignored" });
        if (answer.State == "processed" && answer.Reference is { } reference)
        {
            var messages = await MessagesAsync(reference);
            Assert.All(messages.Where(m => m.Html is not null), m => Assert.DoesNotContain("<script", m.Html!, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task Inline_images_point_at_the_stored_files()
    {
        var raw = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Email", "Corpus", "outlook-inline-image-pdf.eml"), Ct);
        raw = System.Text.RegularExpressions.Regex.Replace(raw, "Message-ID: <[^>]+>", $"Message-ID: <{Guid.NewGuid():N}@inline.example>", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

        var answer = await app.DeliverAsync(raw, Ct, mailbox: EmailKit.Support);

        var message = (await MessagesAsync(answer.Reference!)).Single(m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        var image = message.Attachments.Single(a => a.Inline);
        Assert.Contains($"/api/v1/tickets/{answer.Reference}/files/{image.StorageKey}", message.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("cid:", message.Html, StringComparison.OrdinalIgnoreCase);
        using var admin = app.CreateClient(AgentRole.Admin);
        var file = await admin.GetAsync($"/api/v1/tickets/{answer.Reference}/files/{image.StorageKey}", Ct);
        Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Posting_mail_needs_the_mailbox_secret_or_an_admin()
    {
        var raw = EmailKit.Mail($"{Unique("auth")}@example.org", "Auth", "Hello.");
        using var anonymous = app.ClientWithToken(null);
        using var agent = app.CreateClient(AgentRole.Agent);
        using var admin = app.CreateClient(AgentRole.Admin);

        await (await anonymous.PostMimeAsync(raw, Ct, secret: null)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await anonymous.PostMimeAsync(raw, Ct, secret: "wrong-secret-0123456789")).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await anonymous.PostMimeAsync(raw, Ct, mailbox: EmailKit.Billing, secret: "wrong-secret-0123456789")).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await agent.PostMimeAsync(raw, Ct, secret: null)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        using (var basic = app.ClientWithToken(null))
        {
            basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"inbound:{EmailKit.Secret}")));
            Assert.Equal(HttpStatusCode.Accepted, (await basic.PostMimeAsync(raw, Ct, secret: null)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostMimeAsync(raw, Ct, secret: null)).StatusCode);
        using var json = new HttpRequestMessage(HttpMethod.Post, "/api/v1/inbound/mime") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        json.Headers.Add("X-Loopdesk-Mailbox-Secret", EmailKit.Secret);
        await (await anonymous.SendAsync(json, Ct)).ProblemAsync(HttpStatusCode.UnsupportedMediaType, Ct);
        await (await anonymous.PostMimeAsync("", Ct)).ProblemAsync(HttpStatusCode.BadRequest, Ct);
    }

    [Fact]
    public async Task Mailbox_secrets_are_never_returned_and_plain_text_is_only_for_loopback()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var created = await admin.PostJsonAsync("/api/v1/mailboxes", new
        {
            name = Unique("sales"), address = $"{Unique("sales")}@shop.example",
            imap = new { host = "imap.example.net", port = 993, security = "tls", username = "sales", secret = "imap-password-123" },
            smtp = new { host = "smtp.example.net", port = 587, security = "starttls", username = "sales", secret = "smtp-password-456" },
        }, Ct);
        var text = await created.Content.ReadAsStringAsync(Ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        Assert.DoesNotContain("imap-password-123", text, StringComparison.Ordinal);
        Assert.DoesNotContain("smtp-password-456", text, StringComparison.Ordinal);
        var mailbox = System.Text.Json.JsonSerializer.Deserialize<MailboxDto>(text, LoopdeskApp.JsonOptions)!;
        Assert.True(mailbox.Imap!.HasSecret);
        Assert.NotNull(mailbox.InboundSecret);
        var listed = await admin.GetStringAsync("/api/v1/mailboxes", Ct);
        Assert.DoesNotContain("imap-password-123", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(mailbox.InboundSecret!, listed, StringComparison.Ordinal);

        var plain = await admin.PostJsonAsync("/api/v1/mailboxes", new
        {
            name = Unique("plain"), address = $"{Unique("plain")}@shop.example",
            imap = new { host = "imap.example.net", port = 143, security = "none", username = "x", secret = "password-123" },
        }, Ct);
        Assert.Equal("mailbox.plaintext", (await plain.ProblemAsync(HttpStatusCode.UnprocessableEntity, Ct)).GetProperty("code").GetString());
        var taken = await admin.PostJsonAsync("/api/v1/mailboxes", new { name = Unique("dup"), address = EmailKit.Support }, Ct);
        await taken.ProblemAsync(HttpStatusCode.Conflict, Ct);
        var stale = await admin.PatchJsonAsync($"/api/v1/mailboxes/{mailbox.Id}", new { signature = "x" }, Ct, ifMatch: "\"v999\"");
        await stale.ProblemAsync(HttpStatusCode.PreconditionFailed, Ct);
    }

    [Fact]
    public async Task A_message_stored_before_a_crash_is_processed_from_the_stored_copy()
    {
        var ingest = app.Services.GetRequiredService<MailIngest>();
        var raw = Encoding.UTF8.GetBytes(EmailKit.Mail($"\"Quinn Ay\" <{Unique("quinn")}@example.org>", "Stored, then the crash", "Still here?"));

        // the process dies after the commit of the raw copy and before it read it
        var stored = await ingest.StoreAsync(null, "http", null, raw, processInline: true, Ct);
        using var admin = app.CreateClient(AgentRole.Admin);
        Assert.Equal("pending", (await admin.GetJsonAsync<InboundDto>($"/api/v1/inbound/{stored.Id}", Ct)).State);

        await app.AdvanceAsync(TimeSpan.FromMinutes(3));

        var after = await admin.GetJsonAsync<InboundDto>($"/api/v1/inbound/{stored.Id}", Ct);
        Assert.Equal("processed", after.State);
        Assert.Single(await MessagesAsync(after.Reference!), m => m.Direction == Core.Tickets.MessageDirection.Inbound);
        // and a late second attempt (the job's twin) changes nothing
        Assert.Equal(after.Reference, (await ingest.ProcessAsync(stored.Id, Ct)).Reference);
        Assert.Single(await MessagesAsync(after.Reference!), m => m.Direction == Core.Tickets.MessageDirection.Inbound);
    }

    [Fact]
    public async Task A_reply_that_overtakes_the_message_it_answers_waits_for_it_and_joins_its_ticket()
    {
        var ingest = app.Services.GetRequiredService<MailIngest>();
        var from = $"\"Rae Un\" <{Unique("rae")}@example.org>";
        var parent = EmailKit.Mail(from, "Two quick ones", "First message.");
        var reply = EmailKit.Mail(from, "Re: Two quick ones", "Second, right after.", inReplyTo: EmailKit.IdOf(parent));

        // the first is stored and still being read when the second comes in
        var stored = await ingest.StoreAsync(null, "http", null, Encoding.UTF8.GetBytes(parent), processInline: true, Ct);
        var second = app.DeliverAsync(reply, Ct);
        await Task.Delay(400, Ct);
        var first = await ingest.ProcessAsync(stored.Id, Ct);

        Assert.Equal(first.Reference, (await second).Reference);
    }

    [Fact]
    public async Task A_bounce_for_a_message_we_sent_is_recorded_on_that_message()
    {
        var opened = await app.DeliverAsync(EmailKit.Mail($"\"Oli Pa\" <{Unique("oli")}@example.org>", "Bounce me", "Hi."), Ct);
        var ack = (await MessagesAsync(opened.Reference!)).Single(m => m.AuthorKind == Core.Common.ActorKind.System);
        var ours = MailIngest.MessageIdFor(ack.Id, "shop.example");
        var dsn = $"From: MAILER-DAEMON@mx.example.org\r\nTo: {EmailKit.Support}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{Guid.NewGuid():N}@mx.example.org>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            + "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; oli@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 No such user\r\n\r\n"
            + $"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@shop.example\r\nMessage-ID: <{ours}>\r\nSubject: Re: Bounce me\r\n\r\n--r--\r\n";

        var answer = await app.DeliverAsync(dsn, Ct);

        Assert.Equal(opened.Reference, answer.Reference);
        using var admin = app.CreateClient(AgentRole.Admin);
        var events = await admin.GetJsonAsync<List<System.Text.Json.JsonElement>>($"/api/v1/tickets/{opened.Reference}/events", Ct);
        Assert.Contains(events, e => e.GetProperty("type").GetString() == "message.bounced");
        var bounced = (await MessagesAsync(opened.Reference!)).Single(m => m.Id == ack.Id);
        Assert.Equal(Core.Tickets.DeliveryState.Bounced, bounced.Delivery);
        Assert.Contains("5.1.1", bounced.DeliveryDetail, StringComparison.Ordinal);
        Assert.Equal(1, (await MessagesAsync(opened.Reference!)).Count(m => m.Direction == Core.Tickets.MessageDirection.Inbound));
    }
}

/// <summary>The host with a small attachment limit, so the over-the-limit case needs no 20 MB message.</summary>
public static class EmailApp
{
    public const int AttachmentLimit = 300_000;

    public static void Configure(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.UseSetting("Loopdesk:Email:MaxAttachmentBytes", AttachmentLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Loopdesk:Email:Poll", "false");
    }
}

public sealed class EmailSqliteApp : SqliteApp
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        EmailApp.Configure(builder);
    }
}

public sealed class EmailPostgresApp : PostgresApp
{
    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        EmailApp.Configure(builder);
    }
}

public sealed class EmailPipelineOnSqlite(EmailSqliteApp app) : EmailPipelineTests(app), IClassFixture<EmailSqliteApp>;

public sealed class EmailPipelineOnPostgres(EmailPostgresApp app) : EmailPipelineTests(app), IClassFixture<EmailPostgresApp>;
