// SystemdUpdate (scenario systemd-update): LiveUpdate as an operator runs it under real systemd
// 262 (Debian sid). Hop 0: dpkg -i the project's Debian package; the first luoctl connection
// starts luod.service through luod.socket (Type=notify: active only after READY=1) under the
// unit's sandboxing; two SDK participants preserve seeded bytes; `luoctl update` prepares and
// freezes them, and luod asks systemd to kexec, so systemd stops every unit, carries luod's fd
// store (its session fds) across the kexec through LUO, and the next PID 1 hands it back. Hop 1:
// each participant claims, checks SHA-256 and resumes; systemd counted the kexec (KExecCount) and
// luod took its sessions from the fd store; `luoctl report` has every phase and systemd's shutdown.
// Hop 1 → 2 (when the chain has a third kernel): two new participants, then what an operator
// may do without luoctl — `kexec -s -l` and a plain `systemctl kexec`; logind's delay lock
// lets luod freeze them first. Hop 2: they claim and check SHA-256, and the report has the update.
// On the last hop, after everyone resumed: luod frozen with SIGSTOP past WatchdogSec is aborted
// and restarted by systemd, a session it held unchanged.
using LiveUpdate.GuestContract;
using Steps = LiveUpdate.GuestContract.StepNames.SystemdUpdate;

namespace LiveUpdate.Guest.Scenarios;

public sealed class SystemdUpdate(GuestPlan plan, ResultChannel results)
{
    private const string Luoctl = "/usr/bin/luoctl";
    private const string Unit = "luod.service";
    private static readonly (string Name, int Mib, ulong Seed)[] Participants = [(Steps.CacheParticipant, 16, 93), (Steps.VmmParticipant, 8, 94)];
    private static readonly (string Name, int Mib, ulong Seed)[] PlainParticipants = [(Steps.PlainCacheParticipant, 8, 95), (Steps.PlainVmmParticipant, 4, 96)];

    public async Task<bool> RunAsync()
    {
        if (!await results.StepAsync(Steps.Boot, DescribeBootAsync)) return false;
        return plan.Hop switch
        {
            0 => await BeforeAsync(),
            1 => await AfterAsync() && (plan.IsLastHop ? await results.StepAsync(Steps.Watchdog, WatchdogAsync) : await PlainKexecAsync()),
            _ => await AfterPlainKexecAsync() && await results.StepAsync(Steps.Watchdog, WatchdogAsync),
        };
    }

    private async Task<bool> PlainKexecAsync()
    {
        bool ok = await results.StepAsync(Steps.PlainParticipants, () => StartAllAsync(PlainParticipants));
        return ok && await results.StepAsync(Steps.PlainKexec, async () =>
        {
            string initrd = await LuodProcess.CopyInitrdForNextHopAsync();
            await SystemdGuest.RunOkAsync("kexec", "-s", "-l", $"/boot/{plan.NextTag}/bzImage", $"--initrd={initrd}", $"--append={plan.NextHopCommandLine}");
            await results.MarkAsync("systemctl.kexec");
            var outcome = await GuestCommand.RunAsync("systemctl", "kexec");
            // systemd stops this service on the way down; returning means no kexec happened.
            await Task.Delay(TimeSpan.FromSeconds(outcome.ExitCode == 0 ? 120 : 0));
            throw new InvalidOperationException($"systemctl kexec exited {outcome.ExitCode} and the machine did not go down: {outcome.Combined}; participants: "
                + string.Join(" | ", PlainParticipants.Select(p => File.Exists(UpdateParticipantProcess.LogOf(p.Name)) ? File.ReadAllText(UpdateParticipantProcess.LogOf(p.Name)).Trim() : "(no log)")));
        });
    }

    private async Task<bool> AfterPlainKexecAsync()
    {
        bool ok = await ResumeAllAsync(PlainParticipants);
        ok &= await UpdateReportSteps.RunAsync(results, Steps.Prefix, PlainParticipants.Select(p => p.Name).ToList(), UpdateReportSteps.SystemKexecPhases);
        return ok;
    }

