// GuestCommand: runs a program inside the guest to completion and captures what it printed
// (both streams read concurrently, so neither pipe can fill and stall the child). One piece for
// every scenario that runs luoctl, lucache, mount or criu and reports their output.
using System.Diagnostics;

namespace LiveUpdate.Guest.Scenarios;

public static class GuestCommand
{
    public sealed record Outcome(int ExitCode, string Output, string Error)
    {
        /// <summary>Standard output, then standard error on a line of its own when there is any.</summary>
        public string Combined => Error.Length == 0 ? Output : Output.Length == 0 ? Error : Output + "\n" + Error;
    }

    public static Task<Outcome> RunAsync(string program, params string[] arguments) =>
        RunAsync(new ProcessStartInfo(program, arguments));

    /// <summary>Runs <paramref name="start"/> (its streams are redirected here) and waits for it to exit.</summary>
    public static async Task<Outcome> RunAsync(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new Outcome(process.ExitCode, await output, await error);
    }

    /// <summary>Runs lucache (the cache sample) and returns the last line it printed; fails with its output if it fails.</summary>
    public static async Task<string> LucacheAsync(params string[] arguments)
    {
        var outcome = await RunAsync("/opt/liveupdate/lucache", arguments);
        string lastLine = outcome.Output.Trim().Split('\n')[^1];
        if (outcome.ExitCode != 0)
            throw new InvalidOperationException($"lucache {arguments[0]} exited {outcome.ExitCode}: {lastLine} {outcome.Error.Trim()}");
        return lastLine;
    }
}
