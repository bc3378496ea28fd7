using System.Diagnostics;
using System.IO.Compression;

namespace Loopdesk.Tests.Chat;

/// <summary>
/// The chat widget as the build leaves it (src/Loopdesk/wwwroot/chat/widget.js, bundled from src/Loopdesk.Widget), and
/// the widget's own TypeScript: its type check and its logic tests under Node's test runner.
/// </summary>
public sealed class WidgetTests
{
    private const int BudgetBytes = 35 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_built_widget_is_one_script_of_at_most_35_KB_gzipped_that_never_parses_html()
    {
        var path = Path.Combine(RepoRoot(), "src", "Loopdesk", "wwwroot", "chat", "widget.js");
        Assert.True(File.Exists(path), "the build did not write wwwroot/chat/widget.js");
        var script = await File.ReadAllBytesAsync(path, Ct);
        Assert.InRange(Gzipped(script), 1, BudgetBytes);

        var text = System.Text.Encoding.UTF8.GetString(script);
        // an IIFE that leaves nothing behind on the page but its one marker
        Assert.StartsWith("\"use strict\";(()=>{", text, StringComparison.Ordinal);
        // messages are shown with textContent: nothing in the bundle parses a string as HTML
        foreach (var parser in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(" })
        {
            Assert.DoesNotContain(parser, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_widget_type_checks()
    {
        var (exit, output) = await NodeAsync("node_modules/typescript/bin/tsc", "--noEmit", "-p", ".");
        Assert.True(exit == 0, "tsc --noEmit found errors:\n" + output);
    }

    [Fact]
    public async Task The_widgets_logic_tests_pass_under_node()
    {
        var (built, buildOutput) = await NodeAsync("build.mjs", "--tests");
        Assert.True(built == 0, "building the widget's tests failed:\n" + buildOutput);
        var tests = Directory.GetFiles(Path.Combine(WidgetDirectory, "obj", "tests"), "*.test.mjs");
        Assert.NotEmpty(tests);
        var (exit, output) = await NodeAsync(["--test", "--test-reporter=tap", .. tests]);
        Assert.True(exit == 0, "the widget's logic tests failed:\n" + output);
        Assert.Matches(@"# pass [1-9]\d*", output);
        Assert.Contains("# fail 0", output, StringComparison.Ordinal);
    }

    private static string WidgetDirectory => Path.Combine(RepoRoot(), "src", "Loopdesk.Widget");

    internal static int Gzipped(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(content);
        return (int)buffer.Length;
    }

    private static async Task<(int Exit, string Output)> NodeAsync(params string[] args)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = WidgetDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("node could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await stdout + await stderr);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Loopdesk.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Loopdesk.slnx not found above the test binary");
    }
}
