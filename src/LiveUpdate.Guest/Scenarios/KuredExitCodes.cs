// KuredExitCodes (scenario kured-exit-codes, 7.2 → 7.3): the real luoctl against the real luod,
// run the way kured runs its --reboot-command (docs/kured.md): every failure must exit with its
// documented code and never reboot (boot_id unchanged, /sys/kernel/kexec_loaded 0, nobody told to
// prepare for a NO-GO kernel).
//   Hop 0: luod and participants "cache" (8 MiB) and "stuck" (4 MiB, holds its first prepare ack).
//          NO-GO by command line (no kho=on liveupdate=on) → 11; NO-GO by an image the check
//          cannot read → 11; "stuck" never acknowledges prepare → cancelled, 13, both resume
//          with their bytes intact; luod unreachable → 4; bad usage → 2; `luoctl reboot-required`
//          writes the sentinel for the newer GO kernel (first line its release), removes it for a
//          NO-GO command line (11) and when the candidate is the running kernel (0), and picks
//          the newest vmlinuz-* of a boot directory; then a real `luoctl update` into 7.3.
//   Hop 1: both participants claim and match SHA-256; reboot-required for the running kernel says none.
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;
namespace LiveUpdate.Guest.Scenarios;

public sealed class KuredExitCodes(GuestPlan plan, ResultChannel results)
{
    private const string KexecLoaded = "/sys/kernel/kexec_loaded";
    private const string BootId = "/proc/sys/kernel/random/boot_id";
    private const string Sentinel = "/run/kured/reboot-required";
    private static readonly (string Name, int Mib, ulong Seed)[] Participants = [("cache", 8, 151), ("stuck", 4, 152)];

