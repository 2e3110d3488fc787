// LuoctlProcess: runs the luoctl this checkout built (luoctl.dll of the test's configuration)
// as its own process, the way scripts and kured run it, and returns its exit code and output.
// Shared by the luoctl tests (LuoctlTests, LuoctlExitCodeTests, RebootRequiredTests).
using System.Diagnostics;

namespace LiveUpdate.Client.Tests;

public static class LuoctlProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>The checkout's root (where LiveUpdate.sln is), above the test's directory.</summary>
    public static string CheckoutRoot()
    {
        string root = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        while (!File.Exists(Path.Combine(root, "LiveUpdate.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("LiveUpdate.sln not found above the test's directory");
        return root;
    }

    /// <summary>luoctl.dll of the same configuration as this test (the project reference builds it first).</summary>
    private static string LuoctlPath()
    {
        string directory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string framework = Path.GetFileName(directory);
        string configuration = Path.GetFileName(Path.GetDirectoryName(directory)!);
        return Path.Combine(CheckoutRoot(), "src", "LiveUpdate.Cli", "bin", configuration, framework, "luoctl.dll");
    }

    public static Task<Result> RunAsync(params string[] arguments) => RunAsync(InProcessLuod.Timeout, arguments);

    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(LuoctlPath());
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("LUOD_SOCKET");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
