using System.Net;
using System.Text.RegularExpressions;
using Loopdesk.Data;
using Loopdesk.Portal;
using Loopdesk.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Portal;

/// <summary>The app with the portal's limits set for tests: a small file limit, a phone line, and no form flood limit (its own test sets one).</summary>
public static class PortalSettings
{
    public const int MaxAttachmentBytes = 200_000;

    public static void Apply(IWebHostBuilder builder, int formPosts)
    {
        builder.UseSetting("Loopdesk:Email:MaxAttachmentBytes", MaxAttachmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Loopdesk:Email:MaxAttachmentBytesPerMessage", (2 * MaxAttachmentBytes).ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Loopdesk:Portal:FormPostsPerWindow", formPosts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Loopdesk:Portal:BrandName", "Acme Support");
        builder.UseSetting("Loopdesk:Portal:Phone:Number", "+49 30 1234567");
        builder.UseSetting("Loopdesk:Portal:Phone:MenuOptions:0", "Billing");
        builder.UseSetting("Loopdesk:Portal:Phone:MenuOptions:1", "Technical help");
        builder.UseSetting("Loopdesk:Portal:Chat:Enabled", "true");
        builder.UseSetting("Loopdesk:Portal:Social:0:Network", "Mastodon");
        builder.UseSetting("Loopdesk:Portal:Social:0:Handle", "@acme@social.example");
        builder.UseSetting("Loopdesk:Portal:Social:0:Url", "https://social.example/@acme");
    }
}

public class PortalSqliteApp : SqliteApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        PortalSettings.Apply(builder, 0);
    }
}

public class PortalPostgresApp : PostgresApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        PortalSettings.Apply(builder, 0);
    }
}

/// <summary>A browser's view of the portal: cookies kept, redirects not followed, forms read from the page like a person's browser.</summary>
public sealed partial class PortalBrowser(LoopdeskApp app) : IDisposable
{
    public HttpClient Client { get; } = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async Task<string> PageAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await Client.SendAsync(request, Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {html[..Math.Min(html.Length, 2000)]}");
        return html;
    }

    /// <summary>Reads the form's hidden fields from <paramref name="pageUrl"/>, then posts them with <paramref name="fields"/> (time moves on past the bot check first).</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string pageUrl, string action, IReadOnlyDictionary<string, string> fields,
        IReadOnlyList<(string Name, string FileName, byte[] Content, string Type)>? files = null, bool withToken = true, int formIndex = -1)
    {
        var html = await PageAsync(pageUrl);
        var hidden = HiddenFields(html, action, formIndex);
        if (!withToken) hidden.Remove("__RequestVerificationToken");
        app.Clock.Advance(TimeSpan.FromSeconds(5));
        foreach (var (k, v) in fields) hidden[k] = v;
        return await PostAsync(action, hidden, files);
    }

    public async Task<HttpResponseMessage> PostAsync(string action, IReadOnlyDictionary<string, string> fields, IReadOnlyList<(string Name, string FileName, byte[] Content, string Type)>? files = null)
    {
        HttpContent content;
        if (files is { Count: > 0 })
        {
            var multipart = new MultipartFormDataContent();
            foreach (var (k, v) in fields) multipart.Add(new StringContent(v), k);
            foreach (var f in files)
            {
                var part = new ByteArrayContent(f.Content);
                part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(f.Type);
                multipart.Add(part, f.Name, f.FileName);
            }
            content = multipart;
        }
        else
        {
            content = new FormUrlEncodedContent(fields);
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = content };
        request.Headers.Accept.ParseAdd("text/html");
        return await Client.SendAsync(request, Ct);
    }

    /// <summary>The hidden inputs of the form posting to <paramref name="action"/> (the first form when several match).</summary>
    public static Dictionary<string, string> HiddenFields(string html, string action, int formIndex = -1)
    {
        var forms = Form().Matches(html).Select(m => m.Value).ToList();
        var form = formIndex >= 0 ? forms[formIndex] : forms.FirstOrDefault(f => f.Contains($"action=\"{WebUtility.HtmlEncode(action)}\"", StringComparison.Ordinal)) ?? forms.FirstOrDefault(f => !f.Contains("action=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No form posting to {action} in: {html}");
        return Hidden().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
    }

    [GeneratedRegex("<form[^>]*method=\"post\".*?</form>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Form();

    [GeneratedRegex("<input(?=[^>]*type=\"hidden\")(?=[^>]*name=\"(?<name>[^\"]+)\")(?=[^>]*value=\"(?<value>[^\"]*)\")[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex Hidden();

    public void Dispose() => Client.Dispose();
}

public static class PortalData
{
    /// <summary>The portal mails queued (sign-in and verification links), newest last, read as their recipient would.</summary>
    public static async Task<List<PortalMailMessage>> MailsAsync(LoopdeskApp app)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<LoopdeskDb>();
        var mail = scope.ServiceProvider.GetRequiredService<PortalMail>();
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.Kind == PortalMail.JobKind).OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).ToListAsync(TestContext.Current.CancellationToken);
        return [.. jobs.Select(j => mail.Open(j.Payload))];
    }

    public static async Task<string> LinkToAsync(LoopdeskApp app, string email, string path)
    {
        var mails = await MailsAsync(app);
        var text = mails.Last(m => m.To == email).Text;
        var match = Regex.Match(text, "https?://[^\\s]+" + Regex.Escape(path) + "[^\\s]*");
        Assert.True(match.Success, text);
        return new Uri(match.Value).PathAndQuery;
    }

    public static async Task<T> WithDbAsync<T>(LoopdeskApp app, Func<LoopdeskDb, Task<T>> read)
    {
        using var scope = app.Services.CreateScope();
        return await read(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }
}
