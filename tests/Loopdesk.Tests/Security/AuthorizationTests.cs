using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Loopdesk.Agents;
using Loopdesk.Core.Agents;
using Loopdesk.Customers;
using Loopdesk.Organizations;
using Loopdesk.Teams;
using Loopdesk.Tests.Email;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Security;

/// <summary>Who calls: nobody, a dead or made-up token, or a live token of one of the four roles.</summary>
public enum Caller { NoToken, RevokedToken, UnknownToken, Collaborator, Agent, Supervisor, Admin }

public abstract class AuthorizationTests(LoopdeskApp app)
{
    private const string AdminEmail = "admin@loopdesk.test";
    private const string AdminPassword = "admin-password-1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What every request of the matrix needs; made once per database.</summary>
    private sealed record World(string Reference, Guid CustomerId, Guid OrganizationId, Guid TeamId, Guid TargetAgentId, string RevokedToken,
        Guid RuleId, Guid TemplateId, string LexiconId, Guid MailboxId, Guid FailedInboundId, string FileReference, string FileKey);

    private const string MatrixMailbox = "matrix@shop.example";
    private const string MatrixSecret = "matrix-inbound-secret-0123";

    /// <summary>One request: who sends it (the caller's agent id, for routes about "your own"), against the world.</summary>
    private sealed record Scene(World World, HttpClient Admin, Guid Self, LoopdeskApp App);

    /// <summary>
    /// A route, the least role its policy lets in (null: anyone, signed in or not), and what a caller that is let in gets.
    /// </summary>
    private sealed record Route(string Key, AgentRole? Minimum, HttpStatusCode Allowed, Func<Scene, Task<HttpRequestMessage>> Build);

    private static readonly ConditionalWeakTable<LoopdeskApp, Task<World>> Worlds = new();

