// CriuComparison: the blackout benchmark's "checkpoint to disk" row (docs/criu.md). Runs the guest
// scenario "criu" — Debian's criu dumps lucache with N MiB of items to a virtio disk, the VM reboots
// cold, criu restores it and every item is verified — and times it with the host's clock from the
// guest's marks (dump-start → dumped, restore-start → restored, dump-start → restored / verified).
// Returns the spans of every run, or the plain reason criu could not do it on these kernels.
using System.Text;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Benchmarks;

/// <summary>One dump → cold reboot → restore → verify, on the host's clock.</summary>
public sealed record CriuRun(
    TimeSpan Dump,
    TimeSpan Restore,
    TimeSpan DumpStartToRestored,
    TimeSpan DumpStartToVerified,
    double ImageMiB,
    string RunDirectory);

/// <summary>Either the runs (Failure null) or why criu did not work (Runs holds the runs that did).</summary>
public sealed record CriuOutcome(int Mib, IReadOnlyList<CriuRun> Runs, string? Failure, string? CriuCheck)
{
    public bool Works => Failure is null && Runs.Count > 0;
}

public static class CriuComparison
{
    public const string Scenario = ScenarioNames.Criu;

    /// <summary>Same kernels as the live update it is compared with (7.2 → 7.3), crossed by a cold reboot.</summary>
    public static readonly IReadOnlyList<string> DefaultChain = ["7.2", "7.3"];

    public static async Task<CriuOutcome> RunAsync(ScenarioHarness harness, int mib, int runs, IProgress<string>? progress, CancellationToken ct) =>
        await RunAsync(harness, mib, runs, DefaultChain, progress, ct).ConfigureAwait(false);

    public static async Task<CriuOutcome> RunAsync(ScenarioHarness harness, int mib, int runs, IReadOnlyList<string> chain, IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mib, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        if (!File.Exists("/usr/sbin/criu"))
        {
            return new CriuOutcome(mib, [], "criu is not installed on the host (apt-get install criu; vm/install-deps.sh), so the guest has none", null);
        }
        var done = new List<CriuRun>();
        string? check = null;
        for (var i = 0; i < runs; i++)
        {
            progress?.Report($"criu run {i + 1}/{runs}: {mib} MiB, chain {string.Join(" → ", chain)} (cold reboot)");
            var (run, failure, checkOutput) = await RunOnceAsync(harness, mib, chain, progress, ct).ConfigureAwait(false);
            check ??= checkOutput;
            if (failure is not null)
            {
                return new CriuOutcome(mib, done, failure, check);
            }
            done.Add(run!);
            progress?.Report($"criu run {i + 1}: dump {run!.Dump.TotalSeconds:0.00} s, restore {run.Restore.TotalSeconds:0.00} s, " +
                $"dump-start → restored {run.DumpStartToRestored.TotalSeconds:0.00} s, → verified {run.DumpStartToVerified.TotalSeconds:0.00} s, images {run.ImageMiB:0.0} MiB");
        }
        return new CriuOutcome(mib, done, null, check);
    }

    private static async Task<(CriuRun? Run, string? Failure, string? Check)> RunOnceAsync(
        ScenarioHarness harness, int mib, IReadOnlyList<string> chain, IProgress<string>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(harness.Cache.RunsDirectory);
        var disk = Path.Combine(harness.Cache.RunsDirectory, $".criu-disk-{Environment.ProcessId}-{Guid.NewGuid():N}.img");
        try
        {
            // Room for the images (the arena, the .NET heap and code) twice over; sparse, so cheap.
            await CreateDiskAsync(disk, 2L * mib + 1024, ct).ConfigureAwait(false);
            var marks = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            var gate = new Lock();
            void OnLine(ObservedGuestLine observed)
            {
                var line = observed.Line;
                if (line.Type == "mark" && line.Name is { } name)
                {
                    lock (gate)
                    {
                        marks[name] = observed.At;
                    }
                }
                else if (line.Type == "step")
                {
                    var detail = (line.Detail ?? "").ReplaceLineEndings(" ");
                    progress?.Report($"  guest hop {line.Hop} ({line.Release}): {(line.Ok == true ? "ok  " : "FAIL")} {line.Name} ({line.Ms:0} ms)" +
                        (detail.Length == 0 ? "" : " — " + (detail.Length > 200 ? detail[..200] + "…" : detail)));
                }
            }
            var request = new VmRunRequest(Scenario, chain)
            {
                Timeout = TimeSpan.FromMinutes(10 + mib / 64),
                DiskImage = disk,
                ColdRebootBetweenHops = true,
                ScenarioParameters = [GuestCommandLineKeys.Word(GuestCommandLineKeys.CriuMib, mib)],
                OnGuestLine = OnLine,
            };
            var result = await harness.RunScenarioAsync(request, ct).ConfigureAwait(false);
            string? Detail(string step) => result.Report.Steps.LastOrDefault(s => s.Name == step)?.Detail;
            var check = Detail(StepNames.Criu.Check);
            // `criu check` may fail on features this process does not use; the verdict is the verify.
            var worked = result.Report.Steps.Any(s => s is { Name: StepNames.Criu.Verify, Ok: true })
                && result.Report.Steps.Where(s => s.Name != StepNames.Criu.Check).All(s => s.Ok);
            if (!worked)
            {
                return (null, Explain(result), check);
            }
            TimeSpan Mark(string name) => marks.TryGetValue(name, out var at) ? at
                : throw new HarnessException($"the guest passed but its mark '{name}' never reached the host; see {result.ResultsLog}");
            var run = new CriuRun(
                Mark(StepNames.Criu.DumpedMark) - Mark(StepNames.Criu.DumpStartMark),
                Mark(StepNames.Criu.RestoredMark) - Mark(StepNames.Criu.RestoreStartMark),
                Mark(StepNames.Criu.RestoredMark) - Mark(StepNames.Criu.DumpStartMark),
                Mark(StepNames.Criu.VerifiedMark) - Mark(StepNames.Criu.DumpStartMark),
                ImageMiB(Detail(StepNames.Criu.Dump)),
                result.RunDirectory);
            return (run, null, check);
        }
        finally
        {
            File.Delete(disk);
        }
    }

