using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Identity;
using MudBlazor.Services;

namespace Loopdesk.Web;

/// <summary>The agent workspace: Blazor interactive server pages served by the API's host, signed in with the same cookie.</summary>
public static class WorkspaceSetup
{
    public static IServiceCollection AddWorkspace(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        services.AddSingleton<WorkspaceDb>();
        services.AddSingleton<WorkspaceFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkspaceFeed>());
        services.AddSingleton<TicketPresence>();
        services.AddSingleton<Workspace.SharedCounts>();
        services.AddScoped<WorkspaceSignals>();
        return services;
    }

    public static WebApplication MapWorkspace(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        // a form post from the workspace's menu; the token stops another site from signing people out
        app.MapPost("/signout", async Task<IResult> (HttpContext http, IAntiforgery antiforgery, SignInManager<Platform.Auth.StaffUser> signIn) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
                return Platform.Problems.Validation("__RequestVerificationToken", "Sign out from the workspace's menu.");
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect("/signin");
        }).ExcludeFromDescription();
        return app;
    }

    /// <summary>A browser asking for a page (sent to the sign-in page when signed out), not an API or hub call (answered 401).</summary>
    public static bool IsPage(HttpRequest request)
        => HttpMethods.IsGet(request.Method)
            && !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/_blazor")
            && request.Headers.Accept.Any(a => a is not null && a.Contains("text/html", StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// A short-lived database context per operation: a Blazor circuit lives for hours, a DbContext should not, and two
/// handlers of one circuit may run at once.
/// </summary>
public sealed class WorkspaceDb(IServiceScopeFactory scopes)
{
    public async Task<T> RunAsync<T>(Func<LoopdeskDb, IServiceProvider, Task<T>> work)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<LoopdeskDb>(), scope.ServiceProvider);
    }

    /// <summary>
    /// Runs a change on a ticket as the person may see it now, tracked in a fresh context; <paramref name="gone"/> when it
    /// no longer exists or is no longer theirs to see.
    /// </summary>
    public Task<T> OnTicketAsync<T>(Guid ticketId, System.Security.Claims.ClaimsPrincipal user, T gone, Func<LoopdeskDb, IServiceProvider, Core.Tickets.Ticket, Task<T>> work)
        => RunAsync(async (db, sp) => await Tickets.TicketQueries.VisibleTo(db.Tickets, user).FirstOrDefaultAsync(t => t.Id == ticketId) is { } ticket
            ? await work(db, sp, ticket)
            : gone);
}

/// <summary>Changes one page of a circuit makes that another part of it shows (a new saved view in the menu).</summary>
public sealed class WorkspaceSignals
{
    public event Action? OnViewsChanged;

    public void ViewsChanged() => OnViewsChanged?.Invoke();
}