    private static readonly Route[] Routes =
    [
        new("POST /api/v1/auth/login", null, HttpStatusCode.OK,
            _ => Send(HttpMethod.Post, "/api/v1/auth/login", new { email = AdminEmail, password = AdminPassword })),
        new("POST /api/v1/auth/logout", AgentRole.Collaborator, HttpStatusCode.NoContent, _ => Send(HttpMethod.Post, "/api/v1/auth/logout")),
        new("GET /api/v1/me", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/me")),

        new("POST /api/v1/tickets", AgentRole.Collaborator, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/tickets", new
        {
            subject = "Printer on fire",
            body = "Smoke from the tray.",
            customer = new { email = $"matrix{Guid.NewGuid():N}@example.com" },
        })),
        new("GET /api/v1/tickets", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/tickets")),
        new("GET /api/v1/tickets/{reference}", AgentRole.Collaborator, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}")),
        new("PATCH /api/v1/tickets/{reference}", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/tickets/{s.World.Reference}", new { tags = new[] { "matrix" } })),
        new("GET /api/v1/tickets/{reference}/events", AgentRole.Collaborator, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/events")),
        new("GET /api/v1/tickets/{reference}/messages", AgentRole.Collaborator, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/messages")),
        new("GET /api/v1/tickets/{reference}/messages/{id:guid}", AgentRole.Collaborator, HttpStatusCode.OK, async s =>
        {
            var messages = await s.Admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{s.World.Reference}/messages", CancellationToken.None);
            return await Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/messages/{messages[0].Id}");
        }),
        new("POST /api/v1/tickets/{reference}/messages", AgentRole.Collaborator, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/tickets/{s.World.Reference}/messages", new { body = "Checked the logs.", @internal = true })),
        new("POST /api/v1/tickets/{reference}/merge", AgentRole.Agent, HttpStatusCode.OK, async s =>
        {
            var email = $"merge{Guid.NewGuid():N}@example.com";
            var from = await s.Admin.CreateTicketAsync("Matrix duplicate", CancellationToken.None, email);
            var into = await s.Admin.CreateTicketAsync("Matrix original", CancellationToken.None, email);
            return await Send(HttpMethod.Post, $"/api/v1/tickets/{from.Reference}/merge", new { into = into.Reference });
        }),
        new("POST /api/v1/tickets/{reference}/split", AgentRole.Agent, HttpStatusCode.Created, async s =>
        {
            var ticket = await s.Admin.CreateTicketAsync("Matrix two issues", CancellationToken.None);
            var messages = await s.Admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", CancellationToken.None);
            return await Send(HttpMethod.Post, $"/api/v1/tickets/{ticket.Reference}/split", new { messageId = messages[0].Id });
        }),
        new("GET /api/v1/help/search", null, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/help/search?q=router")),
        new("GET /api/v1/help/categories", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/help/categories")),
        new("POST /api/v1/help/categories", AgentRole.Supervisor, HttpStatusCode.Created,
            _ => Send(HttpMethod.Post, "/api/v1/help/categories", new { name = $"Matrix {Guid.NewGuid():N}" })),
        new("PUT /api/v1/help/categories/{id:guid}", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Put, $"/api/v1/help/categories/{await HelpCategoryAsync(s.Admin)}", new { name = "Renamed" })),
        new("DELETE /api/v1/help/categories/{id:guid}", AgentRole.Supervisor, HttpStatusCode.NoContent,
            async s => await Send(HttpMethod.Delete, $"/api/v1/help/categories/{await HelpCategoryAsync(s.Admin)}")),
        new("GET /api/v1/help/articles", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/help/articles")),
        new("GET /api/v1/help/articles/{id:guid}", AgentRole.Collaborator, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Get, $"/api/v1/help/articles/{await HelpArticleAsync(s.Admin)}")),
        new("POST /api/v1/help/articles", AgentRole.Supervisor, HttpStatusCode.Created,
            async s => await Send(HttpMethod.Post, "/api/v1/help/articles", MatrixArticle(await HelpCategoryAsync(s.Admin)))),
        new("PUT /api/v1/help/articles/{id:guid}", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Put, $"/api/v1/help/articles/{await HelpArticleAsync(s.Admin)}", MatrixArticle(await HelpCategoryAsync(s.Admin)))),
        new("DELETE /api/v1/help/articles/{id:guid}", AgentRole.Supervisor, HttpStatusCode.NoContent,
            async s => await Send(HttpMethod.Delete, $"/api/v1/help/articles/{await HelpArticleAsync(s.Admin)}")),
        new("POST /api/v1/tickets/{reference}/verifications", AgentRole.Agent, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/tickets/{s.World.Reference}/verifications", new { fields = new[] { "postcode" } })),
        new("GET /api/v1/tickets/{reference}/verifications", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/verifications")),
        new("GET /api/v1/procedures", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/procedures")),
        new("POST /api/v1/procedures", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/procedures", MatrixProcedure())),
        new("PUT /api/v1/procedures/{id:guid}", AgentRole.Admin, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Put, $"/api/v1/procedures/{await ProcedureAsync(s.Admin)}", MatrixProcedure())),
        new("DELETE /api/v1/procedures/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent,
            async s => await Send(HttpMethod.Delete, $"/api/v1/procedures/{await ProcedureAsync(s.Admin)}")),
        new("GET /api/v1/tickets/{reference}/procedures", AgentRole.Collaborator, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/procedures")),
        new("POST /api/v1/tickets/{reference}/procedures/{procedureId:guid}/steps/{step:int}", AgentRole.Agent, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/tickets/{s.World.Reference}/procedures/{await ProcedureAsync(s.Admin)}/steps/0", new { done = true })),
        new("POST /api/v1/tickets/{reference}/contacts", AgentRole.Agent, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/tickets/{s.World.Reference}/contacts", new { channel = "phone", summary = "Called back" })),

        new("GET /api/v1/customers", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/customers")),
        new("GET /api/v1/customers/lookup", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/customers/lookup?q=Matrix")),
        new("GET /api/v1/customers/{id:guid}", AgentRole.Agent, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/customers/{s.World.CustomerId}")),
        new("POST /api/v1/customers", AgentRole.Agent, HttpStatusCode.Created,
            _ => Send(HttpMethod.Post, "/api/v1/customers", new { name = "New Person", emails = new[] { $"new{Guid.NewGuid():N}@example.com" } })),
        new("PATCH /api/v1/customers/{id:guid}", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/customers/{s.World.CustomerId}", new { notes = "Prefers phone." })),
        new("GET /api/v1/customers/{id:guid}/timeline", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/customers/{s.World.CustomerId}/timeline")),
        new("POST /api/v1/customers/{id:guid}/merge", AgentRole.Agent, HttpStatusCode.OK, async s =>
        {
            var source = await CreateCustomerAsync(s.Admin, "Duplicate Person");
            return await Send(HttpMethod.Post, $"/api/v1/customers/{s.World.CustomerId}/merge", new { sourceId = source });
        }),

        new("GET /api/v1/organizations", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/organizations")),
        new("GET /api/v1/organizations/{id:guid}", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/organizations/{s.World.OrganizationId}")),
        new("POST /api/v1/organizations", AgentRole.Agent, HttpStatusCode.Created,
            _ => Send(HttpMethod.Post, "/api/v1/organizations", new { name = $"Org {Guid.NewGuid():N}" })),
        new("PATCH /api/v1/organizations/{id:guid}", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/organizations/{s.World.OrganizationId}", new { name = $"Org {Guid.NewGuid():N}" })),

        new("GET /api/v1/teams", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/teams")),
        new("GET /api/v1/teams/{id:guid}", AgentRole.Collaborator, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/teams/{s.World.TeamId}")),
        new("POST /api/v1/teams", AgentRole.Admin, HttpStatusCode.Created,
            _ => Send(HttpMethod.Post, "/api/v1/teams", new { name = $"Team {Guid.NewGuid():N}" })),
        new("PATCH /api/v1/teams/{id:guid}", AgentRole.Admin, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/teams/{s.World.TeamId}", new { description = "Second line" })),

        new("GET /api/v1/agents", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/agents")),
        new("GET /api/v1/agents/{id:guid}", AgentRole.Agent, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/agents/{s.World.TargetAgentId}")),
        new("POST /api/v1/agents", AgentRole.Admin, HttpStatusCode.Created,
            _ => Send(HttpMethod.Post, "/api/v1/agents", new { name = "New Hire", email = $"hire{Guid.NewGuid():N}@loopdesk.test", role = "agent" })),
        new("PATCH /api/v1/agents/{id:guid}", AgentRole.Admin, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/agents/{s.World.TargetAgentId}", new { skills = new[] { "billing" } })),

        new("GET /api/v1/agents/{id:guid}/tokens", AgentRole.Collaborator, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/agents/{s.Self}/tokens")),
        new("POST /api/v1/agents/{id:guid}/tokens", AgentRole.Collaborator, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/agents/{s.Self}/tokens", new { name = "laptop" })),
        new("DELETE /api/v1/tokens/{id:guid}", AgentRole.Collaborator, HttpStatusCode.NoContent, async s =>
        {
            var token = await CreateTokenAsync(s.Admin, s.Self);
            return await Send(HttpMethod.Delete, $"/api/v1/tokens/{token.Id}");
        }),

        new("GET /api/v1/search", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/search?q=printer")),

        new("GET /api/v1/rules", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/rules")),
        new("GET /api/v1/rules/{id:guid}", AgentRole.Agent, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/rules/{s.World.RuleId}")),
        new("POST /api/v1/rules", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/rules", MatrixRule())),
        new("PATCH /api/v1/rules/{id:guid}", AgentRole.Admin, HttpStatusCode.OK, s => Send(HttpMethod.Patch, $"/api/v1/rules/{s.World.RuleId}", new { position = 2000 })),
        new("DELETE /api/v1/rules/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var rule = await (await s.Admin.PostJsonAsync("/api/v1/rules", MatrixRule(), CancellationToken.None)).ReadAsync<global::Loopdesk.Rules.RuleDto>(CancellationToken.None);
            return await Send(HttpMethod.Delete, $"/api/v1/rules/{rule.Id}");
        }),
        new("GET /api/v1/rules/{id:guid}/runs", AgentRole.Agent, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/rules/{s.World.RuleId}/runs")),

        new("POST /api/v1/tickets/{reference}/commitments", AgentRole.Agent, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/tickets/{s.World.Reference}/commitments", new { description = "Call back", dueAt = s.App.Clock.GetUtcNow().AddDays(1) })),
        new("GET /api/v1/tickets/{reference}/commitments", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/commitments")),
        new("POST /api/v1/tickets/{reference}/callback", AgentRole.Agent, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/tickets/{s.World.Reference}/callback", new { note = "after lunch" })),
        new("POST /api/v1/tickets/{reference}/resolution", AgentRole.Agent, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/tickets/{await SolvedTicketAsync(s.Admin)}/resolution", new { agreed = false, comment = "Still broken" })),
        new("GET /api/v1/chat/sites", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/chat/sites")),
        new("POST /api/v1/chat/sites", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/chat/sites", new { name = "Matrix shop", allowedOrigins = new[] { "*" } })),
        new("PUT /api/v1/chat/sites/{key}", AgentRole.Admin, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Put, $"/api/v1/chat/sites/{(await MatrixChatAsync(s, null)).Site.Key}", new { name = "Matrix shop renamed", allowedOrigins = new[] { "*" } })),
        new("GET /api/v1/chat/sites/{key}", null, HttpStatusCode.OK, async s => await Send(HttpMethod.Get, $"/api/v1/chat/sites/{(await MatrixChatAsync(s, null)).Site.Key}")),
        new("POST /api/v1/chat/sites/{key}/visitors", null, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/chat/sites/{(await MatrixChatAsync(s, null)).Site.Key}/visitors", new { token = (string?)null })),
        new("PUT /api/v1/chat/sites/{key}/invitations/{invitationId}", AgentRole.Agent, HttpStatusCode.OK, async s =>
        {
            var site = (await MatrixChatAsync(s, null)).Site;
            return await Send(HttpMethod.Put, $"/api/v1/chat/sites/{site.Key}/invitations/{site.Invitations[0].Id}", new { enabled = false });
        }),
        new("GET /api/v1/chats", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/chats")),
        new("GET /api/v1/chats/{id:guid}", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Get, $"/api/v1/chats/{(await MatrixChatAsync(s, null)).Chat}")),
        new("GET /api/v1/chats/{id:guid}/transcript", AgentRole.Agent, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Get, $"/api/v1/chats/{(await MatrixChatAsync(s, null)).Chat}/transcript")),
        new("POST /api/v1/chats/{id:guid}/accept", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Post, $"/api/v1/chats/{(await MatrixChatAsync(s, null, freeCaller: true)).Chat}/accept")),
        new("POST /api/v1/chats/{id:guid}/messages", AgentRole.Agent, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/chats/{(await MatrixChatAsync(s, s.Self)).Chat}/messages", new { body = "How can I help?" })),
        new("POST /api/v1/chats/{id:guid}/prompt", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Post, $"/api/v1/chats/{(await MatrixChatAsync(s, s.Self)).Chat}/prompt")),
        new("POST /api/v1/chats/{id:guid}/transfer", AgentRole.Agent, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/chats/{(await MatrixChatAsync(s, s.Self)).Chat}/transfer", new { teamId = s.World.TeamId, note = "billing" })),
        new("POST /api/v1/chats/{id:guid}/end", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Post, $"/api/v1/chats/{(await MatrixChatAsync(s, s.Self)).Chat}/end")),
        new("POST /api/v1/chats/{id:guid}/ticket", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Post, $"/api/v1/chats/{(await MatrixChatAsync(s, s.Self)).Chat}/ticket", new { })),
        new("GET /api/v1/reports/chat", AgentRole.Supervisor, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/reports/chat")),

        new("GET /api/v1/commitments", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/commitments?state=open")),
        new("POST /api/v1/commitments/{id:guid}/kept", AgentRole.Agent, HttpStatusCode.OK, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync($"/api/v1/tickets/{s.World.Reference}/commitments",
                new { description = "Send the label", dueAt = s.App.Clock.GetUtcNow().AddDays(1) }, CancellationToken.None)).ReadAsync<global::Loopdesk.Rules.CommitmentDto>(CancellationToken.None);
            return await Send(HttpMethod.Post, $"/api/v1/commitments/{made.Id}/kept");
        }),

        new("GET /api/v1/templates", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/templates")),
        new("POST /api/v1/templates", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/templates", MatrixTemplate())),
        new("PATCH /api/v1/templates/{id:guid}", AgentRole.Admin, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/templates/{s.World.TemplateId}", new { body = "Hi {{ customer.first_name }}" })),
        new("DELETE /api/v1/templates/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/templates", MatrixTemplate(), CancellationToken.None)).ReadAsync<global::Loopdesk.Rules.TemplateDto>(CancellationToken.None);
            return await Send(HttpMethod.Delete, $"/api/v1/templates/{made.Id}");
        }),
        new("POST /api/v1/templates/preview", AgentRole.Agent, HttpStatusCode.OK,
            s => Send(HttpMethod.Post, "/api/v1/templates/preview", new { body = "Hello {{ customer.first_name }}", ticketRef = s.World.Reference })),

        new("POST /api/v1/lexicon/check", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Post, "/api/v1/lexicon/check", new { text = "It's our policy." })),
        new("GET /api/v1/lexicon", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/lexicon")),
        new("POST /api/v1/lexicon", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/lexicon", MatrixLexicon())),
        new("PATCH /api/v1/lexicon/{id}", AgentRole.Admin, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/lexicon/{s.World.LexiconId}", new { suggestion = "Say it kindly." })),
        new("DELETE /api/v1/lexicon/{id}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/lexicon", MatrixLexicon(), CancellationToken.None)).ReadAsync<Lexicon.LexiconEntryDto>(CancellationToken.None);
            return await Send(HttpMethod.Delete, $"/api/v1/lexicon/{made.Id}");
        }),

        new("GET /api/v1/surveys", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/surveys")),
        new("POST /api/v1/surveys/{id:guid}/answer", null, HttpStatusCode.OK, async s =>
        {
            var (id, token) = await SurveyAsync(s.Admin);
            return await Send(HttpMethod.Post, $"/api/v1/surveys/{id}/answer", new { token, rating = 5 });
        }),
        new("GET /api/v1/me/notifications", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/me/notifications")),
        new("POST /api/v1/me/notifications/{id:guid}/read", AgentRole.Collaborator, HttpStatusCode.NoContent, async s =>
        {
            // notifications come from rules; the test writes one straight into the store for the caller
            using var scope = s.App.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<Data.LoopdeskDb>();
            var notification = new Core.Agents.Notification(s.Self, null, "test", "Matrix notice", s.App.Clock.GetUtcNow());
            db.Notifications.Add(notification);
            await db.SaveChangesAsync();
            return await Send(HttpMethod.Post, $"/api/v1/me/notifications/{notification.Id}/read");
        }),
        new("GET /api/v1/outbox", AgentRole.Admin, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/outbox?state=pending")),
        new("POST /api/v1/outbox/{id:guid}/retry", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var pending = await s.Admin.GetJsonAsync<List<global::Loopdesk.Rules.OutboxEntryDto>>("/api/v1/outbox?state=pending", CancellationToken.None);
            return await Send(HttpMethod.Post, $"/api/v1/outbox/{pending[0].Id}/retry");
        }),
        new("DELETE /api/v1/outbox/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            await using var scope = s.App.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Data.LoopdeskDb>();
            var now = s.App.Clock.GetUtcNow();
            var job = new global::Loopdesk.Jobs.Job("matrix.parked", "{}", now, now);
            job.Failed("Matrix failure", now, maxAttempts: 1);
            db.Jobs.Add(job);
            await db.SaveChangesAsync();
            return await Send(HttpMethod.Delete, $"/api/v1/outbox/{job.Id}");
        }),
        new("GET /api/v1/customers/{id:guid}/profile", AgentRole.Agent, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/customers/{s.World.CustomerId}/profile")),

        new("GET /api/v1/calendars", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/calendars")),
        new("POST /api/v1/calendars", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/calendars", MatrixCalendar())),
        new("PUT /api/v1/calendars/{id:guid}", AgentRole.Admin, HttpStatusCode.OK, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/calendars", MatrixCalendar(), CancellationToken.None)).ReadAsync<Service.CalendarDto>(CancellationToken.None);
            return await Send(HttpMethod.Put, $"/api/v1/calendars/{made.Id}", MatrixCalendar());
        }),
        new("DELETE /api/v1/calendars/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/calendars", MatrixCalendar(), CancellationToken.None)).ReadAsync<Service.CalendarDto>(CancellationToken.None);
            return await Send(HttpMethod.Delete, $"/api/v1/calendars/{made.Id}");
        }),
        new("GET /api/v1/sla-policies", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/sla-policies")),
        new("POST /api/v1/sla-policies", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/sla-policies", MatrixPolicy())),
        new("PUT /api/v1/sla-policies/{id:guid}", AgentRole.Admin, HttpStatusCode.OK, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/sla-policies", MatrixPolicy(), CancellationToken.None)).ReadAsync<Service.SlaPolicyDto>(CancellationToken.None);
            return await Send(HttpMethod.Put, $"/api/v1/sla-policies/{made.Id}", MatrixPolicy());
        }),
        new("DELETE /api/v1/sla-policies/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/sla-policies", MatrixPolicy(), CancellationToken.None)).ReadAsync<Service.SlaPolicyDto>(CancellationToken.None);
            return await Send(HttpMethod.Delete, $"/api/v1/sla-policies/{made.Id}");
        }),
        new("GET /api/v1/tickets/{reference}/sla", AgentRole.Collaborator, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.Reference}/sla")),
        new("PUT /api/v1/me/presence", AgentRole.Collaborator, HttpStatusCode.OK, _ => Send(HttpMethod.Put, "/api/v1/me/presence", new { presence = "away" })),
        new("GET /api/v1/suggestions", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/suggestions")),
        new("POST /api/v1/suggestions", AgentRole.Agent, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, "/api/v1/suggestions", new { ticketRef = s.World.Reference, text = "Matrix idea" })),
        new("PATCH /api/v1/suggestions/{id:guid}", AgentRole.Agent, HttpStatusCode.OK, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/suggestions", new { ticketRef = s.World.Reference, text = "Matrix idea" }, CancellationToken.None))
                .ReadAsync<global::Loopdesk.Rules.SuggestionDto>(CancellationToken.None);
            return await Send(HttpMethod.Patch, $"/api/v1/suggestions/{made.Id}", new { status = "under-review" });
        }),

        new("GET /api/v1/mailboxes", AgentRole.Admin, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/mailboxes")),
        new("GET /api/v1/mailboxes/{id:guid}", AgentRole.Admin, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/mailboxes/{s.World.MailboxId}")),
        new("POST /api/v1/mailboxes", AgentRole.Admin, HttpStatusCode.Created,
            _ => Send(HttpMethod.Post, "/api/v1/mailboxes", new { name = $"Matrix {Guid.NewGuid():N}", address = $"m{Guid.NewGuid():N}@shop.example" })),
        new("PATCH /api/v1/mailboxes/{id:guid}", AgentRole.Admin, HttpStatusCode.OK,
            s => Send(HttpMethod.Patch, $"/api/v1/mailboxes/{s.World.MailboxId}", new { signature = "The matrix team" })),
        new("DELETE /api/v1/mailboxes/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent, async s =>
        {
            var made = await (await s.Admin.PostJsonAsync("/api/v1/mailboxes", new { name = $"Matrix {Guid.NewGuid():N}", address = $"m{Guid.NewGuid():N}@shop.example" },
                CancellationToken.None)).ReadAsync<global::Loopdesk.Email.MailboxDto>(CancellationToken.None);
            return await Send(HttpMethod.Delete, $"/api/v1/mailboxes/{made.Id}");
        }),
        new("POST /api/v1/mailboxes/{id:guid}/test", AgentRole.Admin, HttpStatusCode.OK, s => Send(HttpMethod.Post, $"/api/v1/mailboxes/{s.World.MailboxId}/test")),
        // the mailbox's secret authorizes delivery whoever calls; without it, only an admin (see the email tests)
        new("POST /api/v1/inbound/mime", null, HttpStatusCode.Accepted, _ =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/inbound/mime")
            {
                Content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(Email.EmailKit.Mail($"m{Guid.NewGuid():N}@example.org", "Matrix mail", "Hello.", to: MatrixMailbox))),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("message/rfc822");
            request.Headers.Add("X-Loopdesk-Mailbox-Secret", MatrixSecret);
            return Task.FromResult(request);
        }),
        new("GET /api/v1/inbound", AgentRole.Admin, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/inbound")),
        new("GET /api/v1/inbound/{id:guid}", AgentRole.Admin, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/inbound/{s.World.FailedInboundId}")),
        new("GET /api/v1/inbound/{id:guid}/raw", AgentRole.Admin, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/inbound/{s.World.FailedInboundId}/raw")),
        new("POST /api/v1/inbound/{id:guid}/retry", AgentRole.Admin, HttpStatusCode.OK, s => Send(HttpMethod.Post, $"/api/v1/inbound/{s.World.FailedInboundId}/retry")),
        new("POST /api/v1/inbound/{id:guid}/discard", AgentRole.Admin, HttpStatusCode.OK, async s =>
        {
            var failed = await (await s.Admin.PostMimeAsync("not a message either", CancellationToken.None, MatrixMailbox, MatrixSecret))
                .ReadAsync<global::Loopdesk.Email.InboundAcceptedDto>(CancellationToken.None);
            return await Send(HttpMethod.Post, $"/api/v1/inbound/{failed.InboundId}/discard");
        }),
        new("GET /api/v1/tickets/{reference}/files/{key}", AgentRole.Collaborator, HttpStatusCode.OK,
            s => Send(HttpMethod.Get, $"/api/v1/tickets/{s.World.FileReference}/files/{s.World.FileKey}")),

        new("GET /api/v1/incidents", AgentRole.Agent, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/incidents")),
        new("POST /api/v1/incidents", AgentRole.Supervisor, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/incidents", MatrixIncident())),
        new("GET /api/v1/incidents/{id:guid}", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Get, $"/api/v1/incidents/{await IncidentAsync(s.Admin)}")),
        new("PATCH /api/v1/incidents/{id:guid}", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Patch, $"/api/v1/incidents/{await IncidentAsync(s.Admin)}", new { apology = "We are sorry." })),
        new("POST /api/v1/incidents/{id:guid}/updates", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/incidents/{await IncidentAsync(s.Admin)}/updates", new { text = "Found it.", status = "identified" })),
        new("POST /api/v1/incidents/{id:guid}/resolve", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/incidents/{await IncidentAsync(s.Admin)}/resolve", new { text = "Fixed." })),
        new("GET /api/v1/incidents/{id:guid}/tickets", AgentRole.Agent, HttpStatusCode.OK, async s => await Send(HttpMethod.Get, $"/api/v1/incidents/{await IncidentAsync(s.Admin)}/tickets")),
        new("POST /api/v1/incidents/{id:guid}/tickets", AgentRole.Agent, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/incidents/{await IncidentAsync(s.Admin)}/tickets", new { reference = s.World.Reference })),
        new("DELETE /api/v1/incidents/{id:guid}/tickets/{reference}", AgentRole.Agent, HttpStatusCode.NoContent, async s =>
        {
            var incident = await IncidentAsync(s.Admin);
            (await s.Admin.PostJsonAsync($"/api/v1/incidents/{incident}/tickets", new { reference = s.World.Reference }, CancellationToken.None)).EnsureSuccessStatusCode();
            return await Send(HttpMethod.Delete, $"/api/v1/incidents/{incident}/tickets/{s.World.Reference}");
        }),
        new("GET /api/v1/status/services", null, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/status/services")),
        new("POST /api/v1/status/services", AgentRole.Admin, HttpStatusCode.Created, _ => Send(HttpMethod.Post, "/api/v1/status/services", new { name = $"Matrix {Guid.NewGuid():N}" })),
        new("PUT /api/v1/status/services/{id:guid}", AgentRole.Admin, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Put, $"/api/v1/status/services/{await ServiceAsync(s.Admin)}", new { name = $"Matrix {Guid.NewGuid():N}", position = 3 })),
        new("DELETE /api/v1/status/services/{id:guid}", AgentRole.Admin, HttpStatusCode.NoContent,
            async s => await Send(HttpMethod.Delete, $"/api/v1/status/services/{await ServiceAsync(s.Admin)}")),
        new("GET /api/v1/customers/{id:guid}/credits", AgentRole.Agent, HttpStatusCode.OK, s => Send(HttpMethod.Get, $"/api/v1/customers/{s.World.CustomerId}/credits")),
        new("POST /api/v1/customers/{id:guid}/credits", AgentRole.Agent, HttpStatusCode.Created,
            s => Send(HttpMethod.Post, $"/api/v1/customers/{s.World.CustomerId}/credits", new { kind = "discount", amount = 5, reason = "Matrix gesture" })),
        new("GET /api/v1/credits", AgentRole.Supervisor, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/credits?status=pending-approval")),
        new("POST /api/v1/credits/{id:guid}/approve", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/credits/{await PendingCreditAsync(s)}/approve")),
        new("POST /api/v1/credits/{id:guid}/reject", AgentRole.Supervisor, HttpStatusCode.OK,
            async s => await Send(HttpMethod.Post, $"/api/v1/credits/{await PendingCreditAsync(s)}/reject")),
        new("GET /api/v1/credits/export", AgentRole.Supervisor, HttpStatusCode.OK, _ => Send(HttpMethod.Get, "/api/v1/credits/export")),
    ];

    private static object MatrixCalendar() => new
    {
        name = $"Matrix hours {Guid.NewGuid():N}", timeZoneId = "Europe/Amsterdam", hours = new[] { new { day = "monday", start = "09:00", end = "17:00" } },
    };

    /// <summary>A policy that covers no ticket of the matrix (a type nobody uses there), so it changes nothing else.</summary>
    private static object MatrixPolicy() => new { name = $"Matrix policy {Guid.NewGuid():N}", types = new[] { "task" }, resolutionSeconds = 86_400, enabled = false };

    public static TheoryData<string, Caller> Matrix()
    {
        var data = new TheoryData<string, Caller>();
        foreach (var route in Routes)
        {
            foreach (var caller in Enum.GetValues<Caller>()) data.Add(route.Key, caller);
        }
        return data;
    }

    [Fact]
    public void The_matrix_covers_every_route_under_api_v1()
    {
        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(mapped, Routes.Select(r => r.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Every_route_answers_each_caller_as_its_policy_says(string key, Caller caller)
    {
        var route = Routes.Single(r => r.Key == key);
        var world = await WorldAsync();
        using var admin = app.CreateClient(AgentRole.Admin);
        using var client = ClientFor(caller, world);
        var self = caller >= Caller.Collaborator ? app.AgentId(RoleOf(caller)) : app.AgentId(AgentRole.Agent);
        using var request = await route.Build(new Scene(world, admin, self, app));

        using var response = await client.SendAsync(request, Ct);

        var expected = Expected(route, caller);
        if (expected is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            await response.ProblemAsync(expected, Ct);
        }
        else
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(expected == response.StatusCode, $"{key} as {caller}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        }
    }

    [Theory]
    [InlineData(AgentRole.Collaborator)]
    [InlineData(AgentRole.Agent)]
    [InlineData(AgentRole.Supervisor)]
    public async Task A_token_below_admin_on_admin_endpoints_is_403_and_changes_nothing(AgentRole role)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        using var caller = app.CreateClient(role);
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Escalations {Guid.NewGuid():N}", description = "As made" }, Ct)).ReadAsync<TeamDto>(Ct);
        var selfBefore = await admin.GetJsonAsync<AgentDto>($"/api/v1/agents/{app.AgentId(role)}", Ct);
        var collaboratorBefore = await admin.GetJsonAsync<AgentDto>($"/api/v1/agents/{app.AgentId(AgentRole.Collaborator)}", Ct);
        var teamCount = (await admin.GetJsonAsync<List<TeamDto>>("/api/v1/teams", Ct)).Count;
        var agentCount = (await admin.GetJsonAsync<List<AgentDto>>("/api/v1/agents", Ct)).Count;
        var email = $"sneaky{Guid.NewGuid():N}@loopdesk.test";

        await (await caller.PostJsonAsync("/api/v1/agents", new { name = "Sneaky Admin", email, role = "admin" }, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.PatchJsonAsync($"/api/v1/agents/{app.AgentId(role)}", new { role = "admin" }, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.PatchJsonAsync($"/api/v1/agents/{app.AgentId(AgentRole.Collaborator)}", new { active = false, role = "admin" }, Ct))
            .ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.PostJsonAsync("/api/v1/teams", new { name = $"Shadow {Guid.NewGuid():N}" }, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.PatchJsonAsync($"/api/v1/teams/{team.Id}", new { name = "Renamed", description = "Changed" }, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);

        var agents = await admin.GetJsonAsync<List<AgentDto>>("/api/v1/agents", Ct);
        Assert.Equal(agentCount, agents.Count);
        Assert.DoesNotContain(agents, a => a.Email == email);
        Assert.Equal(Snapshot(selfBefore), Snapshot(await admin.GetJsonAsync<AgentDto>($"/api/v1/agents/{app.AgentId(role)}", Ct)));
        Assert.Equal(Snapshot(collaboratorBefore), Snapshot(await admin.GetJsonAsync<AgentDto>($"/api/v1/agents/{app.AgentId(AgentRole.Collaborator)}", Ct)));
        Assert.Equal(teamCount, (await admin.GetJsonAsync<List<TeamDto>>("/api/v1/teams", Ct)).Count);
        var teamAfter = await admin.GetJsonAsync<TeamDto>($"/api/v1/teams/{team.Id}", Ct);
        Assert.Equal((team.Name, team.Description, team.Version), (teamAfter.Name, teamAfter.Description, teamAfter.Version));
        // and the token still has the role it had
        var me = await caller.GetJsonAsync<AgentDto>("/api/v1/me", Ct);
        Assert.Equal(role, me.Role);
    }

    [Fact]
    public async Task A_collaborator_sees_only_tickets_shared_with_them_until_an_agent_shares_one()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var collaborator = app.CreateClient(AgentRole.Collaborator);
        var word = "Zephyr" + Guid.NewGuid().ToString("N")[..8];
        var hidden = await agent.CreateTicketAsync($"{word} billing dispute", Ct);
        var own = await (await collaborator.PostJsonAsync("/api/v1/tickets", new
        {
            subject = $"{word} laptop request",
            body = "My laptop needs a new battery.",
            customer = new { email = $"coworker{Guid.NewGuid():N}@example.com" },
        }, Ct)).ReadAsync<TicketDto>(Ct);

        await (await collaborator.GetAsync($"/api/v1/tickets/{hidden.Reference}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await collaborator.GetAsync($"/api/v1/tickets/{hidden.Reference}/events", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await collaborator.GetAsync($"/api/v1/tickets/{hidden.Reference}/messages", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);
        await (await collaborator.PostJsonAsync($"/api/v1/tickets/{hidden.Reference}/messages", new { body = "Peeking", @internal = true }, Ct))
            .ProblemAsync(HttpStatusCode.NotFound, Ct);
        var listed = await AllTicketReferencesAsync(collaborator);
        Assert.DoesNotContain(hidden.Reference, listed);
        Assert.Contains(own.Reference, listed);
        var searched = await collaborator.GetJsonAsync<TicketPage>($"/api/v1/tickets?q={word}", Ct);
        Assert.Equal([own.Reference], searched.Items.Select(t => t.Reference));
        Assert.Single((await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{hidden.Reference}/messages", Ct)).ByPeople());

        var shared = await agent.PatchJsonAsync($"/api/v1/tickets/{hidden.Reference}", new { shareWith = app.AgentId(AgentRole.Collaborator) }, Ct);
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);

        var seen = await collaborator.GetJsonAsync<TicketDto>($"/api/v1/tickets/{hidden.Reference}", Ct);
        Assert.Equal(hidden.Id, seen.Id);
        Assert.Contains(hidden.Reference, await AllTicketReferencesAsync(collaborator));
        var events = await collaborator.GetJsonAsync<List<TicketEventDto>>($"/api/v1/tickets/{hidden.Reference}/events", Ct);
        Assert.Contains(events, e => e.Type == "ticket.shared");
        var afterShare = await collaborator.GetJsonAsync<TicketPage>($"/api/v1/tickets?q={word}", Ct);
        Assert.Equal(new[] { hidden.Reference, own.Reference }.Order(StringComparer.Ordinal), afterShare.Items.Select(t => t.Reference).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_collaborator_may_add_internal_notes_but_not_replies()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        using var collaborator = app.CreateClient(AgentRole.Collaborator);
        var ticket = await agent.CreateTicketAsync("Warehouse count is off", Ct);
        (await agent.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { shareWith = app.AgentId(AgentRole.Collaborator) }, Ct)).EnsureSuccessStatusCode();
        var before = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);

        var reply = await collaborator.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Dear customer, all fixed." }, Ct);
        var problem = await reply.ProblemAsync(HttpStatusCode.Forbidden, Ct);
        Assert.Equal("internal", problem.Field());
        var inbound = await collaborator.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "The customer said so.", direction = "inbound" }, Ct);
        await inbound.ProblemAsync(HttpStatusCode.Forbidden, Ct);
        var explicitReply = await collaborator.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Public words", @internal = false }, Ct);
        await explicitReply.ProblemAsync(HttpStatusCode.Forbidden, Ct);

        var afterRefusals = await agent.GetJsonAsync<TicketDto>($"/api/v1/tickets/{ticket.Reference}", Ct);
        Assert.Equal(before.Version, afterRefusals.Version);
        Assert.Equal(before.Status, afterRefusals.Status);
        Assert.Single((await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)).ByPeople());

        var note = await collaborator.PostJsonAsync($"/api/v1/tickets/{ticket.Reference}/messages", new { body = "Shelf B was not counted.", @internal = true }, Ct);
        Assert.Equal(HttpStatusCode.Created, note.StatusCode);
        var messages = (await agent.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{ticket.Reference}/messages", Ct)).ByPeople();
        Assert.Equal(2, messages.Count);
        Assert.True(messages[1].Internal);
        Assert.Equal(app.AgentId(AgentRole.Collaborator), messages[1].AuthorId);
    }

    [Theory]
    [InlineData(AgentRole.Collaborator)]
    [InlineData(AgentRole.Agent)]
    [InlineData(AgentRole.Supervisor)]
    public async Task A_non_admin_cannot_list_create_or_revoke_someone_elses_tokens(AgentRole role)
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        using var caller = app.CreateClient(role);
        var (victimId, victimToken) = await CreateStaffWithTokenAsync(admin, "agent");
        var tokensBefore = await admin.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{victimId}/tokens", Ct);

        await (await caller.GetAsync($"/api/v1/agents/{victimId}/tokens", Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.PostJsonAsync($"/api/v1/agents/{victimId}/tokens", new { name = "backdoor" }, Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.GetAsync($"/api/v1/agents/{app.AgentId(AgentRole.Admin)}/tokens", Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        await (await caller.PostJsonAsync($"/api/v1/agents/{app.AgentId(AgentRole.Admin)}/tokens", new { name = "backdoor" }, Ct))
            .ProblemAsync(HttpStatusCode.Forbidden, Ct);
        // someone else's token is answered as if it did not exist, so token ids cannot be probed
        await (await caller.DeleteAsync($"/api/v1/tokens/{victimToken.Id}", Ct)).ProblemAsync(HttpStatusCode.NotFound, Ct);

        var tokensAfter = await admin.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{victimId}/tokens", Ct);
        Assert.Equal(tokensBefore, tokensAfter);
        Assert.All(tokensAfter, t => Assert.Null(t.RevokedAt));
        using var victim = app.ClientWithToken(victimToken.Token);
        Assert.Equal(victimId, (await victim.GetJsonAsync<AgentDto>("/api/v1/me", Ct)).Id);
    }

    [Fact]
    public async Task An_admin_manages_anyones_tokens_and_a_revoked_one_is_401_at_once()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var (agentId, first) = await CreateStaffWithTokenAsync(admin, "agent");
        using var agent = app.ClientWithToken(first.Token);
        Assert.Equal(agentId, (await agent.GetJsonAsync<AgentDto>("/api/v1/me", Ct)).Id);

        var second = await CreateTokenAsync(admin, agentId);
        var tokens = await admin.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{agentId}/tokens", Ct);
        Assert.Equal([first.Id, second.Id], tokens.Select(t => t.Id));
        Assert.All(tokens, t => Assert.DoesNotContain(t.Hint, new[] { first.Token, second.Token }));

        var revoked = await admin.DeleteAsync($"/api/v1/tokens/{first.Id}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);

        // the token was used (and cached) a moment ago; revoking must still take effect on the next request
        await (await agent.GetAsync("/api/v1/me", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await agent.GetAsync("/api/v1/tickets", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        using var other = app.ClientWithToken(second.Token);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/me", Ct)).StatusCode);
        var after = await admin.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{agentId}/tokens", Ct);
        Assert.NotNull(after.Single(t => t.Id == first.Id).RevokedAt);
        Assert.Null(after.Single(t => t.Id == second.Id).RevokedAt);
    }

    [Fact]
    public async Task Staff_revoke_their_own_token()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var (_, token) = await CreateStaffWithTokenAsync(admin, "collaborator");
        using var self = app.ClientWithToken(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await self.GetAsync("/api/v1/me", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await self.DeleteAsync($"/api/v1/tokens/{token.Id}", Ct)).StatusCode);

        await (await self.GetAsync("/api/v1/me", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var (agentId, _) = await CreateStaffWithTokenAsync(admin, "agent");
        var expiresAt = app.Clock.GetUtcNow().AddHours(1);
        var created = await admin.PostJsonAsync($"/api/v1/agents/{agentId}/tokens", new { name = "short-lived", expiresAt }, Ct);
        var token = await created.ReadAsync<CreatedTokenDto>(Ct);
        Assert.Equal(expiresAt, token.ExpiresAt);
        using var client = app.ClientWithToken(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me", Ct)).StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/tickets", Ct)).StatusCode);
        app.Clock.Advance(TimeSpan.FromMinutes(2));

        await (await client.GetAsync("/api/v1/me", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await client.GetAsync("/api/v1/tickets", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
    }

    [Fact]
    public async Task A_token_cannot_be_made_already_expired()
    {
        using var agent = app.CreateClient(AgentRole.Agent);
        var before = await agent.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{app.AgentId(AgentRole.Agent)}/tokens", Ct);

        var response = await agent.PostJsonAsync($"/api/v1/agents/{app.AgentId(AgentRole.Agent)}/tokens",
            new { name = "stale", expiresAt = app.Clock.GetUtcNow().AddMinutes(-1) }, Ct);

        var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, Ct);
        Assert.Equal("expiresAt", problem.Field());
        Assert.Equal(before, await agent.GetJsonAsync<List<TokenDto>>($"/api/v1/agents/{app.AgentId(AgentRole.Agent)}/tokens", Ct));
    }

    [Fact]
    public async Task Deactivating_an_agent_makes_their_token_401_at_once()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var (agentId, token) = await CreateStaffWithTokenAsync(admin, "agent");
        using var client = app.ClientWithToken(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/customers", Ct)).StatusCode);

        var deactivated = await admin.PatchJsonAsync($"/api/v1/agents/{agentId}", new { active = false }, Ct);
        Assert.False((await deactivated.ReadAsync<AgentDto>(Ct)).Active);

        await (await client.GetAsync("/api/v1/me", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await client.GetAsync("/api/v1/customers", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        await (await client.PostJsonAsync($"/api/v1/agents/{agentId}/tokens", new { name = "again" }, Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);

        (await admin.PatchJsonAsync($"/api/v1/agents/{agentId}", new { active = true }, Ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task Demoting_an_agent_takes_effect_on_their_next_request()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var (agentId, token) = await CreateStaffWithTokenAsync(admin, "agent");
        using var client = app.ClientWithToken(token.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/customers", Ct)).StatusCode);

        (await admin.PatchJsonAsync($"/api/v1/agents/{agentId}", new { role = "collaborator" }, Ct)).EnsureSuccessStatusCode();

        await (await client.GetAsync("/api/v1/customers", Ct)).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        Assert.Equal(AgentRole.Collaborator, (await client.GetJsonAsync<AgentDto>("/api/v1/me", Ct)).Role);
    }

    [Fact]
    public async Task Password_login_sets_a_session_cookie_that_works_on_me()
    {
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        await (await client.GetAsync("/api/v1/me", Ct)).ProblemAsync(HttpStatusCode.Unauthorized, Ct);

        var login = await client.PostJsonAsync("/api/v1/auth/login", new { email = "Admin@Loopdesk.test ", password = AdminPassword }, Ct);

        var signedIn = await login.ReadAsync<AgentDto>(Ct);
        Assert.Equal(app.AgentId(AgentRole.Admin), signedIn.Id);
        var cookie = SessionCookie(login);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        // the session cookie is sent back by value: the test clock is not the client's, so its expiry date is not the point here
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/me");
        request.Headers.Add("Cookie", cookie.Split(';')[0]);
        using var me = await client.SendAsync(request, Ct);
        var dto = await me.ReadAsync<AgentDto>(Ct);
        Assert.Equal(app.AgentId(AgentRole.Admin), dto.Id);
        Assert.Equal(AgentRole.Admin, dto.Role);
    }

    [Fact]
    public async Task A_session_follows_a_role_change_at_once_and_ends_when_the_agent_is_deactivated()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var email = $"sess{Guid.NewGuid():N}@loopdesk.test";
        var agent = await (await admin.PostJsonAsync("/api/v1/agents", new { name = "Sam Session", email, role = "supervisor", password = "session-password-1" }, Ct)).ReadAsync<AgentDto>(Ct);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        var login = await client.PostJsonAsync("/api/v1/auth/login", new { email, password = "session-password-1" }, Ct);
        login.EnsureSuccessStatusCode();
        var cookie = SessionCookie(login).Split(';')[0];
        async Task<HttpResponseMessage> AsSession(string url)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add("Cookie", cookie);
            return await client.SendAsync(request, Ct);
        }
        Assert.Equal(HttpStatusCode.OK, (await AsSession("/api/v1/customers")).StatusCode);

        (await admin.PatchJsonAsync($"/api/v1/agents/{agent.Id}", new { role = "collaborator" }, Ct)).EnsureSuccessStatusCode();
        await (await AsSession("/api/v1/customers")).ProblemAsync(HttpStatusCode.Forbidden, Ct);
        Assert.Equal(HttpStatusCode.OK, (await AsSession("/api/v1/teams")).StatusCode);

        (await admin.PatchJsonAsync($"/api/v1/agents/{agent.Id}", new { active = false }, Ct)).EnsureSuccessStatusCode();
        await (await AsSession("/api/v1/me")).ProblemAsync(HttpStatusCode.Unauthorized, Ct);
    }

    [Fact]
    public async Task A_wrong_password_or_an_inactive_agent_gets_401_and_no_cookie()
    {
        using var admin = app.CreateClient(AgentRole.Admin);
        var email = $"pw{Guid.NewGuid():N}@loopdesk.test";
        var created = await admin.PostJsonAsync("/api/v1/agents", new { name = "Pat Word", email, role = "agent", password = "correct-horse-1" }, Ct);
        var agent = await created.ReadAsync<AgentDto>(Ct);
        using var client = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        var wrong = await client.PostJsonAsync("/api/v1/auth/login", new { email, password = "wrong-horse-1" }, Ct);
        await wrong.ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
        var unknown = await client.PostJsonAsync("/api/v1/auth/login", new { email = $"nobody{Guid.NewGuid():N}@loopdesk.test", password = "correct-horse-1" }, Ct);
        await unknown.ProblemAsync(HttpStatusCode.Unauthorized, Ct);

        var right = await client.PostJsonAsync("/api/v1/auth/login", new { email, password = "correct-horse-1" }, Ct);
        Assert.Equal(agent.Id, (await right.ReadAsync<AgentDto>(Ct)).Id);

        (await admin.PatchJsonAsync($"/api/v1/agents/{agent.Id}", new { active = false }, Ct)).EnsureSuccessStatusCode();
        var inactive = await client.PostJsonAsync("/api/v1/auth/login", new { email, password = "correct-horse-1" }, Ct);
        await inactive.ProblemAsync(HttpStatusCode.Unauthorized, Ct);
        Assert.False(inactive.Headers.Contains("Set-Cookie"));
    }

    private static HttpStatusCode Expected(Route route, Caller caller)
    {
        if (route.Minimum is not { } minimum) return route.Allowed;
        if (caller < Caller.Collaborator) return HttpStatusCode.Unauthorized;
        return RoleOf(caller) >= minimum ? route.Allowed : HttpStatusCode.Forbidden;
    }

    private static AgentRole RoleOf(Caller caller) => caller switch
    {
        Caller.Collaborator => AgentRole.Collaborator,
        Caller.Agent => AgentRole.Agent,
        Caller.Supervisor => AgentRole.Supervisor,
        Caller.Admin => AgentRole.Admin,
        _ => throw new ArgumentOutOfRangeException(nameof(caller)),
    };

    private HttpClient ClientFor(Caller caller, World world) => caller switch
    {
        Caller.NoToken => app.ClientWithToken(null),
        Caller.RevokedToken => app.ClientWithToken(world.RevokedToken),
        Caller.UnknownToken => app.ClientWithToken("ldk_" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N")),
        _ => app.CreateClient(RoleOf(caller)),
    };

    private Task<World> WorldAsync() => Worlds.GetValue(app, CreateWorldAsync);

    private static async Task<World> CreateWorldAsync(LoopdeskApp app)
    {
        var ct = CancellationToken.None;
        using var admin = app.CreateClient(AgentRole.Admin);
        var ticket = await admin.CreateTicketAsync("Matrix ticket", ct);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { shareWith = app.AgentId(AgentRole.Collaborator) }, ct)).EnsureSuccessStatusCode();
        var customerId = await CreateCustomerAsync(admin, "Matrix Person");
        var organization = await (await admin.PostJsonAsync("/api/v1/organizations", new { name = $"Matrix Org {Guid.NewGuid():N}" }, ct)).ReadAsync<OrganizationDto>(ct);
        var team = await (await admin.PostJsonAsync("/api/v1/teams", new { name = $"Matrix Team {Guid.NewGuid():N}" }, ct)).ReadAsync<TeamDto>(ct);
        var target = await (await admin.PostJsonAsync("/api/v1/agents",
            new { name = "Matrix Target", email = $"target{Guid.NewGuid():N}@loopdesk.test", role = "agent" }, ct)).ReadAsync<AgentDto>(ct);
        var revoked = await CreateTokenAsync(admin, app.AgentId(AgentRole.Agent));
        (await admin.DeleteAsync($"/api/v1/tokens/{revoked.Id}", ct)).EnsureSuccessStatusCode();
        var rule = await (await admin.PostJsonAsync("/api/v1/rules", MatrixRule(), ct)).ReadAsync<global::Loopdesk.Rules.RuleDto>(ct);
        var template = await (await admin.PostJsonAsync("/api/v1/templates", MatrixTemplate(), ct)).ReadAsync<global::Loopdesk.Rules.TemplateDto>(ct);
        var lexicon = await (await admin.PostJsonAsync("/api/v1/lexicon", MatrixLexicon(), ct)).ReadAsync<Lexicon.LexiconEntryDto>(ct);
        var mailbox = await (await admin.PostJsonAsync("/api/v1/mailboxes", new { name = "Matrix", address = MatrixMailbox, inboundSecret = MatrixSecret }, ct))
            .ReadAsync<global::Loopdesk.Email.MailboxDto>(ct);
        var failed = await (await admin.PostMimeAsync("not a message", ct, MatrixMailbox, MatrixSecret)).ReadAsync<global::Loopdesk.Email.InboundAcceptedDto>(ct);
        var png = Convert.ToBase64String([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0]);
        var withFile = $"From: files@example.org\r\nTo: {MatrixMailbox}\r\nSubject: A file\r\nMessage-ID: <{Guid.NewGuid():N}@example.org>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the picture.\r\n"
            + $"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"shot.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{png}\r\n--b--\r\n";
        var filed = await (await admin.PostMimeAsync(withFile, ct, MatrixMailbox, MatrixSecret)).ReadAsync<global::Loopdesk.Email.InboundAcceptedDto>(ct);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{filed.Reference}", new { shareWith = app.AgentId(AgentRole.Collaborator) }, ct)).EnsureSuccessStatusCode();
        var messages = await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{filed.Reference}/messages", ct);
        var key = messages.SelectMany(m => m.Attachments).Single().StorageKey!;
        return new World(ticket.Reference, customerId, organization.Id, team.Id, target.Id, revoked.Token, rule.Id, template.Id!.Value, lexicon.Id,
            mailbox.Id, failed.InboundId, filed.Reference!, key);
    }

    private static object MatrixRule() => new
    {
        name = "Matrix rule",
        events = new[] { "ticket.created" },
        conditions = new[] { new { field = "ticket.subject", @operator = "contains", value = "matrix-never" } },
        actions = new[] { new { type = "add_tag", value = "matrix" } },
    };

    private static object MatrixTemplate() => new { key = $"macro.matrix-{Guid.NewGuid():N}", language = "en", name = "Matrix", body = "Hello {{ customer.first_name }}" };

    private static object MatrixLexicon() => new
    {
        id = $"matrix-{Guid.NewGuid():N}", category = "banned", pattern = "matrix never says this", isRegex = false, why = "Test entry.", suggestion = "Say something else.",
    };

    /// <summary>A ticket of its own, solved by the admin: waiting for the customer's answer.</summary>
    /// <summary>A procedure that fits every ticket type, under a name of its own.</summary>
    private static object MatrixProcedure() => new
    {
        name = $"Matrix procedure {Guid.NewGuid():N}",
        types = Enum.GetValues<Core.Tickets.TicketType>().Select(global::Loopdesk.Core.Common.Wire.Name).ToArray(),
        steps = new[] { "Confirm who is asking", "Check the order" },
    };

    private static async Task<Guid> HelpCategoryAsync(HttpClient admin)
        => (await (await admin.PostJsonAsync("/api/v1/help/categories", new { name = $"Matrix {Guid.NewGuid():N}" }, CancellationToken.None))
            .ReadAsync<global::Loopdesk.Portal.HelpCategoryDto>(CancellationToken.None)).Id;

    private static object MatrixArticle(Guid categoryId) => new { categoryId, title = $"Matrix article {Guid.NewGuid():N}", body = "Some **help**." };

    private static async Task<Guid> HelpArticleAsync(HttpClient admin)
        => (await (await admin.PostJsonAsync("/api/v1/help/articles", MatrixArticle(await HelpCategoryAsync(admin)), CancellationToken.None))
            .ReadAsync<global::Loopdesk.Portal.HelpArticleDto>(CancellationToken.None)).Id;

    private static async Task<Guid> ProcedureAsync(HttpClient admin)
        => (await (await admin.PostJsonAsync("/api/v1/procedures", MatrixProcedure(), CancellationToken.None)).ReadAsync<global::Loopdesk.Procedures.ProcedureDto>(CancellationToken.None)).Id;

    private static async Task<string> SolvedTicketAsync(HttpClient admin)
    {
        var ticket = await admin.CreateTicketAsync("Matrix solved", CancellationToken.None);
        (await admin.PatchJsonAsync($"/api/v1/tickets/{ticket.Reference}", new { status = "solved" }, CancellationToken.None)).EnsureSuccessStatusCode();
        return ticket.Reference;
    }

    /// <summary>A closed ticket's survey and the token of its answer link, read from the survey message as a customer would.</summary>
    internal static async Task<(Guid Id, string Token)> SurveyAsync(HttpClient admin)
    {
        var reference = await SolvedTicketAsync(admin);
        (await admin.PostJsonAsync($"/api/v1/tickets/{reference}/resolution", new { agreed = true }, CancellationToken.None)).EnsureSuccessStatusCode();
        var messages = await admin.GetJsonAsync<List<MessageDto>>($"/api/v1/tickets/{reference}/messages", CancellationToken.None);
        var link = System.Text.RegularExpressions.Regex.Match(messages[^1].Body, @"/survey/(?<id>[0-9a-f-]{36})\?token=(?<token>[A-Za-z0-9_-]+)");
        return (Guid.Parse(link.Groups["id"].Value), link.Groups["token"].Value);
    }

    private static async Task<Guid> CreateCustomerAsync(HttpClient admin, string name)
    {
        var response = await admin.PostJsonAsync("/api/v1/customers", new { name, emails = new[] { $"person{Guid.NewGuid():N}@example.com" } }, CancellationToken.None);
        return (await response.ReadAsync<CustomerDto>(CancellationToken.None)).Id;
    }

    private static async Task<CreatedTokenDto> CreateTokenAsync(HttpClient admin, Guid agentId)
    {
        var response = await admin.PostJsonAsync($"/api/v1/agents/{agentId}/tokens", new { name = "matrix" }, CancellationToken.None);
        return await response.ReadAsync<CreatedTokenDto>(CancellationToken.None);
    }

    private static async Task<(Guid Id, CreatedTokenDto Token)> CreateStaffWithTokenAsync(HttpClient admin, string role)
    {
        var created = await admin.PostJsonAsync("/api/v1/agents", new { name = "Staff Member", email = $"staff{Guid.NewGuid():N}@loopdesk.test", role }, Ct);
        var agent = await created.ReadAsync<AgentDto>(Ct);
        return (agent.Id, await CreateTokenAsync(admin, agent.Id));
    }

    private static async Task<List<string>> AllTicketReferencesAsync(HttpClient client)
    {
        var references = new List<string>();
        string? cursor = null;
        do
        {
            var page = await client.GetJsonAsync<TicketPage>($"/api/v1/tickets?limit=100{(cursor is null ? "" : "&cursor=" + cursor)}", Ct);
            references.AddRange(page.Items.Select(t => t.Reference));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return references;
    }

    private static string Snapshot(AgentDto agent) => JsonSerializer.Serialize(agent, LoopdeskApp.JsonOptions);

    private static string SessionCookie(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("Set-Cookie", out var cookies), "no Set-Cookie header");
        return Assert.Single(cookies, c => c.StartsWith("loopdesk=", StringComparison.Ordinal));
    }

    /// <summary>
    /// A chat site with one invitation, and a chat on it: queued, or taken by <paramref name="agentId"/>. With
    /// <paramref name="freeCaller"/> the caller's earlier matrix chats are over, so their chat capacity has room.
    /// </summary>
    private static async Task<(global::Loopdesk.Chat.ChatSite Site, Guid Chat)> MatrixChatAsync(Scene s, Guid? agentId, bool freeCaller = false)
    {
        await using var scope = s.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<global::Loopdesk.Data.LoopdeskDb>();
        var now = s.App.Clock.GetUtcNow();
        if (freeCaller)
        {
            await db.Chats.Where(c => c.AgentId == s.Self).ExecuteUpdateAsync(u => u.SetProperty(c => c.State, global::Loopdesk.Core.Chat.ChatState.Ended), CancellationToken.None);
        }
        var site = new global::Loopdesk.Chat.ChatSite(now);
        site.Set(new global::Loopdesk.Chat.ChatSiteRequest
        {
            Name = "Matrix shop", AllowedOrigins = ["*"],
            Invitations = [new global::Loopdesk.Chat.ChatInvitation(null, "Need help?", 10, null, false)],
        }, now);
        var visitor = new global::Loopdesk.Chat.ChatVisitor(site.Id, now);
        var chat = new global::Loopdesk.Chat.ChatSession(site, visitor, s.World.CustomerId, "Matrix visitor", null, null, "Is this thing on?", now);
        if (agentId is { } agent)
        {
            chat.State = global::Loopdesk.Core.Chat.ChatState.Active;
            chat.AgentId = agent;
            chat.AcceptedAt = now;
        }
        db.AddRange(site, visitor, chat);
        await db.SaveChangesAsync(CancellationToken.None);
        return (site, chat.Id);
    }

    private static object MatrixIncident() => new { title = "Matrix outage", description = "Nothing loads.", impact = "minor" };

    private static async Task<Guid> IncidentAsync(HttpClient admin)
        => (await (await admin.PostJsonAsync("/api/v1/incidents", MatrixIncident(), CancellationToken.None)).ReadAsync<global::Loopdesk.Incidents.IncidentDto>(CancellationToken.None)).Id;

    private static async Task<Guid> ServiceAsync(HttpClient admin)
        => (await (await admin.PostJsonAsync("/api/v1/status/services", new { name = $"Matrix {Guid.NewGuid():N}" }, CancellationToken.None))
            .ReadAsync<global::Loopdesk.Incidents.ServiceStateDto>(CancellationToken.None)).Id;

    /// <summary>A credit an agent gave above the agent limit: it waits for a supervisor (never the agent, who gave it).</summary>
    private static async Task<Guid> PendingCreditAsync(Scene s)
    {
        using var agent = s.App.CreateClient(AgentRole.Agent);
        var response = await agent.PostJsonAsync($"/api/v1/customers/{s.World.CustomerId}/credits", new { kind = "refund", amount = 60, reason = "Matrix refund" }, CancellationToken.None);
        return (await response.ReadAsync<global::Loopdesk.Credits.CreditDto>(CancellationToken.None)).Id;
    }

    private static Task<HttpRequestMessage> Send(HttpMethod method, string url, object? body = null)
        => Task.FromResult(new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body, options: LoopdeskApp.JsonOptions) });
}

public sealed class AuthorizationOnSqlite(SqliteApp app) : AuthorizationTests(app), IClassFixture<SqliteApp>;

public sealed class AuthorizationOnPostgres(PostgresApp app) : AuthorizationTests(app), IClassFixture<PostgresApp>;
