using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Loopdesk.Email;
using Loopdesk.Agents;
using Loopdesk.Customers;
using Loopdesk.Incidents;
using Loopdesk.Lexicon;
using Loopdesk.Rules;
using Loopdesk.Data;
using Loopdesk.Organizations;
using Loopdesk.Search;
using Loopdesk.Teams;
using Loopdesk.Tickets;
using Loopdesk.Web;
using Loopdesk.Platform.Auth;
using Loopdesk.Portal;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using Scalar.AspNetCore;
using Serilog;

namespace Loopdesk.Platform;

/// <summary>Builds the one web host every command shares: configuration, logging, database, auth, API.</summary>
public static class LoopdeskHost
{
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // the legacy charsets mail still arrives in (GB2312, Shift_JIS, ISO-2022-JP, KOI8-R, Windows-125x), before
        // anything uses MimeKit: it takes stock of the encodings there are the first time it looks one up
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        // settings files sit beside the binary, wherever it is started from; relative data paths stay relative to the working directory
        var contentRootGiven = args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = contentRootGiven ? null : AppContext.BaseDirectory });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // the workspace's scripts and styles (the framework's, MudBlazor's, ours) come from the build's asset manifest when run
        // from a build rather than a publish, in every environment
        builder.WebHost.UseStaticWebAssets();

        builder.Services.AddSerilog((services, log) => log
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            .WriteTo.Console(new Serilog.Formatting.Compact.RenderedCompactJsonFormatter()));

        var services = builder.Services;
        services.AddOptions<LoopdeskOptions>().Bind(builder.Configuration.GetSection(LoopdeskOptions.Section));
        services.TryAddSingletonTimeProvider();
        services.AddMemoryCache();
        services.AddLoopdeskDatabase(builder.Configuration);
        services.AddHostedService<DatabaseMigrator>();
        services.AddHostedService<AdminBootstrap>();
        if (OperatingSystem.IsLinux())
            services.AddHostedService<NativeHeap>();
        services.AddSingleton<StaffCache>();
        services.AddSingleton<Tickets.HtmlCleaner>();
        services.AddSingleton<Teams.KnownTeams>();
        services.AddScoped<Tickets.TicketCommands>();
        services.AddSingleton<Tickets.TicketWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<Tickets.TicketWriter>());
        services.AddScoped<Agents.AgentAccounts>();
        services.AddServiceRules();
        services.AddEmail(builder.Configuration);
        Chat.ChatSetup.AddChat(services, builder.Configuration);

        services.AddIdentityCore<StaffUser>(o =>
            {
                o.Password.RequiredLength = 10;
                // length over composition rules (NIST SP 800-63B)
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.User.RequireUniqueEmail = true;
                o.Lockout.MaxFailedAccessAttempts = 10;
            })
            .AddEntityFrameworkStores<LoopdeskDb>()
            .AddSignInManager()
            .AddTokenProvider<AuthenticatorTokenProvider<StaffUser>>(TokenOptions.DefaultAuthenticatorProvider)
            .AddClaimsPrincipalFactory<StaffClaimsFactory>();
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = "loopdesk";
                o.DefaultChallengeScheme = "loopdesk";
            })
            .AddPolicyScheme("loopdesk", "Bearer token or session cookie", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? ApiTokenHandler.SchemeName : IdentityConstants.ApplicationScheme)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokenHandler.SchemeName, null)
            .AddIdentityCookies(c => c.ApplicationCookie?.Configure(o =>
            {
                o.Cookie.Name = "loopdesk";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.LoginPath = "/signin";
                o.AccessDeniedPath = "/denied";
                // an API caller gets a status code; a person in a browser gets the sign-in page
                o.Events.OnRedirectToLogin = context => Deny(context, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = context => Deny(context, StatusCodes.Status403Forbidden);
                o.Events.OnValidatePrincipal = SessionValidation.ValidateAsync;
            }));
        services.AddAuthorizationBuilder().AddLoopdeskPolicies();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = Describe);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddValidation();
        services.AddOpenApi("v1", o => OpenApiSetup.Configure(o));
        services.AddRateLimiter(o => RateLimits.Configure(o, builder.Configuration));
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddMeter(LoopdeskMetrics.MeterName)
            .AddPrometheusExporter());
        services.AddSingleton<LoopdeskMetrics>();
        services.AddWorkspace();
        services.AddIncidents(builder.Configuration);
        services.AddPortal(builder.Configuration);
        return builder;
    }

    public static WebApplication Build(string[] args)
    {
        var app = CreateBuilder(args).Build();
        // checked before the host starts, so a bad value stops it with its message alone and before anything is written
        AdminBootstrap.Read(app.Configuration, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<IdentityOptions>>().Value.Password);
        app.UseSerilogRequestLogging();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestSizeLimit>();
        app.UseMiddleware<EmptyQueryValues>();
        app.UseCors();
        app.UseAuthentication();
        app.UsePortal();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/api/reference", o => o.WithTitle("Loopdesk API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        app.MapHealthChecks("/healthz").AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapWorkspace();
        app.MapStatusFeed();
        app.MapPortal();

        var api = app.MapGroup("/api/v1").RequireRateLimiting(RateLimits.Api);
        api.MapAuth();
        api.MapTickets();
        api.MapCustomers();
        api.MapOrganizations();
        api.MapTeams();
        api.MapAgents();
        api.MapSearch();
        api.MapRules();
        api.MapCommitments();
        api.MapTemplates();
        api.MapLexicon();
        api.MapServiceEndpoints();
        api.MapCustomerProfile();
        Service.SlaEndpoints.MapSla(api);
        api.MapSuggestions();
        api.MapEmail();
        Procedures.ProcedureEndpoints.MapProcedures(api);
        Chat.ChatEndpoints.MapChat(app, api);
        api.MapIncidents();
        Credits.CreditEndpoints.MapCredits(api);
        api.MapHelp();
        Verifications.Map(api);
        return app;
    }

    private static Task Deny(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (Web.WorkspaceSetup.IsPage(context.Request))
        {
            context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        }
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <summary>Every problem gets a stable type and, for validation errors, the first field at fault.</summary>
    private static void Describe(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal))
        {
            problem.Type = Problems.TypePrefix + (problem.Status switch
            {
                400 => "validation",
                401 => "unauthorized",
                403 => "forbidden",
                404 => "not-found",
                405 => "method-not-allowed",
                413 => "too-large",
                415 => "unsupported-media-type",
                429 => "rate-limited",
                _ => "http-" + problem.Status,
            });
        }
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } invalid)
        {
            // the framework names nested members in C# case ("Customer.email"); the API speaks camelCase JSON paths
            var renamed = invalid.Errors.ToDictionary(e => JsonPath(e.Key), e => e.Value);
            invalid.Errors.Clear();
            foreach (var (key, value) in renamed) invalid.Errors[key] = value;
        }
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            if (!problem.Extensions.ContainsKey("field")) problem.Extensions["field"] = validation.Errors.Keys.First();
            problem.Extensions.TryAdd("code", "validation");
            // every error has a detail: the first message, and how many more the errors hold
            var messages = validation.Errors.SelectMany(e => e.Value).ToList();
            problem.Detail ??= messages.Count switch
            {
                0 => "A field is not valid.",
                1 => messages[0],
                _ => $"{messages[0]} ({messages.Count - 1} more in errors)",
            };
        }
        if (problem.Status == 401) problem.Detail ??= "Sign in, or send Authorization: Bearer <token>.";
        if (problem.Status == 415) problem.Detail ??= "Send the body as application/json.";
        if (problem.Status == 415) problem.Extensions.TryAdd("field", "Content-Type");
        if (problem.Status == 403) problem.Detail ??= "Your role does not allow this.";
        problem.Extensions.Remove("traceId");
    }

    private static string JsonPath(string key)
        => string.Join('.', key.Split('.').Select(part => part.Length == 0 ? part : char.ToLowerInvariant(part[0]) + part[1..]));

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}

