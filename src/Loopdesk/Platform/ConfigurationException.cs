namespace Loopdesk.Platform;

/// <summary>
/// A setting that stops the start. Its message names the setting and the rule it breaks, and is all the operator sees:
/// the command line prints it alone, without a stack trace, and exits non-zero (<see cref="Cli.LoopdeskCli.ConfigurationError"/>).
/// </summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException() { }

    public ConfigurationException(string message) : base(message) { }

    public ConfigurationException(string message, Exception innerException) : base(message, innerException) { }
}
