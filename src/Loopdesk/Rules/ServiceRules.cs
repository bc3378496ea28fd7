using Loopdesk.Jobs;
using Loopdesk.Lexicon;
using Loopdesk.Platform;
using Loopdesk.Rules.Builtins;
using Microsoft.Extensions.Options;

namespace Loopdesk.Rules;

/// <summary>Registers the service-rules engine: the job runner (outbox and timers), the rules, the built-ins, templates, lexicon.</summary>
public static class ServiceRules
{
    public static IServiceCollection AddServiceRules(this IServiceCollection services)
    {
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddSingleton<JobSignal>();
        services.AddSingleton<RuleBook>();
        services.AddSingleton<RuleEngine>();
        services.AddSingleton<RuleServices>();
        services.AddSingleton<TemplateStore>();
        services.AddSingleton<Outbound>();
        services.AddSingleton<LexiconService>();
        services.AddSingleton<IJobHandler, RuleTimerHandler>();
        services.AddSingleton<IJobHandler, RuleSweepHandler>();
        services.AddSingleton<IJobHandler, DeliveryHandler>();
        services.AddSingleton<IJobHandler, WebhookHandler>();
        services.AddSingleton<Service.SlaTracker>();
        services.AddSingleton<Service.Router>();
        services.AddSingleton<IServiceExpectations>(sp => sp.GetRequiredService<Service.SlaTracker>());
        services.AddSingleton<IJobHandler>(sp => sp.GetRequiredService<Service.SlaTracker>());
        services.AddHttpClient(WebhookHandler.ClientName, c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var allowPrivate = sp.GetRequiredService<IOptions<LoopdeskOptions>>().Value.Rules.AllowPrivateWebhooks;
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    ConnectCallback = (context, ct) => WebhookHandler.ConnectAsync(context, allowPrivate, ct),
                };
            });
        foreach (var rule in new[] { typeof(CloseTheLoop), typeof(RepeatContact), typeof(FollowUpRouting), typeof(RuleOfThree), typeof(ResolvedMeansAgreed),
                     typeof(PromisesKept), typeof(SilenceNoticed), typeof(Builtins.Language), typeof(KeepInformed), typeof(KnowTheCustomer) })
        {
            services.AddSingleton(typeof(IBuiltinRule), rule);
        }
        return services;
    }

    /// <summary>After migrations: every built-in rule has its row, every shipped lexicon entry is there.</summary>
    public static async Task SeedAsync(IServiceProvider services, Data.LoopdeskDb db, CancellationToken ct)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        await services.GetRequiredService<RuleBook>().EnsureBuiltinsAsync(db, now, ct);
        await services.GetRequiredService<LexiconService>().EnsureDefaultsAsync(db, now, ct);
        await RuleSweepHandler.EnsureAsync(db, now, services.GetRequiredService<IOptions<LoopdeskOptions>>().Value.Rules.AutomationIntervalSeconds, ct);
        await Email.MailSweepHandler.EnsureAsync(db, now, ct);
    }
}
