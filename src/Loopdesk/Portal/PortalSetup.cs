using System.Globalization;
using System.Threading.RateLimiting;
using Loopdesk.Incidents;
using Loopdesk.Jobs;
using Loopdesk.Rules;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.AspNetCore.RateLimiting;

[assembly: Microsoft.Extensions.Localization.RootNamespace("Loopdesk")]

namespace Loopdesk.Portal;

/// <summary>
/// The customer portal: Razor Pages under /Portal, rendered on the server as plain HTML (no Blazor, no WebSocket, no
/// MudBlazor), with forms that work without JavaScript, the portal's own customer cookie, its languages and its limits.
/// </summary>
public static class PortalSetup
{
    public const string FormLimit = "portal-form";
    public const string PageCache = "portal-page";
    public static readonly CultureInfo[] Cultures = [new("en"), new("de")];
    public const string CultureCookie = ".Loopdesk.Culture";
    public const string ExpertiseCookie = "loopdesk.expertise";
    public const string VisitorCookie = "loopdesk.visitor";

    private static readonly string[] Paths = ["/contact", "/request", "/my", "/help", "/verify", "/survey", "/language", "/portal"];

    /// <summary>Whether a path is one of the portal's pages (the site root included).</summary>
    public static bool IsPortal(PathString path) => path == "/" || Paths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The form posts that may carry files.</summary>
    public static bool TakesFiles(HttpRequest request)
        => HttpMethods.IsPost(request.Method) && (request.Path.StartsWithSegments("/request") || request.Path.StartsWithSegments("/my/t"));

    public static IServiceCollection AddPortal(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PortalOptions>().Bind(configuration.GetSection(PortalOptions.Section));
        services.AddLocalization();
        services.AddRazorPages(o => o.RootDirectory = "/Portal/Pages");
        services.AddSingleton<HelpCenter>();
        services.AddSingleton<FormGuard>();
        services.AddSingleton<PortalFiles>();
        services.AddSingleton<PortalMail>();
        services.AddSingleton<IJobHandler>(sp => sp.GetRequiredService<PortalMail>());
        services.AddSingleton<IChannelAdapter>(sp => new PortalChannel(ActivatorUtilities.CreateInstance<Email.EmailChannel>(sp)));
        services.AddSingleton<PortalAccess>();
        services.AddSingleton<Verifications>();
        services.AddSingleton<ContactInfo>();
        services.AddAuthentication().AddCookie(PortalAccess.Scheme, o =>
        {
            o.Cookie.Name = "loopdesk.portal";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/my";
            o.AccessDeniedPath = "/my";
        });
        services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(PortalAccess.Scheme)
            .Configure<Microsoft.Extensions.Options.IOptions<PortalOptions>>((o, portal) =>
            {
                o.ExpireTimeSpan = TimeSpan.FromDays(Math.Max(1, portal.Value.SessionDays));
                o.SlidingExpiration = false;
            });
        services.AddOutputCache(o => o.AddPolicy(PageCache, b => b
            .Expire(TimeSpan.FromSeconds(30))
            // the front page shows the current incidents: a change to one evicts the portal's pages with the status page's
            .Tag(Incidents.StatusCache.Tag)
            .SetVaryByRouteValue("slug")
            .SetVaryByQuery("q", "lang")
            .VaryByValue(context => new KeyValuePair<string, string>("culture", CultureInfo.CurrentUICulture.Name + "|" + context.Request.Cookies[ExpertiseCookie]))
            // a signed-in customer's header differs: only anonymous visitors share a page
            .With(context => !context.HttpContext.Request.Cookies.ContainsKey("loopdesk.portal"))));
        services.Configure<RateLimiterOptions>(o => o.AddPolicy(FormLimit, context =>
        {
            var portal = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<PortalOptions>>().Value;
            // pages are read freely; what a page posts is limited per address
            if (!HttpMethods.IsPost(context.Request.Method) || portal.FormPostsPerWindow <= 0) return RateLimitPartition.GetNoLimiter("read");
            return RateLimitPartition.GetFixedWindowLimiter("f:" + context.Connection.RemoteIpAddress, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = portal.FormPostsPerWindow,
                Window = TimeSpan.FromSeconds(Math.Max(1, portal.FormWindowSeconds)),
                QueueLimit = 0,
            });
        }));
        return services;
    }

    /// <summary>The portal's language for this request (cookie, then the browser's Accept-Language), for its pages only.</summary>
    public static WebApplication UsePortal(this WebApplication app)
    {
        var localization = new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture("en"),
            SupportedCultures = Cultures,
            SupportedUICultures = Cultures,
            FallBackToParentCultures = true,
            FallBackToParentUICultures = true,
        };
        localization.RequestCultureProviders = [new CookieRequestCultureProvider { CookieName = CultureCookie }, new AcceptLanguageHeaderRequestCultureProvider()];
        app.UseWhen(context => IsPortal(context.Request.Path), branch => branch.UseRequestLocalization(localization));
        // one output cache for the portal's and the status page's public pages
        app.UseOutputCache();
        app.UseStatusPageCache();
        return app;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.MapRazorPages().RequireRateLimiting(FormLimit);
        return app;
    }
}