internal sealed class DatabaseHealthCheck(LoopdeskDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy("database reachable")
                : HealthCheckResult.Unhealthy("database unreachable");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }
}

/// <summary>Application metrics, exported with the ASP.NET Core and runtime ones at /metrics.</summary>
public sealed class LoopdeskMetrics : IDisposable
{
    public const string MeterName = "Loopdesk";
    private readonly System.Diagnostics.Metrics.Meter _meter = new(MeterName);

    public LoopdeskMetrics()
    {
        TicketsCreated = _meter.CreateCounter<long>("loopdesk.tickets.created", description: "Tickets opened, by channel");
        JobsRun = _meter.CreateCounter<long>("loopdesk.jobs.run", description: "Outbox entries and timers run, by kind and outcome (done, retry, parked)");
        MessagesAdded = _meter.CreateCounter<long>("loopdesk.messages.added", description: "Messages and notes added, by channel");
    }

    public System.Diagnostics.Metrics.Counter<long> TicketsCreated { get; }
    public System.Diagnostics.Metrics.Counter<long> MessagesAdded { get; }
    public System.Diagnostics.Metrics.Counter<long> JobsRun { get; }

    public void Dispose() => _meter.Dispose();
}

/// <summary>A per-caller token bucket in front of the API, so one runaway script cannot starve everyone else.</summary>
public static class RateLimits
{
    public const string Api = "api";

    public static void Configure(RateLimiterOptions o, IConfiguration configuration)
    {
        var perSecond = configuration.GetValue($"{LoopdeskOptions.Section}:Api:RequestsPerSecond", 500);
        o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        o.AddPolicy(Api, context =>
        {
            if (perSecond <= 0) return RateLimitPartition.GetNoLimiter("off");
            // per signed-in person (whatever token or cookie), else per address: made-up tokens share their sender's bucket
            var key = context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } agentId
                ? "u:" + agentId
                : "a:" + context.Connection.RemoteIpAddress;
            return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond * 2,
                TokensPerPeriod = perSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
    }
}
