using System.Globalization;
using Loopdesk.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
// scripts stop the harness with SIGTERM: it stops the servers it started before it ends
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});

try
{
    var options = Options.Parse(args);
    return options.Command switch
    {
        "run" => await Bench.RunAsync(options, cancel.Token),
        "idle" => await Bench.IdleAsync(options, cancel.Token),
        "search" => await Bench.SearchOnlyAsync(options, cancel.Token),
        "report" => Bench.WriteReport(options),
        "rules" => await RulesBench.RunAsync(options, cancel.Token),
        "rules-report" => RulesBench.WriteReport(options),
        "email" => await EmailBench.RunAsync(options, cancel.Token),
        "email-report" => EmailBench.WriteReport(options),
        "workspace" => await WorkspaceBench.RunAsync(options, cancel.Token),
        "workspace-report" => WorkspaceBench.WriteReport(options),
        "portal" => await PortalBench.RunAsync(options, cancel.Token),
        "chat" => await ChatBench.RunAsync(options, cancel.Token),
        "chat-report" => ChatBench.WriteReport(options),
        _ => Options.Usage($"unknown command '{options.Command}'"),
    };
}
catch (ArgumentException e)
{
    return Options.Usage(e.Message);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
