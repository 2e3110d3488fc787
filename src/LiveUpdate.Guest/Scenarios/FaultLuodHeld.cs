// FaultLuodHeld (scenario fault-luod-held, 7.2 → 7.3, and → 7.3 again when the chain has a third
// kernel): the two "luod killed" cells of the fault
// matrix (issue 14) that have no point a client can observe, reached through luod's test-only
// holds (LUOD_TEST_HOLD, src/LiveUpdate.Daemon/LuodTestHold.cs): luod stops at the point,
// writes /run/luod/held-at-<point>, and the scenario SIGKILLs it there.
//   7.2, with the fd store (FakeSystemdSupervisor): three participants preserve seeded sessions
//     (4, 3 and 2 MiB; SHA-256 recorded) and subscribe; `luoctl update` runs with luod held at
//     before-reboot (every freeze acknowledged, the catalog's last write done, the kexec next);
//     luod is killed there and restarted from the fd store without the hold: the boot is the same
//     (boot_id), no custody lost, every session open, the staged kernel unloaded
//     (kexec_loaded=0); what the frozen participants do is recorded. Then a normal update into
//     7.3 (whoever is still subscribed takes part), luod started there with the hold at mid-restore.
//   7.3: luod (fd store, hold mid-restore) stops after the first session it retrieved; it is
//     killed; the restart from the fd store (no hold) must restore every session, custody not
//     lost; every session is retrieved (SHA-256 match) and finished.
//   7.3, WITHOUT the fd store (luod started plainly, as FaultLuodKilled's no-fd-store cells):
//     a participant preserves a new 4 MiB session and subscribes; `luoctl update` to this 7.3
//     kernel itself runs with luod held at before-reboot; SIGKILL there. Nothing else held the
//     session, so the kernel released it with luod's fds: data lost BY DESIGN. The restarted luod
//     must say so (custodyLost, the session `lost`, retrieve → io.liveupdate.CustodyLost), not
//     reboot, unload the staged kernel, and the frozen participant must resume with its own
//     memory intact. Then (three-kernel chain) the plain luod preserves three more sessions and
//     kexecs into the third boot.
//   third boot, WITHOUT the fd store: luod held at mid-restore (the catalog and the first session
//     retrieved) and SIGKILLed: both are finished by the kernel as their fds close. The restarted
//     luod must name all three (from the custody record the restore wrote first), report custody
//     lost, answer CustodyLost for the first, and hand back the other two by name, bytes equal.
using System.Diagnostics;
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;
using Steps = LiveUpdate.GuestContract.StepNames.FaultLuodHeld;

namespace LiveUpdate.Guest.Scenarios;

public sealed class FaultLuodHeld(GuestPlan plan, ResultChannel results)
{
    private const string KexecLoaded = "/sys/kernel/kexec_loaded";
    private const string BootId = "/proc/sys/kernel/random/boot_id";
    private const string HoldVariable = "LUOD_TEST_HOLD";
    private static readonly (string Name, int Mib, ulong Seed)[] Carried = [("alpha", 4, 0x1501), ("beta", 3, 0x1502), ("gamma", 2, 0x1503)];
    private static readonly string[] Names = [.. Carried.Select(c => c.Name)];
    private static readonly string[] LuodOptions = ["--OrphanGrace=00:10:00"];
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(150);
    private static readonly (string Name, int Mib, ulong Seed) Unstored = ("delta", 4, 0x1504);

    private FakeSystemdSupervisor? _systemd;
    private SpawnedProcessHandle? _luod;

    public async Task<bool> RunAsync() => plan.Hop switch
    {
        0 => await BeforeKexecAsync(),
        1 => await AfterKexecAsync(),
        _ => await MidRestoreWithoutFdStoreAsync(),
    };

    /// <summary>Sessions a luod without an fd store carries into the third boot, where it is killed mid-restore.</summary>
    private static readonly (string Name, int Mib, ulong Seed)[] Plain = [("epsilon", 3, 0x1505), ("zeta", 2, 0x1506), ("eta", 1, 0x1507)];

    private static string MarkerOf(string point) => $"/run/luod/held-at-{point}";

