using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Loopdesk.Tickets;

namespace Loopdesk.Tests.Infrastructure;

/// <summary>Small helpers that keep tests reading as what a client does.</summary>
public static class ApiClient
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object body, CancellationToken ct)
        => client.PostAsJsonAsync(url, body, LoopdeskApp.JsonOptions, ct);

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string url, string body, CancellationToken ct, string contentType = "application/json")
        => client.PostAsync(url, new StringContent(body, Encoding.UTF8, contentType), ct);

    public static async Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string url, object body, CancellationToken ct, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, url) { Content = JsonContent.Create(body, options: LoopdeskApp.JsonOptions) };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await client.SendAsync(request, ct);
    }

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, LoopdeskApp.JsonOptions)!;
    }

    public static async Task<T> GetJsonAsync<T>(this HttpClient client, string url, CancellationToken ct)
        => await (await client.GetAsync(url, ct)).ReadAsync<T>(ct);

    /// <summary>Opens a ticket for a customer; unique email unless given.</summary>
    public static async Task<TicketDto> CreateTicketAsync(this HttpClient client, string subject, CancellationToken ct,
        string? email = null, string? body = null, string channel = "email", string? phone = null, string? name = null)
    {
        var response = await client.PostJsonAsync("/api/v1/tickets", new
        {
            subject,
            body = body ?? $"About {subject}: please help.",
            channel,
            customer = new { name = name ?? "Test Customer", email = phone is null ? email ?? $"c{Guid.NewGuid():N}@example.com" : email, phone },
        }, ct);
        return await response.ReadAsync<TicketDto>(ct);
    }

    /// <summary>The problem details of a failed response, asserting its status.</summary>
    public static async Task<JsonElement> ProblemAsync(this HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        Xunit.Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Xunit.Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.ToString() ?? "");
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement.Clone();
        Xunit.Assert.StartsWith("urn:loopdesk:problem:", root.GetProperty("type").GetString());
        Xunit.Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return root;
    }

    /// <summary>The messages people wrote, without what the service rules sent (acknowledgements, follow-ups).</summary>
    public static List<MessageDto> ByPeople(this List<MessageDto> messages)
        => [.. messages.Where(m => m.AuthorKind != Core.Common.ActorKind.System)];

    public static string? Field(this JsonElement problem) => problem.TryGetProperty("field", out var f) ? f.GetString() : null;
}
