// FaultLuodKilled (scenario fault-luod-killed, 7.2 → 7.3): the "luod killed (SIGKILL)" rows of
// the fault matrix (issue 14), packed into one chain. Each kill is aimed at a point the
// scenario can observe, not a sleep: a participant that holds its prepare (or freeze)
// acknowledgement until luod is dead, or a claim luoctl has returned from.
//   7.2, with the fd store (FakeSystemdSupervisor):
//     kill after stage, during prepare: `luoctl update` has staged the kernel and the holder
//       participant is in prepare; luod dies; its restart from the fd store must keep every
//       session open (no custody lost); what happens to the staged kernel and the paused
//       participants is recorded.
//     kill during freeze, the last point before the reboot: a participant holds its freeze ack.
//       The participants resubscribe to each restarted luod by themselves (the SDK), so the second
//       update freezes all three; after the kill they stay frozen until the restarted luod names
//       that update as ended without a kexec, then resume.
//     then luod kexecs the survivors into 7.3.
//   7.3, with the fd store: luod restores; two sessions are claimed (luoctl retrieve, SHA-256),
//     luod is killed between claim and finish, restarted from the fd store; every session is
//     then retrieved again, checked and finished.
//   7.3, without the fd store: kill during prepare; the participant's session must answer
//     io.liveupdate.CustodyLost (that the loss also travels across a kexec is custody-lost's cell).
using System.Diagnostics;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;

namespace LiveUpdate.Guest.Scenarios;

public sealed class FaultLuodKilled(GuestPlan plan, ResultChannel results)
{
    private const string KexecLoaded = "/sys/kernel/kexec_loaded";
    private static readonly (string Name, int Mib, ulong Seed)[] Carried = [("keeper", 8, 0x1401), ("holder", 4, 0x1402), ("ice", 2, 0x1403)];
    private static readonly string[] LuodOptions = ["--OrphanGrace=00:10:00"];
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    // Kept for the hop: it holds the parked descriptors.
    private FakeSystemdSupervisor? _systemd;
    private Func<Task>? _killLuod;

    public async Task<bool> RunAsync() => plan.IsFirstHop ? await BeforeKexecAsync() : await AfterKexecAsync();

    private async Task<bool> BeforeKexecAsync()
    {
        if (!await results.StepAsync(StepNames.FaultLuodKilled.Setup, async () =>
            {
                string luod = await StartUnderFdStoreAsync();
                await UpdateParticipantProcess.StartAsync("keeper", 8, 0x1401);
                await UpdateParticipantProcess.StartAsync("holder", 4, 0x1402, "--stuck-on-prepare");
                return $"{luod}; participants keeper (8 MiB) and holder (4 MiB, holds its prepare ack) subscribed";
            }))
            return false;

        bool ok = await results.StepAsync(StepNames.FaultLuodKilled.KillDuringPrepare,
            () => KillWhileParticipantHoldsAsync(plan.NextTag, "holder", "prepare", ["keeper", "holder"]));
        ok &= await results.StepAsync(StepNames.FaultLuodKilled.RestartAfterPrepareKill, async () =>
            $"{await RestartFromFdStoreAsync(["keeper", "holder"])}; {await WaitForLogsAsync(["keeper", "holder"], "link up: subscribed again")}");
        if (!ok) return false;

        ok = await results.StepAsync(StepNames.FaultLuodKilled.KillDuringFreeze, async () =>
        {
            await UpdateParticipantProcess.StartAsync("ice", 2, 0x1403, "--stuck-on-freeze");
            // keeper and holder resubscribed to the restarted luod: this update freezes them too.
            return await KillWhileParticipantHoldsAsync(plan.NextTag, "ice", "freeze", ["keeper", "holder", "ice"]);
        });
        // The frozen participants stay frozen until the restarted luod says that update ended without a kexec.
        ok &= await results.StepAsync(StepNames.FaultLuodKilled.RestartAfterFreezeKill, async () =>
            $"{await RestartFromFdStoreAsync(["keeper", "holder", "ice"])}; {await WaitForLogsAsync(["keeper", "holder", "ice"], "ended in this boot without a kexec")}");
        if (!ok) return false;

        return await results.StepAsync(StepNames.FaultLuodKilled.Kexec, async () =>
        {
            await LuodProcess.KexecThroughLuodAsync(plan, results);
            return "unreachable";
        });
    }

