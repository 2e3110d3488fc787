// BoundedFuzzRunTests: a short AFL++ run of every fuzz target (fuzz/run.sh: SharpFuzz-instrumented
// parsers, the committed seed corpora) as part of the test suite — about 8 s a target, 6
// targets — asserting that AFL ran the target (a nonzero execution count) and found no crash
// and no hang; a failure names each crashing or hanging input in base64, since the run's output
// directory does not outlive the test. The long campaign (>= 1 million executions a target) is
// fuzz/run.sh by hand; docs/fuzzing.md has its figures.
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LiveUpdate.Fuzzing.Tests;

public sealed partial class BoundedFuzzRunTests
{
    private const int SecondsPerTarget = 8;

    [Fact]
    public async Task Every_target_runs_under_afl_without_a_crash_or_a_hang()
    {
        string root = RepositoryRoot();
        string output = Path.Combine(Path.GetTempPath(), $"liveupdate-fuzz-{Environment.ProcessId}");
        var start = new ProcessStartInfo("bash", [Path.Combine(root, "fuzz", "run.sh"), "all", "100000000", SecondsPerTarget.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        start.Environment["FUZZ_OUT"] = output;
        try
        {
            using var run = Process.Start(start)!;
            var stderr = run.StandardError.ReadToEndAsync();
            var stdout = run.StandardOutput.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(6));
            await run.WaitForExitAsync(deadline.Token);
            string report = await stdout + await stderr;
            foreach (string target in new[] { "varlink-framing", "protocol-parameters", "daemon-abi", "preflight", "telemetry", "lucache-text", "kho-handover" })
            {
                var line = TargetLine().Matches(report).FirstOrDefault(m => m.Groups["target"].Value == target);
                Assert.True(line is not null, $"no figures for {target} in:\n{report}\n{Log(output, target)}");
                Assert.True(long.Parse(line.Groups["execs"].Value) > 0, $"{target} ran no execution:\n{report}");
                Assert.True(line.Groups["crashes"].Value == "0" && line.Groups["hangs"].Value == "0",
                    $"{target} found crashes or hangs: {line.Value}\n{Findings(output, target)}");
            }
            Assert.Equal(0, run.ExitCode);
        }
        finally
        {
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        }
    }

    // The output directory is deleted below, so the failure message carries the inputs
    // themselves (base64, for `--replay` and a regression test). The seeds are a few hundred
    // bytes and AFL's findings near that; a larger one is cut to its first 64 KiB.
    private const int MaxReportedInputBytes = 64 * 1024;

    private static string Findings(string output, string target)
    {
        var lines = new List<string>();
        foreach (string kind in new[] { "crashes", "hangs" })
        {
            string directory = Path.Combine(output, target, "default", kind);
            if (!Directory.Exists(directory)) continue;
            foreach (string file in Directory.GetFiles(directory, "id:*").Order(StringComparer.Ordinal))
            {
                byte[] input = File.ReadAllBytes(file);
                string cut = input.Length > MaxReportedInputBytes ? $" (first {MaxReportedInputBytes} of {input.Length} bytes)" : "";
                lines.Add($"{kind}/{Path.GetFileName(file)}{cut}: base64 {Convert.ToBase64String(input.AsSpan(0, Math.Min(input.Length, MaxReportedInputBytes)))}");
            }
        }
        return string.Join('\n', lines);
    }

    private static string Log(string output, string target)
    {
        string path = Path.Combine(output, target + ".log");
        return File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "";
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "fuzz", "run.sh")))
                return directory.FullName;
        throw new InvalidOperationException("fuzz/run.sh not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^(?<target>[a-z-]+): execs_done=(?<execs>\d+) .* crashes=(?<crashes>\d+) hangs=(?<hangs>\d+)$", RegexOptions.Multiline)]
    private static partial Regex TargetLine();
}
