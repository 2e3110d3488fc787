// FaultParticipants (scenario fault-participants, 7.2 → 7.3): the participant rows of the fault
// matrix (issue 14), packed into one kexec because they do not interfere.
//   Killed in prepare: `luoctl update` into the real next kernel; a participant SIGKILLed while
//        it holds prepare → the update cancels at once (not at the deadline), the other
//        participant resumes with its bytes intact, the staged kernel is unloaded, and the dead
//        participant's session is still open in luod's custody.
//   Killed after freeze: a second update; one participant acknowledges freeze and is SIGKILLed
//        while another is still freezing → the update goes on, the dead participant's session
//        is carried across the kexec and its successor claims it intact in the next kernel.
//   Gone before claim: a participant that never comes back in the next kernel → OrphanPolicy
//        Finish (short grace) removes its session; a claim then answers SessionNotFound.
// Every session that should survive is checked by SHA-256 after the kexec.
using System.Diagnostics;
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;
using Steps = LiveUpdate.GuestContract.StepNames.FaultParticipants;
namespace LiveUpdate.Guest.Scenarios;

public sealed class FaultParticipants(GuestPlan plan, ResultChannel results)
{
    private const string KexecLoaded = "/sys/kernel/kexec_loaded";
    private static readonly (string Name, int Mib, ulong Seed) Steady = ("steady", 8, 0x14_0001);
    private static readonly (string Name, int Mib, ulong Seed) KilledInPrepare = ("killed-in-prepare", 4, 0x14_0002);
    private static readonly (string Name, int Mib, ulong Seed) KilledAfterFreeze = ("killed-after-freeze", 4, 0x14_0003);
    private static readonly (string Name, int Mib, ulong Seed) GoneBeforeClaim = ("gone-before-claim", 2, 0x14_0004);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);

    public async Task<bool> RunAsync()
    {
        string[] options = plan.IsFirstHop ? ["--OrphanGrace=00:10:00"] : [$"--OrphanGrace={Grace:hh\\:mm\\:ss}", "--OrphanPolicy=Finish"];
        if (!await results.StepAsync(Steps.LuodStart, async () =>
            {
                var (luod, ready) = await LuodProcess.StartAsync(options);
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms ({string.Join(' ', options)})";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeAsync() : await AfterAsync();
    }

    private async Task<bool> BeforeAsync()
    {
        Process? killedInPrepare = null;
        bool ok = await results.StepAsync(Steps.Setup, async () =>
        {
            // steady freezes slowly (3 s) so that the second update stays in its freeze phase while
            // the scenario kills a participant that has already acknowledged freeze.
            await UpdateParticipantProcess.StartAsync(Steady.Name, Steady.Mib, Steady.Seed, "--freeze-delay-ms", "3000");
            killedInPrepare = await UpdateParticipantProcess.StartAsync(KilledInPrepare.Name, KilledInPrepare.Mib, KilledInPrepare.Seed, "--stuck-on-prepare");
            return $"participants {Steady.Name} ({Steady.Mib} MiB), {KilledInPrepare.Name} ({KilledInPrepare.Mib} MiB, never acknowledges prepare) subscribed";
        });
        if (!ok) return false;
        string initrd = await LuodProcess.CopyInitrdForNextHopAsync();
        string[] update = ["update", "--kernel", $"/boot/{plan.NextTag}/bzImage", "--initrd", initrd, "--append", plan.NextHopCommandLine.ToString(), "--timeout", "60"];

        ok &= await results.StepAsync(Steps.KilledInPrepareCancels, async () =>
        {
            var clock = Stopwatch.StartNew();
            var updating = LuodProcess.LuoctlAsync(null, update);
            await WaitForLogAsync(KilledInPrepare.Name, "prepare", updating);
            double preparedAt = clock.Elapsed.TotalMilliseconds;
            killedInPrepare!.Kill();
            await killedInPrepare.WaitForExitAsync();
            double killedAt = clock.Elapsed.TotalMilliseconds;
            var (code, output, error) = await updating;
            double cancelledAt = clock.Elapsed.TotalMilliseconds;
            if (code != LuoctlExitContract.UpdateCancelled || !error.Contains(LiveUpdateProtocol.Errors.UpdateCancelled, StringComparison.Ordinal))
                throw new InvalidOperationException($"luoctl update: exit {code} (expected {LuoctlExitContract.UpdateCancelled} with UpdateCancelled): {output} {error}");
            if (cancelledAt - killedAt > 20_000)
                throw new InvalidOperationException($"the update was cancelled {cancelledAt - killedAt:F0} ms after the kill: luod waited for the deadline, not the closed connection");
            return $"prepare seen at {preparedAt:F0} ms, SIGKILL at {killedAt:F0} ms, cancelled {cancelledAt - killedAt:F0} ms later: {error.Trim()}";
        });
        ok &= await results.StepAsync(Steps.EveryoneResumed, async () =>
        {
            string log = await WaitForLogAsync(Steady.Name, "resume", null);
            if (!log.Contains("data intact", StringComparison.Ordinal)) throw new InvalidOperationException($"{Steady.Name} did not resume intact: {log}");
            string loaded = File.ReadAllText(KexecLoaded).Trim();
            if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded}: the staged kernel was not unloaded");
            var sessions = await SessionStatesAsync();
            foreach (string name in new[] { Steady.Name, KilledInPrepare.Name })
                if (sessions.GetValueOrDefault(name) != "open") throw new InvalidOperationException($"session {name} is {sessions.GetValueOrDefault(name) ?? "missing"}, expected open: {Describe(sessions)}");
            return $"{Steady.Name}: {log.Trim().Replace('\n', '|')}; kexec_loaded=0; sessions {Describe(sessions)}";
        });
        if (!ok) return false;

        Process? killedAfterFreeze = null;
        ok &= await results.StepAsync(Steps.SecondParticipants, async () =>
        {
            killedAfterFreeze = await UpdateParticipantProcess.StartAsync(KilledAfterFreeze.Name, KilledAfterFreeze.Mib, KilledAfterFreeze.Seed);
            await UpdateParticipantProcess.StartAsync(GoneBeforeClaim.Name, GoneBeforeClaim.Mib, GoneBeforeClaim.Seed);
            return $"{KilledAfterFreeze.Name} ({KilledAfterFreeze.Mib} MiB) and {GoneBeforeClaim.Name} ({GoneBeforeClaim.Mib} MiB) subscribed";
        });
        if (!ok) return false;
        await results.StepResultAsync(StepNames.LuodUpdateRequest, true, 0, $"luoctl update into {plan.NextTag}");
        var clock = Stopwatch.StartNew();
        var updating = LuodProcess.LuoctlAsync(null, update);
        ok &= await results.StepAsync(Steps.KilledAfterFreeze, async () =>
        {
            await WaitForLogAsync(KilledAfterFreeze.Name, "freeze", updating);
            // The SDK acknowledges freeze when the hook returns; give that ack a moment on the wire.
            await Task.Delay(200);
            killedAfterFreeze!.Kill();
            await killedAfterFreeze.WaitForExitAsync();
            return $"{KilledAfterFreeze.Name} SIGKILLed {clock.Elapsed.TotalMilliseconds:F0} ms into the update, after its freeze (steady still freezing)";
        });
        var (code, output, error) = await updating;
        await Task.Delay(TimeSpan.FromSeconds(code == 0 ? 60 : 0));
        await results.StepResultAsync(Steps.Update, false, 0, $"luoctl update exited {code} without a reboot: {output} {error}; " +
            string.Join(" | ", new[] { Steady, KilledAfterFreeze, GoneBeforeClaim }.Select(p => $"{p.Name}: {File.ReadAllText(UpdateParticipantProcess.LogOf(p.Name)).Trim()}")));
        return false;
    }

    private async Task<bool> AfterAsync()
    {
        var clock = Stopwatch.StartNew();
        bool ok = true;
        foreach (var participant in new[] { Steady, KilledAfterFreeze })
        {
            ok &= await results.StepAsync(Steps.Resume(participant.Name), async () =>
            {
                var (code, output) = await UpdateParticipantProcess.ResumeAsync(participant.Name, participant.Mib, participant.Seed);
                if (code != 0) throw new InvalidOperationException($"participant {participant.Name} exited {code}: {output}");
                return output;
            });
        }
        ok &= await results.StepAsync(Steps.KilledInPrepareKept, async () =>
        {
            string file = $"/tmp/{KilledInPrepare.Name}.out";
            await LuodProcess.LuoctlOkAsync("retrieve", "--session", KilledInPrepare.Name, "--name", "data", "--output", file);
            string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file)));
            string expected = SeededPattern.Sha256Of(KilledInPrepare.Seed, (long)KilledInPrepare.Mib << 20);
            if (actual != expected) throw new InvalidOperationException($"{KilledInPrepare.Name}: sha256 {actual} != {expected}");
            await LuodProcess.LuoctlOkAsync("finish", "--session", KilledInPrepare.Name);
            return $"{KilledInPrepare.Name} (killed in the cancelled update) carried across: sha256={actual} — match; finished";
        });
        ok &= await results.StepAsync(Steps.GoneFinishedByPolicy, async () =>
        {
            var before = await SessionStatesAsync();
            if (before.GetValueOrDefault(GoneBeforeClaim.Name) != "restored")
                throw new InvalidOperationException($"{GoneBeforeClaim.Name} is {before.GetValueOrDefault(GoneBeforeClaim.Name) ?? "missing"} before the grace, expected restored: {Describe(before)}");
            double restoredSeenAt = clock.Elapsed.TotalMilliseconds;
            Dictionary<string, string> now;
            do
            {
                if (clock.Elapsed > Grace + TimeSpan.FromSeconds(40)) throw new TimeoutException($"{GoneBeforeClaim.Name} still listed {clock.Elapsed.TotalSeconds:F0} s after luod's start (grace {Grace.TotalSeconds} s)");
                await Task.Delay(500);
                now = await SessionStatesAsync();
            }
            while (now.ContainsKey(GoneBeforeClaim.Name));
            double goneAt = clock.Elapsed.TotalMilliseconds;
            var (code, _, error) = await LuodProcess.LuoctlAsync(null, "retrieve", "--session", GoneBeforeClaim.Name, "--name", "data", "--output", "/tmp/gone.out");
            if (code == 0 || !error.Contains(LiveUpdateProtocol.Errors.SessionNotFound, StringComparison.Ordinal))
                throw new InvalidOperationException($"claim of the finished orphan: exit {code}, '{error}' (expected io.liveupdate.SessionNotFound)");
            string status = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            int orphans = JsonNode.Parse(status)!["status"]!["orphans"]!.GetValue<int>();
            if (orphans != 0) throw new InvalidOperationException($"orphans {orphans} after policy Finish: {status}");
            return $"{GoneBeforeClaim.Name} restored at {restoredSeenAt:F0} ms, finished by policy and gone at {goneAt:F0} ms (grace {Grace.TotalSeconds:F0} s); claim → {error.Trim()}; orphans=0; left {Describe(now)}";
        });
        return ok;
    }

    private static async Task<string> WaitForLogAsync(string name, string word, Task? mustNotEnd)
    {
        var clock = Stopwatch.StartNew();
        string path = UpdateParticipantProcess.LogOf(name);
        while (true)
        {
            string log = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (log.Contains(word, StringComparison.Ordinal)) return log;
            if (mustNotEnd is { IsCompleted: true }) throw new InvalidOperationException($"the update ended before {name} logged '{word}': {log}");
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{name} did not log '{word}' within 60 s: {log}");
            await Task.Delay(50);
        }
    }

    private static async Task<Dictionary<string, string>> SessionStatesAsync()
    {
        string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
        return JsonNode.Parse(json)!["sessions"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["state"]!.GetValue<string>());
    }

    private static string Describe(Dictionary<string, string> sessions) => string.Join(", ", sessions.Select(s => $"{s.Key}={s.Value}"));
}
