using System.Net;
using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Loopdesk.Portal;
using Loopdesk.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Loopdesk.Tests.Portal;

/// <summary>The help center's changes as the API and the workspace's help page both make them (one set of commands), on both databases.</summary>
public abstract class HelpCommandTests(LoopdeskApp app)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Unique() => Guid.NewGuid().ToString("N")[..8];

    private async Task<T> WithDbAsync<T>(Func<LoopdeskDb, Task<T>> work)
    {
        using var scope = app.Services.CreateScope();
        return await work(scope.ServiceProvider.GetRequiredService<LoopdeskDb>());
    }

    private static HelpArticleRequest Article(Guid category, string title, string body = "Unplug it for ten seconds.") => new() { CategoryId = category, Title = title, Body = body };

    [Fact]
    public async Task A_category_with_articles_is_not_deleted_and_an_empty_one_is()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var category = await (await supervisor.PostJsonAsync("/api/v1/help/categories", new { name = $"Router {Unique()}" }, Ct)).ReadAsync<HelpCategoryDto>(Ct);
        var article = await (await supervisor.PostJsonAsync("/api/v1/help/articles", Article(category.Id, $"Restart it {Unique()}"), Ct)).ReadAsync<HelpArticleDto>(Ct);

        var refused = await supervisor.DeleteAsync($"/api/v1/help/categories/{category.Id}", Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("help.category_not_empty", await refused.Content.ReadAsStringAsync(Ct));
        Assert.True(await WithDbAsync(db => db.HelpCategories.AnyAsync(c => c.Id == category.Id, Ct)));

        Assert.Null(await WithDbAsync(db => HelpCommands.DeleteArticleAsync(db, article.Id, Ct)));
        Assert.Equal(HttpStatusCode.NoContent, (await supervisor.DeleteAsync($"/api/v1/help/categories/{category.Id}", Ct)).StatusCode);
        Assert.False(await WithDbAsync(db => db.HelpCategories.AnyAsync(c => c.Id == category.Id, Ct)));
    }

    [Fact]
    public async Task A_category_is_renamed_and_moved_but_keeps_its_address_and_a_taken_address_is_refused()
    {
        var slug = $"billing-{Unique()}";
        var now = app.Clock.GetUtcNow();
        var (made, problem) = await WithDbAsync(db => HelpCommands.SaveCategoryAsync(db, null, new HelpCategoryRequest { Name = "Billing", Slug = slug, Position = 5 }, now, Ct));
        Assert.Null(problem);
        var (_, taken) = await WithDbAsync(db => HelpCommands.SaveCategoryAsync(db, null, new HelpCategoryRequest { Name = "Billing again", Slug = slug }, now, Ct));
        Assert.Equal(409, taken!.StatusCode);

        var (renamed, _) = await WithDbAsync(db => HelpCommands.SaveCategoryAsync(db, made!.Id, new HelpCategoryRequest { Name = "Invoices", Description = "Paying and refunds", Position = 1 }, now, Ct));
        Assert.Equal(("Invoices", "Paying and refunds", 1, slug), (renamed!.Name, renamed.Description, renamed.Position, renamed.Slug));
        Assert.Single(await WithDbAsync(db => HelpCommands.ListCategoriesAsync(db, Ct)), c => c.Slug == slug);
    }

    [Fact]
    public async Task A_stale_article_save_is_412_and_changes_nothing_through_the_api_and_the_page_alike()
    {
        using var supervisor = app.CreateClient(AgentRole.Supervisor);
        var category = await (await supervisor.PostJsonAsync("/api/v1/help/categories", new { name = $"Wifi {Unique()}" }, Ct)).ReadAsync<HelpCategoryDto>(Ct);
        var title = $"Find the password {Unique()}";
        var article = await (await supervisor.PostJsonAsync("/api/v1/help/articles", Article(category.Id, title), Ct)).ReadAsync<HelpArticleDto>(Ct);
        var read = $"\"v{article.Version}\"";

        var (changed, problem) = await WithDbAsync(db => HelpCommands.SaveArticleAsync(db, article.Id, Article(category.Id, title, "It is on the sticker."), read, app.Clock.GetUtcNow(), Ct));
        Assert.Null(problem);
        Assert.NotEqual(article.Version, changed!.Version);

        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/help/articles/{article.Id}") { Content = System.Net.Http.Json.JsonContent.Create(Article(category.Id, title, "Overwritten")) };
        request.Headers.TryAddWithoutValidation("If-Match", read);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await supervisor.SendAsync(request, Ct)).StatusCode);
        var (_, stale) = await WithDbAsync(db => HelpCommands.SaveArticleAsync(db, article.Id, Article(category.Id, title, "Overwritten too"), read, app.Clock.GetUtcNow(), Ct));
        Assert.Equal(412, stale!.StatusCode);
        Assert.Equal("It is on the sticker.", (await supervisor.GetJsonAsync<HelpArticleDto>($"/api/v1/help/articles/{article.Id}", Ct)).Body);
    }

    [Fact]
    public async Task An_article_in_an_unknown_category_or_without_text_is_refused_and_not_stored()
    {
        var title = $"Nowhere {Unique()}";
        var (_, unknown) = await WithDbAsync(db => HelpCommands.SaveArticleAsync(db, null, Article(Guid.NewGuid(), title), null, app.Clock.GetUtcNow(), Ct));
        Assert.Equal(422, unknown!.StatusCode);
        var (category, _) = await WithDbAsync(db => HelpCommands.SaveCategoryAsync(db, null, new HelpCategoryRequest { Name = $"Misc {Unique()}" }, app.Clock.GetUtcNow(), Ct));
        var (_, empty) = await WithDbAsync(db => HelpCommands.SaveArticleAsync(db, null, Article(category!.Id, title, "  "), null, app.Clock.GetUtcNow(), Ct));
        Assert.Equal(400, empty!.StatusCode);
        Assert.False(await WithDbAsync(db => db.HelpArticles.AnyAsync(a => a.Title == title, Ct)));
    }
}

public sealed class HelpCommandsOnSqlite(SqliteApp app) : HelpCommandTests(app), IClassFixture<SqliteApp>;

public sealed class HelpCommandsOnPostgres(PostgresApp app) : HelpCommandTests(app), IClassFixture<PostgresApp>;
