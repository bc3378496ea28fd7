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

try
{
    var options = Options.Parse(args);
    return options.Command switch
    {
        "run" => await Bench.RunAsync(options, cancel.Token),
        "idle" => await Bench.IdleAsync(options, cancel.Token),
        "report" => Bench.WriteReport(options),
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
