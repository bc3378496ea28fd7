using Microsoft.Playwright;

namespace Loopdesk.E2E;

/// <summary>The public status page in a real browser: a supervisor publishes an incident in the workspace, customers see it.</summary>
public sealed class StatusTests(WorkspaceHost host)
{
    private const string Supervisor = "sam.carter@loopdesk.example";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_supervisor_publishes_an_incident_in_the_workspace_and_it_shows_on_the_status_page_and_in_the_feed()
    {
        var title = $"Email delivery delayed {Guid.NewGuid().ToString("N")[..6]}";
        var page = await host.SignedInPageAsync(Supervisor, WorkspaceHost.DemoPassword);
        await page.GetByRole(AriaRole.Link, new() { Name = "Incidents" }).ClickAsync();
        await page.WaitForURLAsync("**/incidents");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Incidents");

        await page.GetByLabel("Title").FillAsync(title);
        await page.GetByLabel("What is wrong").FillAsync("Mail to customers leaves our servers up to an hour late.");
        await page.GetByLabel("Apology").FillAsync("We are sorry for the wait.");
        await page.GetByLabel("Published", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create incident" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Incident created." })).ToBeVisibleAsync();
        await host.ScreenshotAsync(page, "status-workspace");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(page));
        await page.Context.CloseAsync();

        var context = await host.Browser.NewContextAsync(new() { BaseURL = host.BaseUrl, JavaScriptEnabled = false });
        var visitor = await context.NewPageAsync();
        await visitor.GotoAsync("/status");
        await Assertions.Expect(visitor.GetByRole(AriaRole.Heading, new() { Name = title })).ToBeVisibleAsync();
        await Assertions.Expect(visitor.GetByText("We are sorry for the wait.")).ToBeVisibleAsync();
        await host.ScreenshotAsync(visitor, "status-page");
        await visitor.GetByRole(AriaRole.Link, new() { Name = title }).ClickAsync();
        await Assertions.Expect(visitor.GetByText("Mail to customers leaves our servers up to an hour late.").First).ToBeVisibleAsync();
        await host.ScreenshotAsync(visitor, "status-incident");
        await visitor.GotoAsync("/status/subscribe");
        await host.ScreenshotAsync(visitor, "status-subscribe");
        await context.CloseAsync();

        // axe needs scripts; the page itself needs none
        var scripted = await host.Browser.NewPageAsync(new() { BaseURL = host.BaseUrl });
        await scripted.GotoAsync("/status");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(scripted));
        await scripted.GotoAsync("/status/subscribe");
        Assert.Empty(await WorkspaceHost.SeriousViolationsAsync(scripted));
        await scripted.CloseAsync();

        var feed = await host.Api.GetStringAsync("/status/feed.atom", Ct);
        Assert.Contains(title, feed);
    }
}