    private static async Task<string> DescribeBootAsync()
    {
        // `--wait` returns once start-up is over: "running", or "degraded" with a failed unit (named in the detail).
        var state = await GuestCommand.RunAsync("systemctl", "is-system-running", "--wait");
        string version = (await SystemdGuest.SystemctlAsync("--version")).Split('\n')[0];
        string kexecs = await SystemdGuest.KexecsCountAsync();
        string failed = (await GuestCommand.RunAsync("systemctl", "--failed", "--no-legend", "--plain")).Output.Trim();
        string analyze = (await GuestCommand.RunAsync("systemd-analyze", "time")).Output.Trim().Split('\n')[0];
        return $"{version}; state {state.Output.Trim()}{(failed.Length == 0 ? "" : $" (failed: {failed.Replace('\n', ';')})")}; {kexecs}; {analyze}";
    }

    private async Task<bool> BeforeAsync()
    {
        bool ok = await results.StepAsync(Steps.Install, async () =>
        {
            string installed = await SystemdGuest.RunOkAsync("dpkg", "-i", "/root/liveupdate.deb");
            var socket = await SystemdGuest.ShowAsync("luod.socket", "ActiveState", "UnitFileState", "Listen");
            var service = await SystemdGuest.ShowAsync(Unit, "ActiveState", "UnitFileState");
            if (socket["ActiveState"] != "active" || socket["UnitFileState"] != "enabled" || service["UnitFileState"] != "enabled")
                throw new InvalidOperationException($"after dpkg -i: luod.socket {socket["ActiveState"]}/{socket["UnitFileState"]}, luod.service {service["UnitFileState"]}; dpkg said: {installed}");
            if (service["ActiveState"] != "inactive")
                throw new InvalidOperationException($"luod.service is {service["ActiveState"]} before any client connected: socket activation cannot be shown");
            return $"{installed.Split('\n').LastOrDefault(l => l.StartsWith("Setting up", StringComparison.Ordinal)) ?? installed}; luod.socket listening on {socket["Listen"]}, luod.service enabled, not started";
        });
        ok = ok && await results.StepAsync(Steps.SocketActivation, async () =>
        {
            // `luoctl sessions` asks luod (`luoctl status` is the local preflight): the connection queued on
            // luod.socket starts luod.service; with Type=notify it turns active at READY=1, which
            // luod sends as it starts serving (systemd may see it just after the reply).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            string sessions = await SystemdGuest.RunOkAsync(Luoctl, "sessions", "--json");
            double ms = clock.Elapsed.TotalMilliseconds;
            var service = await SystemdGuest.ShowAsync(Unit, "ActiveState", "SubState", "Type", "MainPID", "StatusText", "WatchdogUSec", "TriggeredBy");
            for (int i = 0; i < 20 && service["ActiveState"] != "active"; i++)
            {
                await Task.Delay(500);
                service = await SystemdGuest.ShowAsync(Unit, "ActiveState", "SubState", "Type", "MainPID", "StatusText", "WatchdogUSec", "TriggeredBy");
            }
            if (service["ActiveState"] != "active" || service["Type"] != "notify")
                throw new InvalidOperationException($"luod.service after the first connection: {string.Join(", ", service.Select(p => $"{p.Key}={p.Value}"))}; luoctl said {sessions}");
            return $"luoctl sessions answered in {ms:F0} ms by luod pid {service["MainPID"]} started on the first connection (triggered by {service["TriggeredBy"]}); Type={service["Type"]} {service["ActiveState"]}/{service["SubState"]}, status \"{service["StatusText"]}\", watchdog {service["WatchdogUSec"]}";
        });
        ok = ok && await results.StepAsync(Steps.Sandbox, DescribeSandboxAsync);
        ok = ok && await results.StepAsync(Steps.Participants, () => StartAllAsync(Participants));
        return ok && await results.StepAsync(Steps.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => "participants: " + string.Join(" | ", Participants.Select(p =>
                File.Exists(UpdateParticipantProcess.LogOf(p.Name)) ? File.ReadAllText(UpdateParticipantProcess.LogOf(p.Name)).Trim() : "(no log)")));
            return "";
        });
    }

    /// <summary>What the kernel says about luod's process: the unit's sandboxing, as applied.</summary>
    private static async Task<string> DescribeSandboxAsync()
    {
        string pid = (await SystemdGuest.ShowAsync(Unit, "MainPID"))["MainPID"];
        var status = File.ReadAllLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());
        const string onlySysBoot = "0000000000400000"; // CAP_SYS_BOOT (22)
        var problems = new List<string>();
        if (status["NoNewPrivs"] != "1") problems.Add($"NoNewPrivs {status["NoNewPrivs"]}");
        if (status["Seccomp"] != "2") problems.Add($"Seccomp {status["Seccomp"]} (2 = filter)");
        if (status["CapBnd"] != onlySysBoot) problems.Add($"CapBnd {status["CapBnd"]}");
        if (problems.Count > 0) throw new InvalidOperationException($"luod pid {pid} is not sandboxed as luod.service says: {string.Join(", ", problems)}");
        var security = await GuestCommand.RunAsync("systemd-analyze", "security", Unit, "--no-pager");
        string exposure = security.Output.Split('\n').LastOrDefault(l => l.Contains("exposure", StringComparison.OrdinalIgnoreCase))?.Trim() ?? "(no score)";
        return $"luod pid {pid}: NoNewPrivs 1, Seccomp filter, CapBnd {onlySysBoot} (CAP_SYS_BOOT only); {exposure}";
    }

    /// <summary>The participants resume first (nothing of the scenario's own may lengthen their blackout), then the checks of what systemd and luod did.</summary>
    private async Task<bool> AfterAsync()
    {
        bool ok = await ResumeAllAsync(Participants);
        ok &= await results.StepAsync(Steps.Handover, async () =>
        {
            var previousBoot = await SystemdGuest.JournalAsync("-b", "-1", "--grep", "LUO|luod|kexec");
            var luod = await SystemdGuest.JournalAsync("-b", "0", "-u", Unit, "--grep", "restored|systemd carried");
            if (!luod.Any(l => l.Contains("systemd carried them", StringComparison.Ordinal)))
                throw new InvalidOperationException($"luod did not take its sessions from systemd's fd store: {string.Join(" | ", luod)}");
            // What luod waited for in this boot: the units on its path (inside every participant's blackout),
            // and its own start-up as the journal stamped it (systemd starting it → serving → the D-Bus answers).
            var chain = await GuestCommand.RunAsync("systemd-analyze", "critical-chain", Unit, "--no-pager");
            var start = await SystemdGuest.JournalAsync("-b", "0", "--grep", "luod.service|luod: (restored|serving|the final kexec|holding|took|logind)");
            return "previous boot: " + string.Join(" | ", previousBoot.TakeLast(12)) + " || this boot: " + string.Join(" | ", luod)
                + " || luod's start: " + string.Join(" | ", start.Take(12))
                + " || critical chain: " + string.Join(" | ", chain.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        });
        ok &= await UpdateReportSteps.RunAsync(results, Steps.Prefix, Participants.Select(p => p.Name).ToList());
        return ok;
    }

    /// <summary>Every session luod holds, as `luoctl sessions --all --json` lists them (luod's own status left out: its pid changes).</summary>
    private static async Task<string> SessionsAsync() =>
        System.Text.Json.Nodes.JsonNode.Parse(await SystemdGuest.RunOkAsync(Luoctl, "sessions", "--all", "--json"))!["sessions"]!.ToJsonString();

    /// <summary>
    /// A drop-in shortens WatchdogSec (30 s in the unit) so the run stays short; SIGSTOP stops
    /// luod's pings; systemd must send WatchdogSignal (SIGABRT, then SIGCONT), see the main
    /// process die, restart it (Restart=on-failure) and give the new one the fd store.
    /// </summary>
    private static async Task<string> WatchdogAsync()
    {
        // A session of its own to check (the participants have finished theirs by now).
        byte[] probe = new byte[1 << 20];
        new SeededPattern(97).Fill(probe);
        await File.WriteAllBytesAsync("/tmp/watchdog-probe.bin", probe);
        await SystemdGuest.RunOkAsync(Luoctl, "preserve", "--session", "watchdog-probe", "--name", "data", "--file", "/tmp/watchdog-probe.bin");
        Directory.CreateDirectory($"/run/systemd/system/{Unit}.d");
        await File.WriteAllTextAsync($"/run/systemd/system/{Unit}.d/watchdog.conf", "[Service]\nWatchdogSec=6s\n");
        await SystemdGuest.SystemctlAsync("daemon-reload");
        await SystemdGuest.SystemctlAsync("restart", Unit);
        var before = await SystemdGuest.ShowAsync(Unit, "MainPID", "NRestarts", "WatchdogUSec");
        string sessionsBefore = await SessionsAsync();
        await SystemdGuest.SystemctlAsync("kill", "--signal=SIGSTOP", "--kill-whom=main", Unit);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyDictionary<string, string> after = before;
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(500);
            after = await SystemdGuest.ShowAsync(Unit, "MainPID", "NRestarts", "ActiveState", "Result");
            if (after["MainPID"] != before["MainPID"] && after["MainPID"] != "0" && after["ActiveState"] == "active") break;
        }
        if (after["MainPID"] == before["MainPID"] || after["ActiveState"] != "active")
            throw new InvalidOperationException($"luod pid {before["MainPID"]} stopped for {clock.Elapsed.TotalSeconds:F0} s and systemd did not restart it: {string.Join(", ", after.Select(p => $"{p.Key}={p.Value}"))}");
        double restartedAfter = clock.Elapsed.TotalSeconds;
        string sessionsAfter = await SessionsAsync();
        if (sessionsAfter != sessionsBefore)
            throw new InvalidOperationException($"the sessions changed across the watchdog restart:\nbefore: {sessionsBefore}\nafter: {sessionsAfter}");
        var reasons = await SystemdGuest.JournalAsync("-b", "0", "-u", Unit, "--grep", "[Ww]atchdog");
        await SystemdGuest.RunOkAsync(Luoctl, "release", "--session", "watchdog-probe");
        return $"luod pid {before["MainPID"]} SIGSTOPped; watchdog {before["WatchdogUSec"]}; pid {after["MainPID"]} active after {restartedAfter:F1} s (NRestarts {before["NRestarts"]} → {after["NRestarts"]}); sessions unchanged ({System.Text.Json.Nodes.JsonNode.Parse(sessionsAfter)!.AsArray().Count} held); systemd: {string.Join(" | ", reasons.TakeLast(3))}";
    }

    /// <summary>Each participant in its own process: seeded bytes preserved, subscribed to luod's updates.</summary>
    private static async Task<string> StartAllAsync((string Name, int Mib, ulong Seed)[] participants)
    {
        foreach (var (name, mib, seed) in participants)
            await UpdateParticipantProcess.StartAsync(name, mib, seed);
        return string.Join("; ", participants.Select(p => $"{p.Name}: {p.Mib} MiB preserved, subscribed"));
    }

    /// <summary>After the kexec, each participant claims, checks SHA-256, resumes and finishes: one step each.</summary>
    private async Task<bool> ResumeAllAsync((string Name, int Mib, ulong Seed)[] participants)
    {
        bool ok = true;
        foreach (var (name, mib, seed) in participants)
        {
            ok &= await results.StepAsync(Steps.Resume(name), async () =>
            {
                var (code, output) = await UpdateParticipantProcess.ResumeAsync(name, mib, seed);
                if (code != 0) throw new InvalidOperationException($"participant {name} exited {code}: {output}");
                return output;
            });
        }
        return ok;
    }
}