    /// <summary>The first failed step in plain words (criu's own error and log tail are in its detail).</summary>
    private static string Explain(VmRunResult result)
    {
        var text = new StringBuilder();
        var failed = result.Report.Steps.Where(s => !s.Ok).ToList();
        // criu check failing is only informational when the dump or restore failed for another reason.
        var decisive = failed.FirstOrDefault(s => s.Name != StepNames.Criu.Check) ?? failed.FirstOrDefault();
        if (decisive is not null)
        {
            var what = decisive.Name switch
            {
                StepNames.Criu.Check => "criu check",
                StepNames.Criu.Dump => "criu dump failed",
                StepNames.Criu.Restore => "criu restore failed",
                StepNames.Criu.Verify => "the restored cache did not verify",
                _ => decisive.Name,
            };
            text.Append(what).Append(": ");
            if (KerndatFailure(decisive.Detail) is { } kerndat)
            {
                text.Append("criu cannot start on this kernel, its kernel-feature probe fails at: ").Append(kerndat).Append(". Full output: ");
            }
            text.Append(decisive.Detail);
        }
        else
        {
            text.Append(string.Join("; ", result.FailureReasons));
        }
        text.Append($" (run directory {result.RunDirectory})");
        return text.ToString();
    }

    /// <summary>
    /// criu's start-up probe ("kerndat") failing stops every criu command before it looks at any
    /// process; the error line just before "… failed when initializing kerndat." names the cause
    /// (e.g. "vdso: Unexpected rt vDSO area bounds"). Null when the output is not such a failure.
    /// </summary>
    public static string? KerndatFailure(string output)
    {
        var lines = output.Split('\n').Select(l => l.Trim()).ToArray();
        var at = Array.FindIndex(lines, l => l.Contains("failed when initializing kerndat", StringComparison.Ordinal));
        for (var i = at - 1; at > 0 && i >= 0; i--)
        {
            var error = lines[i].IndexOf("): ", StringComparison.Ordinal);
            if (lines[i].StartsWith("Error (", StringComparison.Ordinal) && error > 0 && !lines[i].Contains("Failed to fill", StringComparison.Ordinal))
            {
                return lines[i][(error + 3)..];
            }
        }
        return null;
    }

    private static double ImageMiB(string? dumpDetail)
    {
        // "...; images 123.4 MiB; ..."
        const string Marker = "images ";
        var at = dumpDetail?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return double.NaN;
        }
        var rest = dumpDetail![(at + Marker.Length)..];
        var end = rest.IndexOf(' ');
        return double.TryParse(end < 0 ? rest : rest[..end], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var mib) ? mib : double.NaN;
    }

    private static async Task CreateDiskAsync(string path, long mib, CancellationToken ct)
    {
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.SetLength(mib << 20);
        }
        var mkfs = HostPrerequisites.FindInPath("mkfs.ext4") ?? "/sbin/mkfs.ext4";
        await new ExternalCommand(mkfs, ["-q", "-F", "-L", "criu", path])
            .CaptureCheckedAsync("mkfs.ext4 comes with e2fsprogs (apt-get install e2fsprogs).", ct).ConfigureAwait(false);
    }
}
