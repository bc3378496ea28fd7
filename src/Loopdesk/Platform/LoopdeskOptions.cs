namespace Loopdesk.Platform;

/// <summary>The "Loopdesk" configuration section. Every name here is documented in docs/configuration.md.</summary>
public sealed class LoopdeskOptions
{
    public const string Section = "Loopdesk";

    /// <summary>The section as configured. A value of the wrong type ("abc" for a number) stops the start with the binder's message, which names the setting.</summary>
    public static LoopdeskOptions Read(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(Section).Get<LoopdeskOptions>() ?? new LoopdeskOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(e.Message, e);
        }
    }

    /// <summary>Where the SQLite file (and later the file store) lives. Default ./data.</summary>
    public string DataDirectory { get; set; } = "./data";

    public DatabaseOptions Database { get; set; } = new();

    public ApiOptions Api { get; set; } = new();

    /// <summary>The address customers reach this server at, for links in messages (survey answers). Default http://localhost:5080.</summary>
    public string PublicUrl { get; set; } = "http://localhost:5080";

    public CompanyOptions Company { get; set; } = new();

    public Jobs.JobOptions Jobs { get; set; } = new();

    public RulesOptions Rules { get; set; } = new();

    public Email.EmailOptions Email { get; set; } = new();

    public WorkspaceOptions Workspace { get; set; } = new();

    /// <summary>
    /// A Redis configuration string (e.g. "127.0.0.1:6379"). When set, live chat runs across several server processes:
    /// SignalR uses the Redis backplane and agents' screens hear chats through Redis. Default none (one process).
    /// </summary>
    public string? Redis { get; set; }
    public Credits.CreditOptions Credits { get; set; } = new();

    public Incidents.StatusOptions Status { get; set; } = new();
}

/// <summary>The "Loopdesk:Workspace" settings.</summary>
public sealed class WorkspaceOptions
{
    /// <summary>Every staff member must turn on two-factor sign-in (TOTP) before using the workspace. Default false.</summary>
    public bool RequireTwoFactor { get; set; }
}

/// <summary>Who "we" are in what the rules write.</summary>
public sealed class CompanyOptions
{
    /// <summary>The name signed under messages. Default "Customer Service".</summary>
    public string Name { get; set; } = "Customer Service";

    /// <summary>The time zone times are written in for customers who have none (an IANA id). Default UTC.</summary>
    public string TimeZone { get; set; } = "UTC";
}

public sealed class RulesOptions
{
    /// <summary>Let webhook actions call loopback and private network addresses. Default false.</summary>
    public bool AllowPrivateWebhooks { get; set; }

    /// <summary>How often rules on the time.elapsed event (automations) are tried on the unresolved tickets. Default 3600, at least 60.</summary>
    public int AutomationIntervalSeconds { get; set; } = 3600;
}

public sealed class DatabaseOptions
{
    /// <summary>"sqlite" (default) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For SQLite, defaults to a file loopdesk.db under the data directory.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Apply pending migrations when the server starts. Default true.</summary>
    public bool MigrateOnStart { get; set; } = true;
}

public sealed class ApiOptions
{
    /// <summary>Largest request body accepted, in bytes; larger is 413. Default 10 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Requests per second one caller (a signed-in staff member, else an address) may make; 0 turns the limit off.</summary>
    public int RequestsPerSecond { get; set; } = 500;
}
