using Loopdesk.Platform.Cli;

namespace Loopdesk;

/// <summary>The one binary: <c>loopdesk [serve] | migrate | admin create | token create | seed-demo</c>.</summary>
public sealed class Program
{
    private Program() { }

    public static Task<int> Main(string[] args) => LoopdeskCli.RunAsync(args);
}