    private async Task<bool> AfterKexecAsync()
    {
        if (!await results.StepAsync(StepNames.FaultLuodKilled.RestoreWithFdStore, async () =>
            {
                string luod = await StartUnderFdStoreAsync();
                return $"{luod}; {await SessionsAsync(["keeper", "holder", "ice"], expectLost: false)}";
            }))
            return false;

        bool ok = await results.StepAsync(StepNames.FaultLuodKilled.KillBetweenClaimAndFinish, async () =>
        {
            string keeper = await ReferenceClients.LuoctlRetrieveAndCheckAsync("keeper", "data", 0x1401, 8L << 20);
            string ice = await ReferenceClients.LuoctlRetrieveAndCheckAsync("ice", "data", 0x1403, 2L << 20);
            string before = await SessionsAsync(["keeper", "holder", "ice"], expectLost: false);
            // luod writes a claim ~100 ms after answering it (UpdateCoordinator.ClaimPersistDelay,
            // off the blackout's path); kill after that write, as a real crash a moment later would.
            await Task.Delay(300);
            await _killLuod!();
            return $"claimed keeper ({keeper}) and ice ({ice}); {before}; luod killed with SIGKILL before either finished";
        });
        ok &= await results.StepAsync(StepNames.FaultLuodKilled.RestartAfterClaimKill, () => RestartFromFdStoreAsync(["keeper", "holder", "ice"]));
        ok &= await results.StepAsync(StepNames.FaultLuodKilled.EverySessionIntact, async () =>
        {
            var details = new List<string>();
            foreach (var (name, mib, seed) in Carried)
            {
                details.Add(await ReferenceClients.LuoctlRetrieveAndCheckAsync(name, "data", seed, (long)mib << 20));
                await LuodProcess.LuoctlOkAsync("finish", "--session", name);
            }
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            if (reply["sessions"]!.AsArray().Count != 0 || reply["status"]!["custodyLost"]!.GetValue<bool>())
                throw new InvalidOperationException($"after finishing every session luod lists: {json}");
            return string.Join("; ", details.Select((d, i) => $"{Carried[i].Name} {d}")) + "; all finished, nothing lost";
        });
        if (!ok) return false;

        ok = await results.StepAsync(StepNames.FaultLuodKilled.NoFdStoreKillDuringPrepare, async () =>
        {
            await _killLuod!();
            await _systemd!.DisposeAsync();
            _systemd = null;
            var (luod, ready) = await LuodProcess.StartAsync(LuodOptions);
            _killLuod = luod.KillAsync;
            await UpdateParticipantProcess.StartAsync("doomed", 4, 0x1404, "--stuck-on-prepare");
            string kill = await KillWhileParticipantHoldsAsync(plan.CurrentTag, "doomed", "prepare", ["doomed"]);
            return $"luod without an fd store (ready in {ready.TotalMilliseconds:F0} ms); {kill}";
        });
        ok &= await results.StepAsync(StepNames.FaultLuodKilled.NoFdStoreCustodyLost, async () =>
        {
            var (luod, ready) = await LuodProcess.StartAsync(LuodOptions);
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            if (!reply["status"]!["custodyLost"]!.GetValue<bool>())
                throw new InvalidOperationException($"the restarted luod does not report custody lost: {json}");
            string state = reply["sessions"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "doomed")!["state"]!.GetValue<string>();
            if (state != "lost") throw new InvalidOperationException($"doomed is '{state}', expected 'lost': {json}");
            var (code, _, error) = await LuodProcess.LuoctlAsync(null, "retrieve", "--session", "doomed", "--name", "data", "--output", "/tmp/doomed.out");
            if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.CustodyLost, StringComparison.Ordinal))
                throw new InvalidOperationException($"retrieve of doomed: exit {code}, '{error}' (expected io.liveupdate.CustodyLost)");
            return $"restarted in {ready.TotalMilliseconds:F0} ms; {KexecLoadedText()}; doomed is lost; retrieve refused: {error}; status {reply["status"]!.ToJsonString()}";
        });
        return ok;
    }

    /// <summary>A fresh fd store and luod under it; sets <see cref="_killLuod"/>.</summary>
    private async Task<string> StartUnderFdStoreAsync()
    {
        _systemd = new FakeSystemdSupervisor(fdStoreLimit: 64);
        var (luod, serving) = await LuodProcess.StartAsync(_systemd.ServiceEnvironment, LuodOptions);
        await _systemd.WaitForReadyAsync(ReadyTimeout);
        _killLuod = luod.KillAsync;
        return $"luod pid {luod.Process.Id} under a fake systemd with FDSTORE={_systemd.FdStoreLimit}, serving in {serving.TotalMilliseconds:F0} ms";
    }

    /// <summary>
    /// Starts `luoctl update` to <paramref name="tag"/>, waits until <paramref name="holder"/> logs
    /// <paramref name="phase"/> (it holds its acknowledgement), SIGKILLs luod, and records what
    /// luoctl, the kernel's staged image and the participants saw.
    /// </summary>
    private async Task<string> KillWhileParticipantHoldsAsync(string tag, string holder, string phase, string[] participants)
    {
        var update = LuodProcess.LuoctlAsync(null, "update", "--kernel", $"/boot/{tag}/bzImage", "--append", plan.CommandLine.ToString(), "--timeout", "120");
        var clock = Stopwatch.StartNew();
        while (!File.ReadAllText(UpdateParticipantProcess.LogOf(holder)).Contains(phase + " ", StringComparison.Ordinal))
        {
            if (update.IsCompleted) throw new InvalidOperationException($"luoctl update ended before {holder} heard {phase}: {await update}");
            if (clock.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException($"{holder} did not hear {phase} within 120 s");
            await Task.Delay(50);
        }
        string stagedBefore = KexecLoadedText();
        double heardMs = clock.Elapsed.TotalMilliseconds;
        await _killLuod!();
        var (code, output, error) = await update;
        await Task.Delay(2000); // let the participants log how their subscription ended
        string logs = string.Join(" | ", participants.Select(p => $"{p}: {File.ReadAllText(UpdateParticipantProcess.LogOf(p)).Trim().Replace('\n', '/')}"));
        return $"{holder} heard {phase} after {heardMs:F0} ms ({stagedBefore}); luod SIGKILLed; luoctl update exited {code}: {output.Replace('\n', '/')} {error}; after the kill {KexecLoadedText()}; {logs}";
    }

    /// <summary>Waits (≤ 20 s) until every participant's log has a line containing <paramref name="text"/>; returns those lines.</summary>
    private static async Task<string> WaitForLogsAsync(string[] participants, string text)
    {
        var clock = Stopwatch.StartNew();
        var lines = new List<string>();
        foreach (string name in participants)
        {
            string? line;
            while ((line = File.ReadAllLines(UpdateParticipantProcess.LogOf(name)).LastOrDefault(l => l.Contains(text, StringComparison.Ordinal))) is null)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(20))
                    throw new TimeoutException($"{name} logged no '{text}' within 20 s: {File.ReadAllText(UpdateParticipantProcess.LogOf(name)).Trim().Replace('\n', '/')}");
                await Task.Delay(50);
            }
            lines.Add($"{name} after {clock.Elapsed.TotalMilliseconds:F0} ms: {line}");
        }
        return string.Join(" | ", lines);
    }

    private async Task<string> RestartFromFdStoreAsync(string[] expected)
    {
        var systemd = _systemd!;
        if (File.Exists(LuodProcess.Socket)) File.Delete(LuodProcess.Socket);
        var clock = Stopwatch.StartNew();
        var (restarted, passed) = systemd.StartWithStoredDescriptors(LuodProcess.Luod, [$"--SocketPath={LuodProcess.Socket}", .. LuodOptions]);
        await LuodProcess.WaitUntilServingAsync(clock, () => restarted.HasExited ? restarted.ExitCode : null);
        await systemd.WaitForReadyAsync(ReadyTimeout);
        _killLuod = async () =>
        {
            restarted.Kill();
            while (!restarted.HasExited) await Task.Delay(10);
        };
        // A kernel staged by the update the killed luod never finished is unloaded by the restarted one (StagedKernelMark).
        if (File.ReadAllText(KexecLoaded).Trim() != "0")
            throw new InvalidOperationException($"the restarted luod left the interrupted update's kernel loaded ({KexecLoadedText()})");
        return $"restarted as pid {restarted.Id} with LISTEN_FDS={passed.Count} in {clock.Elapsed.TotalMilliseconds:F0} ms; {KexecLoadedText()}; {await SessionsAsync(expected, expectLost: false)}";
    }

    /// <summary>Fails unless every <paramref name="expected"/> session is listed and not lost (and custody not lost); returns each one's state.</summary>
    private static async Task<string> SessionsAsync(string[] expected, bool expectLost)
    {
        string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
        var reply = JsonNode.Parse(json)!;
        bool lost = reply["status"]!["custodyLost"]!.GetValue<bool>();
        if (lost != expectLost) throw new InvalidOperationException($"custodyLost={lost}, expected {expectLost}: {json}");
        var states = new List<string>();
        foreach (string name in expected)
        {
            var session = reply["sessions"]!.AsArray().SingleOrDefault(s => s!["name"]!.GetValue<string>() == name)
                ?? throw new InvalidOperationException($"luod does not list session '{name}': {json}");
            string state = session["state"]!.GetValue<string>();
            if (state == "lost") throw new InvalidOperationException($"session '{name}' is lost: {json}");
            states.Add($"{name}={state}");
        }
        return $"sessions {string.Join(", ", states)}, custodyLost={(lost ? "true" : "false")}";
    }

    private static string KexecLoadedText() => $"kexec_loaded={File.ReadAllText(KexecLoaded).Trim()}";
}
