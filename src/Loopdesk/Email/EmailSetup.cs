using Loopdesk.Jobs;
using Loopdesk.Platform;
using Loopdesk.Rules;
using Microsoft.AspNetCore.DataProtection;

namespace Loopdesk.Email;

/// <summary>Registers the email channel: the inbound pipeline, the IMAP poller, SMTP delivery, and the key ring that protects mailbox secrets.</summary>
public static class EmailSetup
{
    public static IServiceCollection AddEmail(this IServiceCollection services, IConfiguration configuration)
    {
        var dataDirectory = configuration[$"{LoopdeskOptions.Section}:DataDirectory"] ?? new LoopdeskOptions().DataDirectory;
        services.AddDataProtection()
            .SetApplicationName("Loopdesk")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(Path.GetFullPath(dataDirectory), "keys")));
        services.AddSingleton<MailSecrets>();
        services.AddSingleton<Tickets.FileStore>();
        services.AddSingleton<MailboxCache>();
        services.AddSingleton<MailIngest>();
        services.AddHostedService(sp => sp.GetRequiredService<MailIngest>());
        services.AddSingleton<IJobHandler, MailProcessHandler>();
        services.AddSingleton<IJobHandler, MailSweepHandler>();
        services.AddSingleton<SmtpPool>();
        services.AddSingleton<EmailChannel>();
        services.AddSingleton<IChannelAdapter>(sp => sp.GetRequiredService<EmailChannel>());
        services.AddSingleton<MailboxPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<MailboxPoller>());
        return services;
    }
}
