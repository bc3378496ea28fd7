using System.Runtime.CompilerServices;
using System.Text;

namespace Loopdesk.Tests.Infrastructure;

/// <summary>What the server does first when it starts, done as the test process starts, before any test uses MimeKit.</summary>
internal static class ProcessSetup
{
#pragma warning disable CA2255 // the test assembly is the process's entry here, as the server's host is in production
    [ModuleInitializer]
    internal static void Start() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
#pragma warning restore CA2255
}
