using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>
/// A customer on the portal, in headless Chromium against the real server: from the home page to the contact page, a
/// request, the sign-in link from a real SMTP server, a reply, "yes, resolved" and the survey; every page checked with axe.
/// </summary>
public sealed partial class PortalTests(WorkspaceHost host)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task AccessibleAsync(IPage page)
    {
        var violations = await WorkspaceHost.SeriousViolationsAsync(page);
        Assert.True(violations.Length == 0, $"{page.Url}:\n" + string.Join("\n", violations));
    }

    private Task ShotAsync(IPage page, string name) => host.ScreenshotAsync(page, name);

    [Fact]
    public async Task A_customer_finds_contact_submits_a_request_signs_in_by_mail_replies_confirms_and_answers_the_survey()
    {
        await using var sink = await SmtpSink.StartAsync();
        var mailbox = await host.Api.PostAsJsonAsync("/api/v1/mailboxes", new
        {
            name = "Portal E2E", address = $"help{Guid.NewGuid():N}"[..12] + "@acme.example", isDefault = true,
            smtp = new { host = "127.0.0.1", port = sink.Port, security = "none" },
        }, Ct);
        Assert.True(mailbox.IsSuccessStatusCode, await mailbox.Content.ReadAsStringAsync(Ct));

        var context = await host.Browser.NewContextAsync(new() { BaseURL = host.BaseUrl, ViewportSize = new() { Width = 1100, Height = 800 }, Locale = "en-US" });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        Assert.Equal(0, await page.Locator("script[src*='blazor']").CountAsync());
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-home");

        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Contact us" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Contact us", Level = 1 })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Opening hours" })).ToBeVisibleAsync();
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-contact");

        var email = $"e2e.{Guid.NewGuid():N}@mail.example";
        await page.GetByRole(AriaRole.Main).GetByRole(AriaRole.Link, new() { Name = "Submit a request" }).ClickAsync();
        await page.GetByLabel("Your name").FillAsync("Erika Example");
        await page.GetByLabel("Your email address").FillAsync(email);
        await page.GetByLabel("What is it about?").SelectOptionAsync("problem");
        await page.GetByLabel("Subject").FillAsync("Internet drops every evening");
        await page.GetByLabel("Describe what happened").FillAsync("Since Monday the connection drops around 8pm. I restarted the router twice.");
        // the help center answers as the customer types
        await Assertions.Expect(page.Locator("#suggestions a").First).ToBeVisibleAsync();
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-request");
        await page.WaitForTimeoutAsync(3200);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Request received" })).ToBeVisibleAsync();
        var reference = ReferenceIn(await page.Locator(".notice").InnerTextAsync());
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-request-done");
        // the acknowledgement reaches the customer by mail too
        await sink.WaitForAsync(email, reference, TimeSpan.FromSeconds(30));

        await page.GotoAsync("/my");
        await page.GetByLabel("Your email address").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Email me a sign-in link" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("sign-in link is on its way");
        await AccessibleAsync(page);
        var mail = await sink.WaitForAsync(email, "/my/link?token=", TimeSpan.FromSeconds(30));
        var link = LinkIn(mail);
        await page.GotoAsync(link);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.WaitForURLAsync("**/my");
        await page.GetByRole(AriaRole.Link, new() { Name = reference }).ClickAsync();
        await page.GetByLabel("Your message").FillAsync("It happened again at 20:05 tonight.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("added to your request");
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-ticket");

        var solved = await host.Api.PatchAsJsonAsync($"/api/v1/tickets/{reference}", new { status = "solved" }, Ct);
        Assert.True(solved.IsSuccessStatusCode, await solved.Content.ReadAsStringAsync(Ct));
        await page.ReloadAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, it is resolved" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("glad it is solved");
        // the survey follows the close (a rule, run by the job runner)
        for (var i = 0; i < 40 && await page.GetByRole(AriaRole.Heading, new() { Name = "How did we do?" }).CountAsync() == 0; i++)
        {
            await page.WaitForTimeoutAsync(500);
            await page.ReloadAsync();
        }
        await page.GetByLabel("Very happy").CheckAsync();
        await page.GetByLabel("Anything you want to tell us? (optional)").FillAsync("Quick and friendly, thank you.");
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-survey");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send answer" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Thank you for your answer");
        await context.CloseAsync();
    }

    [Fact]
    public async Task The_help_center_pages_are_accessible_and_an_article_adapts_to_the_readers_level()
    {
        var context = await host.Browser.NewContextAsync(new() { BaseURL = host.BaseUrl, ViewportSize = new() { Width = 1100, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/help");
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-help");
        await page.GetByLabel("Search the help center").FillAsync("charged twice");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "I was charged twice" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "beginners" }).ClickAsync();
        await Assertions.Expect(page.Locator(".article-body")).ToContainTextAsync("don't worry");
        await page.GotoAsync("/help/a/i-was-charged-twice");
        await Assertions.Expect(page.Locator(".article-body")).ToContainTextAsync("don't worry");
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-article");
        foreach (var path in new[] { "/help/c/billing", "/my", "/verify?token=unknown" })
        {
            await page.GotoAsync(path);
            await AccessibleAsync(page);
        }
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync("/contact");
        await AccessibleAsync(page);
        await ShotAsync(page, "portal-contact-phone");
        await context.CloseAsync();
    }

    private static string ReferenceIn(string text) => Reference().Match(text) is { Success: true } m ? m.Value : throw new InvalidOperationException(text);

    /// <summary>The sign-in link's path from a raw mail (quoted-printable soft breaks undone).</summary>
    private static string LinkIn(string raw)
    {
        var text = raw.Replace("=\r\n", "", StringComparison.Ordinal).Replace("=\n", "", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        var match = Link().Match(text);
        Assert.True(match.Success, text);
        return new Uri(match.Value).PathAndQuery;
    }

    [GeneratedRegex("[A-Z0-9]{4}-[A-Z0-9]{4}")]
    private static partial Regex Reference();

    [GeneratedRegex(@"https?://\S+/my/link\?token=[A-Za-z0-9_\-]+&email=\S+")]
    private static partial Regex Link();
}