    public async Task<bool> RunAsync()
    {
        bool ok = await results.StepAsync(StepNames.KuredExitCodes.Setup, async () =>
        {
            var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
            if (!plan.IsFirstHop) return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            await UpdateParticipantProcess.StartAsync("cache", 8, 151);
            await UpdateParticipantProcess.StartAsync("stuck", 4, 152, "--stuck-on-prepare");
            return $"luod ready in {ready.TotalMilliseconds:F0} ms; participants cache (8 MiB) and stuck (4 MiB, holds its first prepare) subscribed; boot_id {ReadBootId()}";
        });
        if (!ok) return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private async Task<bool> BeforeAsync()
    {
        string bootId = ReadBootId();
        string next = $"/boot/{plan.NextTag}/bzImage";
        string current = $"/boot/{plan.CurrentTag}/bzImage";
        string goCommandLine = plan.NextHopCommandLine.ToString();

        bool ok = await results.StepAsync(StepNames.KuredExitCodes.NoGoCommandLine, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", next, "--append", "console=ttyS0", "--timeout", "10");
            Expect("update with a command line lacking kho=on liveupdate=on", code, LuoctlExitContract.NoGo, error, LiveUpdateProtocol.Errors.PreflightFailed, output);
            return $"exit {code}; {NothingHappened(bootId, prepareHeard: false)}; {Last(error)}";
        });
        ok &= await results.StepAsync(StepNames.KuredExitCodes.NoGoUnreadableImage, async () =>
        {
            // Passes luod's path check ("HdrS" at 0x202, a regular file) but is no kernel the check can read.
            string image = "/tmp/kured-not-a-kernel";
            var bytes = new byte[4096];
            "HdrS"u8.CopyTo(bytes.AsSpan(0x202));
            await File.WriteAllBytesAsync(image, bytes);
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", image, "--append", goCommandLine, "--timeout", "10");
            Expect("update with an unreadable image", code, LuoctlExitContract.NoGo, error, "image-unreadable", output);
            return $"exit {code}; {NothingHappened(bootId, prepareHeard: false)}; {Last(error)}";
        });
        ok &= await results.StepAsync(StepNames.KuredExitCodes.CancelledByParticipant, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", next, "--append", goCommandLine, "--timeout", "5");
            Expect("update with a participant that never acknowledges prepare", code, LuoctlExitContract.UpdateCancelled, error, LiveUpdateProtocol.Errors.UpdateCancelled, output);
            if (!error.Contains("stuck", StringComparison.Ordinal)) throw new InvalidOperationException($"the cancel does not name the participant 'stuck': {error}");
            var resumed = new List<string>();
            foreach (var (name, _, _) in Participants)
            {
                string log = "";
                for (int i = 0; i < 100 && !log.Contains("data intact", StringComparison.Ordinal); i++)
                {
                    await Task.Delay(100);
                    log = File.ReadAllText(UpdateParticipantProcess.LogOf(name));
                }
                if (!log.Contains("data intact", StringComparison.Ordinal))
                    throw new InvalidOperationException($"participant {name} did not resume with its data intact: {log}");
                resumed.Add($"{name} resumed, data intact");
            }
            return $"exit {code}; {NothingHappened(bootId, prepareHeard: true)}; {string.Join(", ", resumed)}; {Last(error)}";
        });
        ok &= await results.StepAsync(StepNames.KuredExitCodes.LuodUnreachable, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--socket", "/run/luod/nobody.sock", "--kernel", next, "--reuse-cmdline");
            Expect("update with no luod at --socket", code, LuoctlExitContract.LuodUnreachable, error, "cannot reach luod", output);
            return $"exit {code}; {NothingHappened(bootId, prepareHeard: true)}; {Last(error)}";
        });
        ok &= await results.StepAsync(StepNames.KuredExitCodes.BadUsage, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", next);
            Expect("update with neither --append nor --reuse-cmdline", code, LuoctlExitContract.Usage, error, "--append", output);
            var (unknown, unknownOutput, unknownError) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", next, "--reuse-cmdline", "--reboot-now");
            Expect("update with an unknown option", unknown, LuoctlExitContract.Usage, unknownError, "--reboot-now", unknownOutput);
            return $"exit {code} and {unknown}; {NothingHappened(bootId, prepareHeard: true)}";
        });
        ok &= await results.StepAsync(StepNames.KuredExitCodes.SentinelWrittenAndCleared, () => SentinelStepsAsync(next, current, goCommandLine));
        if (!ok) return false;
        return await results.StepAsync(StepNames.KuredExitCodes.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => "participants: " + string.Join(" | ", Participants.Select(p =>
                File.Exists(UpdateParticipantProcess.LogOf(p.Name)) ? File.ReadAllText(UpdateParticipantProcess.LogOf(p.Name)).Trim() : "(no log)")));
            return "";
        });
    }

    private static async Task<string> SentinelStepsAsync(string next, string current, string goCommandLine)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Sentinel)!);
        var done = new List<string>();

        var (code, output, error) = await LuodProcess.LuoctlAsync(null, "reboot-required", "--kernel", next, "--sentinel", Sentinel, "--append", goCommandLine);
        if (code != 0 || !File.Exists(Sentinel)) throw new InvalidOperationException($"reboot-required for the newer GO kernel: exit {code}, sentinel {(File.Exists(Sentinel) ? "written" : "missing")}: {output} {error}");
        string nextRelease = File.ReadAllLines(Sentinel)[0];
        string running = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        if (nextRelease == running || nextRelease.Length == 0) throw new InvalidOperationException($"the sentinel names '{nextRelease}', the running kernel is {running}");
        done.Add($"newer GO {nextRelease}: exit 0, written");

        (code, output, error) = await LuodProcess.LuoctlAsync(null, "reboot-required", "--kernel", next, "--sentinel", Sentinel, "--append", "console=ttyS0");
        if (code != LuoctlExitContract.NoGo || File.Exists(Sentinel) || !error.Contains("NO-GO", StringComparison.Ordinal))
            throw new InvalidOperationException($"reboot-required for a NO-GO command line: exit {code} (expected {LuoctlExitContract.NoGo}), sentinel {(File.Exists(Sentinel) ? "still there" : "removed")}: {output} {error}");
        done.Add($"NO-GO: exit {code}, removed");

        // A boot directory as Debian lays it out: the newest vmlinuz-* by version order is the candidate.
        string boot = Directory.CreateDirectory("/tmp/kured-boot").FullName;
        File.CreateSymbolicLink(Path.Combine(boot, $"vmlinuz-{running}"), current);
        File.CreateSymbolicLink(Path.Combine(boot, $"vmlinuz-{nextRelease}"), next);
        (code, output, error) = await LuodProcess.LuoctlAsync(null, "reboot-required", "--boot-dir", boot, "--sentinel", Sentinel, "--append", goCommandLine);
        if (code != 0 || !File.Exists(Sentinel) || File.ReadAllLines(Sentinel)[0] != nextRelease)
            throw new InvalidOperationException($"reboot-required --boot-dir {boot}: exit {code}, sentinel {(File.Exists(Sentinel) ? File.ReadAllLines(Sentinel)[0] : "missing")}: {output} {error}");
        done.Add($"--boot-dir picked vmlinuz-{nextRelease}: written");

        (code, output, error) = await LuodProcess.LuoctlAsync(null, "reboot-required", "--kernel", current, "--sentinel", Sentinel, "--append", goCommandLine);
        if (code != 0 || File.Exists(Sentinel) || !output.Contains("already the newest", StringComparison.Ordinal))
            throw new InvalidOperationException($"reboot-required for the running kernel: exit {code}, sentinel {(File.Exists(Sentinel) ? "still there" : "removed")}: {output} {error}");
        done.Add("the running kernel: exit 0, removed");
        string loaded = File.ReadAllText(KexecLoaded).Trim();
        if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded} after reboot-required: it must never stage anything");
        return string.Join("; ", done);
    }

    private async Task<bool> AfterAsync()
    {
        bool ok = true;
        foreach (var (name, mib, seed) in Participants)
        {
            ok &= await results.StepAsync(StepNames.KuredExitCodes.Resume + "." + name, async () =>
            {
                var (code, output) = await UpdateParticipantProcess.ResumeAsync(name, mib, seed);
                if (code != 0 || !output.Contains("intact", StringComparison.Ordinal)) throw new InvalidOperationException($"participant {name} exited {code}: {output}");
                return output;
            });
        }
        ok &= await results.StepAsync(StepNames.KuredExitCodes.SentinelAfterUpdate, async () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Sentinel)!);
            await File.WriteAllTextAsync(Sentinel, "left from before the update\n");
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "reboot-required", "--kernel", $"/boot/{plan.CurrentTag}/bzImage", "--sentinel", Sentinel);
            if (code != 0 || File.Exists(Sentinel)) throw new InvalidOperationException($"reboot-required in the new kernel: exit {code}, sentinel {(File.Exists(Sentinel) ? "still there" : "removed")}: {output} {error}");
            return output;
        });
        return ok;
    }

    private static void Expect(string what, int code, int expected, string error, string mustName, string output)
    {
        if (code != expected || !(error + output).Contains(mustName, StringComparison.Ordinal))
            throw new InvalidOperationException($"luoctl {what}: exit {code} (expected {expected}, naming '{mustName}'): {output} {error}");
    }

    /// <summary>No reboot (same boot_id), nothing staged, and (unless it was allowed) no participant told to prepare.</summary>
    private static string NothingHappened(string bootId, bool prepareHeard)
    {
        string now = ReadBootId();
        if (now != bootId) throw new InvalidOperationException($"boot_id changed from {bootId} to {now}");
        string loaded = File.ReadAllText(KexecLoaded).Trim();
        if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded}: a kernel is staged");
        if (!prepareHeard)
            foreach (var (name, _, _) in Participants)
                if (File.ReadAllText(UpdateParticipantProcess.LogOf(name)).Contains("prepare", StringComparison.Ordinal))
                    throw new InvalidOperationException($"participant {name} was told to prepare for a NO-GO kernel");
        return $"boot_id {now} unchanged, kexec_loaded 0";
    }

    private static string ReadBootId() => File.ReadAllText(BootId).Trim();

    private static string Last(string error) => error.Trim().Split('\n')[^1];
}