    /// <summary>
    /// Waits until luod writes the marker of <paramref name="point"/>; fails with what <paramref name="gaveUp"/> says
    /// (a non-null reason: luod or luoctl ended first) or after <see cref="HoldTimeout"/>. Returns the ms on <paramref name="clock"/> (new when null).
    /// </summary>
    private static async Task<double> WaitForHoldAsync(string point, Func<Task<string?>> gaveUp, Stopwatch? clock = null)
    {
        clock ??= Stopwatch.StartNew();
        while (!File.Exists(MarkerOf(point)))
        {
            if (await gaveUp() is { } reason) throw new InvalidOperationException(reason);
            if (clock.Elapsed > HoldTimeout) throw new TimeoutException($"luod did not hold at {point} within {HoldTimeout.TotalSeconds:F0} s");
            await Task.Delay(20);
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    private async Task<bool> BeforeKexecAsync()
    {
        string bootBefore = File.ReadAllText(BootId).Trim();
        if (!await results.StepAsync(Steps.Setup, async () =>
            {
                string luod = await StartHeldUnderFdStoreAsync("before-reboot", waitUntilServing: true);
                foreach (var (name, mib, seed) in Carried) await UpdateParticipantProcess.StartAsync(name, mib, seed);
                string shas = string.Join(", ", Carried.Select(c => $"{c.Name} {c.Mib} MiB sha256={SeededPattern.Sha256Of(c.Seed, (long)c.Mib << 20)}"));
                return $"{luod}; participants subscribed: {shas}";
            }))
            return false;

        bool ok = await results.StepAsync(Steps.KillBeforeReboot, async () =>
        {
            var update = LuodProcess.LuoctlAsync(null, "update", "--kernel", $"/boot/{plan.NextTag}/bzImage", "--append", plan.CommandLine.ToString(), "--timeout", "120");
            double heldMs = await WaitForHoldAsync("before-reboot", async () => update.IsCompleted ? $"luoctl update ended before luod held: {await update}" : null);
            string staged = KexecLoadedText();
            string frozen = string.Join(", ", Names.Select(n => $"{n} {(ParticipantLog(n).Contains("freeze ", StringComparison.Ordinal) ? "heard freeze" : "NOT frozen")}"));
            _luod!.Kill();
            var (code, output, error) = await update;
            return $"luod held at before-reboot {heldMs:F0} ms after `luoctl update` began ({staged}; {frozen}); luod SIGKILLed; luoctl update exited {code}: {Flat(output)} {Flat(error)}";
        });
        ok &= await results.StepAsync(Steps.RestartAfterRebootKill, async () =>
        {
            string restart = await RestartFromFdStoreAsync();
            string bootAfter = File.ReadAllText(BootId).Trim();
            if (bootAfter != bootBefore) throw new InvalidOperationException($"the machine rebooted: boot_id {bootBefore} → {bootAfter}");
            if (File.ReadAllText(KexecLoaded).Trim() != "0")
                throw new InvalidOperationException($"the restarted luod left the interrupted update's kernel loaded ({KexecLoadedText()})");
            return $"no reboot (boot_id {bootAfter} unchanged); {restart}";
        });
        if (!ok) return false;

        ok = await results.StepAsync(Steps.Participants, async () =>
        {
            // What the SDK does with participants frozen by an update whose luod died before the reboot:
            // recorded, not required (up to 30 s for every one to log a resume).
            var clock = Stopwatch.StartNew();
            while (!Names.All(n => ParticipantLog(n).Contains("\nresume ", StringComparison.Ordinal)) && clock.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(100);
            string resumed = Names.All(n => ParticipantLog(n).Contains("\nresume ", StringComparison.Ordinal))
                ? $"all three resumed within {clock.Elapsed.TotalMilliseconds:F0} ms of the restart's READY" : $"not all resumed within {clock.Elapsed.TotalSeconds:F0} s";
            string status = JsonNode.Parse(await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json"))!["status"]!.ToJsonString();
            return $"{resumed}: {string.Join(" | ", Names.Select(n => $"{n}: {Flat(ParticipantLog(n))}"))}; luod status {status}";
        });

        return await results.StepAsync(Steps.Update, async () =>
        {
            await LuodProcess.UpdateThroughLuodAsync(plan, results, () => string.Join(" | ", Names.Select(n => $"{n}: {Flat(ParticipantLog(n))}")));
            return "unreachable";
        });
    }

    private async Task<bool> AfterKexecAsync()
    {
        if (!await results.StepAsync(Steps.KillMidRestore, async () =>
            {
                var clock = Stopwatch.StartNew();
                string luod = await StartHeldUnderFdStoreAsync("mid-restore", waitUntilServing: false);
                double heldMs = await WaitForHoldAsync("mid-restore", () => Task.FromResult(_luod!.HasExited ? $"luod exited with {_luod.ExitCode} before it held at mid-restore" : null), clock);
                var parked = await _systemd!.WaitForStoredAsync(names => names.Count(n => n.StartsWith("luo-in.", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(10));
                _luod!.Kill();
                return $"{luod}; held at mid-restore {heldMs:F0} ms after its start; the fd store holds [{string.Join(", ", parked)}]; luod SIGKILLed";
            }))
            return false;

        bool ok = await results.StepAsync(Steps.RestartAfterRestoreKill, RestartFromFdStoreAsync);
        ok &= await results.StepAsync(Steps.EverySessionIntact, async () =>
        {
            var details = new List<string>();
            foreach (var (name, mib, seed) in Carried)
            {
                details.Add($"{name} {await ReferenceClients.LuoctlRetrieveAndCheckAsync(name, "data", seed, (long)mib << 20)}");
                await LuodProcess.LuoctlOkAsync("finish", "--session", name);
            }
            var reply = JsonNode.Parse(await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json"))!;
            if (reply["sessions"]!.AsArray().Count != 0 || reply["status"]!["custodyLost"]!.GetValue<bool>())
                throw new InvalidOperationException($"after finishing every session luod lists: {reply.ToJsonString()}");
            return string.Join("; ", details) + "; all finished, nothing lost";
        });
        if (!ok) return false;

        string bootBefore = File.ReadAllText(BootId).Trim();
        ok = await results.StepAsync(Steps.NoFdStoreKillBeforeReboot, async () =>
        {
            _luod!.Kill();
            await _systemd!.DisposeAsync();
            _systemd = null;
            foreach (string stale in Directory.Exists("/run/luod") ? Directory.GetFiles("/run/luod", "held-at-*") : []) File.Delete(stale);
            var (luod, ready) = await LuodProcess.StartAsync(new Dictionary<string, string> { [HoldVariable] = "before-reboot" }, LuodOptions);
            string fresh = JsonNode.Parse(await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json"))!["status"]!.ToJsonString();
            var (name, mib, seed) = Unstored;
            await UpdateParticipantProcess.StartAsync(name, mib, seed);
            string sha = SeededPattern.Sha256Of(seed, (long)mib << 20);
            var update = LuodProcess.LuoctlAsync(null, "update", "--kernel", $"/boot/{plan.CurrentTag}/bzImage", "--append", plan.CommandLine.ToString(), "--timeout", "120");
            double heldMs = await WaitForHoldAsync("before-reboot", async () => update.IsCompleted ? $"luoctl update ended before luod held: {await update}" : null);
            string staged = KexecLoadedText();
            string frozen = ParticipantLog(name).Contains("freeze ", StringComparison.Ordinal) ? "heard freeze" : "NOT frozen";
            await luod.KillAsync();
            var (code, output, error) = await update;
            return $"luod pid {luod.Process.Id} without an fd store ({HoldVariable}=before-reboot), serving in {ready.TotalMilliseconds:F0} ms, status {fresh}; " +
                $"{name} {mib} MiB sha256={sha} subscribed; luod held at before-reboot {heldMs:F0} ms after `luoctl update` (to {plan.CurrentTag} itself) began ({staged}; {name} {frozen}); " +
                $"luod SIGKILLed; luoctl update exited {code}: {Flat(output)} {Flat(error)}";
        });
        if (!ok) return false;

        ok = await results.StepAsync(Steps.NoFdStoreCustodyLost, async () =>
        {
            var (name, _, _) = Unstored;
            var (luod, ready) = await LuodProcess.StartAsync(LuodOptions);
            string bootAfter = File.ReadAllText(BootId).Trim();
            if (bootAfter != bootBefore) throw new InvalidOperationException($"the machine rebooted: boot_id {bootBefore} → {bootAfter}");
            if (File.ReadAllText(KexecLoaded).Trim() != "0")
                throw new InvalidOperationException($"the restarted luod left the interrupted update's kernel loaded ({KexecLoadedText()})");
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            if (!reply["status"]!["custodyLost"]!.GetValue<bool>())
                throw new InvalidOperationException($"the restarted luod does not report custody lost: {json}");
            var session = reply["sessions"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == name)
                ?? throw new InvalidOperationException($"the restarted luod does not list '{name}': {json}");
            string state = session["state"]!.GetValue<string>();
            if (state != "lost") throw new InvalidOperationException($"{name} is '{state}', expected 'lost': {json}");
            var (code, _, error) = await LuodProcess.LuoctlAsync(null, "retrieve", "--session", name, "--name", "data", "--output", $"/tmp/{name}.out");
            if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.CustodyLost, StringComparison.Ordinal))
                throw new InvalidOperationException($"retrieve of {name}: exit {code}, '{error}' (expected io.liveupdate.CustodyLost)");
            // The participant froze for the update; the SDK reconnects to the restarted luod, which names it as ended without a kexec.
            var clock = Stopwatch.StartNew();
            while (!ParticipantLog(name).Contains("\nresume ", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(100);
            string log = ParticipantLog(name);
            string resume = log.Split('\n').LastOrDefault(l => l.StartsWith("resume ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"{name} did not resume within 30 s of the restart: {Flat(log)}");
            if (!resume.Contains("ended in this boot without a kexec", StringComparison.Ordinal) || !resume.Contains("data intact", StringComparison.Ordinal))
                throw new InvalidOperationException($"{name} resumed without the update named ended, or with its memory changed: {Flat(log)}");
            return $"restarted luod pid {luod.Process.Id} (no fd store) serving in {ready.TotalMilliseconds:F0} ms; no reboot (boot_id {bootAfter} unchanged); {KexecLoadedText()}; " +
                $"{name} is lost; retrieve refused: {Flat(error.Trim())}; status {reply["status"]!.ToJsonString()}; {name} resumed {clock.Elapsed.TotalMilliseconds:F0} ms after the restart's serving: {Flat(log)}";
        });
        if (!ok || plan.IsLastHop) return ok;

        // Third boot: a luod without an fd store is killed in the middle of its restore (below).
        return await results.StepAsync(Steps.NoFdStoreCarry, async () =>
        {
            foreach (var (name, mib, seed) in Plain)
            {
                await ReferenceClients.LuoctlPreserveAsync(name, "data", seed, (long)mib << 20);
            }
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    /// <summary>
    /// The third boot: luod without an fd store, held at mid-restore (the catalog and the first session
    /// retrieved), SIGKILLed. Their fds close and the kernel finishes both; the next luod must still name
    /// every session — the first lost (its bytes went with the dead luod), the others retrieved by name,
    /// every byte equal — and say custody was lost.
    /// </summary>
    private async Task<bool> MidRestoreWithoutFdStoreAsync()
    {
        if (!await results.StepAsync(Steps.NoFdStoreKillMidRestore, async () =>
            {
                if (File.Exists(LuodProcess.Socket)) File.Delete(LuodProcess.Socket);
                var start = new ProcessStartInfo(LuodProcess.Luod, [$"--SocketPath={LuodProcess.Socket}", .. LuodOptions]);
                start.Environment[HoldVariable] = "mid-restore";
                using var held = Process.Start(start) ?? throw new InvalidOperationException("could not start luod");
                double heldMs = await WaitForHoldAsync("mid-restore", () => Task.FromResult(held.HasExited ? $"luod exited with {held.ExitCode} before it held at mid-restore" : null));
                held.Kill();
                await held.WaitForExitAsync();
                return $"luod pid {held.Id} without an fd store ({HoldVariable}=mid-restore) held {heldMs:F0} ms after its start; SIGKILLed";
            }))
            return false;

        return await results.StepAsync(Steps.NoFdStoreRestartAfterRestoreKill, async () =>
        {
            var (luod, ready) = await LuodProcess.StartAsync(LuodOptions);
            var reply = JsonNode.Parse(await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json"))!;
            if (!reply["status"]!["custodyLost"]!.GetValue<bool>())
                throw new InvalidOperationException($"the restarted luod does not report custody lost: {reply.ToJsonString()}");
            var details = new List<string>();
            int lost = 0;
            foreach (var (name, mib, seed) in Plain)
            {
                var session = reply["sessions"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == name)
                    ?? throw new InvalidOperationException($"the restarted luod does not name session '{name}': {reply.ToJsonString()}");
                string state = session["state"]!.GetValue<string>();
                if (state == "lost")
                {
                    lost++;
                    var (code, _, error) = await LuodProcess.LuoctlAsync(null, "retrieve", "--session", name, "--name", "data", "--output", $"/tmp/{name}.out");
                    if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.CustodyLost, StringComparison.Ordinal))
                        throw new InvalidOperationException($"retrieve of lost {name}: exit {code}, '{error}' (expected io.liveupdate.CustodyLost)");
                    details.Add($"{name} lost (retrieve: {Flat(error.Trim())})");
                    continue;
                }
                details.Add($"{name} {state}: {await ReferenceClients.LuoctlRetrieveAndCheckAsync(name, "data", seed, (long)mib << 20)}");
                await LuodProcess.LuoctlOkAsync("finish", "--session", name);
            }
            if (lost != 1) throw new InvalidOperationException($"expected exactly the one session the killed luod had retrieved to be lost, found {lost}: {string.Join("; ", details)}");
            return $"restarted luod pid {luod.Process.Id} (no fd store) serving in {ready.TotalMilliseconds:F0} ms; status {reply["status"]!.ToJsonString()}; {string.Join("; ", details)}";
        });
    }

    /// <summary>A fresh fd store and luod under it with LUOD_TEST_HOLD=<paramref name="point"/> (only in its environment).</summary>
    private async Task<string> StartHeldUnderFdStoreAsync(string point, bool waitUntilServing)
    {
        _systemd = new FakeSystemdSupervisor(fdStoreLimit: 64);
        if (File.Exists(LuodProcess.Socket)) File.Delete(LuodProcess.Socket);
        foreach (string stale in Directory.Exists("/run/luod") ? Directory.GetFiles("/run/luod", "held-at-*") : []) File.Delete(stale);
        var clock = Stopwatch.StartNew();
        // StartWithStoredDescriptors passes this process's environment: the hold is set around the spawn only.
        Environment.SetEnvironmentVariable(HoldVariable, point);
        try
        {
            var (process, _) = _systemd.StartWithStoredDescriptors(LuodProcess.Luod, [$"--SocketPath={LuodProcess.Socket}", .. LuodOptions]);
            _luod = new SpawnedProcessHandle(process);
        }
        finally { Environment.SetEnvironmentVariable(HoldVariable, null); }
        if (!waitUntilServing) return $"luod pid {_luod.Id} ({HoldVariable}={point}) under a fake systemd with FDSTORE={_systemd.FdStoreLimit}";
        await LuodProcess.WaitUntilServingAsync(clock, () => _luod.HasExited ? _luod.ExitCode : null);
        await _systemd.WaitForReadyAsync(ReadyTimeout);
        return $"luod pid {_luod.Id} ({HoldVariable}={point}) under a fake systemd with FDSTORE={_systemd.FdStoreLimit}, serving in {clock.Elapsed.TotalMilliseconds:F0} ms";
    }

    /// <summary>luod restarted as systemd would, with what its fd store kept and without the hold; fails unless every session is listed, none lost.</summary>
    private async Task<string> RestartFromFdStoreAsync()
    {
        if (File.Exists(LuodProcess.Socket)) File.Delete(LuodProcess.Socket);
        var clock = Stopwatch.StartNew();
        var (restarted, passed) = _systemd!.StartWithStoredDescriptors(LuodProcess.Luod, [$"--SocketPath={LuodProcess.Socket}", .. LuodOptions]);
        _luod = new SpawnedProcessHandle(restarted);
        await LuodProcess.WaitUntilServingAsync(clock, () => restarted.HasExited ? restarted.ExitCode : null);
        await _systemd.WaitForReadyAsync(ReadyTimeout);
        double readyMs = clock.Elapsed.TotalMilliseconds;
        var reply = JsonNode.Parse(await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json"))!;
        bool lost = reply["status"]!["custodyLost"]!.GetValue<bool>();
        var states = new List<string>();
        foreach (string name in Names)
        {
            var session = reply["sessions"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == name)
                ?? throw new InvalidOperationException($"the restarted luod does not list session '{name}': {reply.ToJsonString()}");
            string state = session["state"]!.GetValue<string>();
            if (state == "lost") throw new InvalidOperationException($"session '{name}' is lost: {reply.ToJsonString()}");
            states.Add($"{name}={state}");
        }
        if (lost) throw new InvalidOperationException($"the restarted luod reports custody lost: {reply["status"]!.ToJsonString()}");
        return $"restarted as pid {restarted.Id} with LISTEN_FDS={passed.Count} [{string.Join(", ", passed)}], serving in {readyMs:F0} ms; {KexecLoadedText()}; sessions {string.Join(", ", states)}, custodyLost=false";
    }

    private static string ParticipantLog(string name) =>
        File.Exists(UpdateParticipantProcess.LogOf(name)) ? File.ReadAllText(UpdateParticipantProcess.LogOf(name)).Trim() : "(no log)";

    private static string Flat(string text) => text.Replace('\n', '/');

    private static string KexecLoadedText() => $"kexec_loaded={File.ReadAllText(KexecLoaded).Trim()}";

    /// <summary>The luod this scenario runs (spawned under the fake systemd).</summary>
    private sealed class SpawnedProcessHandle(LiveUpdate.Kernel.SpawnedProcess process)
    {
        public int Id => process.Id;
        public bool HasExited => process.HasExited;
        public int? ExitCode => process.ExitCode;

        /// <summary>SIGKILL, then waits until it is reaped.</summary>
        public void Kill()
        {
            process.Kill();
            var clock = Stopwatch.StartNew();
            while (!process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(10);
        }
    }
}
