// UpdateRefusals (scenario cancel-and-no-go, one boot): updates that must not happen, and must
// leave everything as it was.
//   NO-GO (once S11): the next kernel is NO-GO (its command line lacks kho=on liveupdate=on, so it would
//        boot without the handover): `luoctl check` says NO-GO with findings, `luoctl update`
//        fails with io.liveupdate.PreflightFailed, no participant hears prepare, nothing is
//        staged.
//   Cancel (once S10): a participant never acknowledges prepare: the update is cancelled at the deadline,
//        both participants resume with their bytes intact, the staged kernel is unloaded,
//        no kexec happens, and the sessions are still open.
using LiveUpdate.GuestContract;
using LiveUpdateProtocol = LiveUpdate.Protocol.LiveUpdateProtocol;
namespace LiveUpdate.Guest.Scenarios;

public sealed class UpdateRefusals(GuestPlan plan, ResultChannel results)
{
    private const string KexecLoaded = "/sys/kernel/kexec_loaded";

    public async Task<bool> RunAsync()
    {
        bool ok = await results.StepAsync(StepNames.CancelAndNoGo.Setup, async () =>
        {
            var (luod, ready) = await LuodProcess.StartAsync("--OrphanGrace=00:10:00");
            await UpdateParticipantProcess.StartAsync("cache", 8, 101);
            await UpdateParticipantProcess.StartAsync("stuck", 4, 102, "--stuck-on-prepare");
            return $"luod ready in {ready.TotalMilliseconds:F0} ms; participants cache (8 MiB) and stuck (4 MiB) subscribed";
        });
        if (!ok) return false;
        string kernel = $"/boot/{plan.CurrentTag}/bzImage";

        ok &= await results.StepAsync(StepNames.CancelAndNoGo.CheckNoGo, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "check", kernel, "--append", "console=ttyS0");
            if (code != 11 || !output.Contains("NO-GO", StringComparison.Ordinal) || !output.Contains("liveupdate=on", StringComparison.Ordinal))
                throw new InvalidOperationException($"luoctl check: exit {code} (expected 11, NO-GO naming liveupdate=on): {output} {error}");
            return output;
        });
        ok &= await results.StepAsync(StepNames.CancelAndNoGo.UpdateRefused, async () =>
        {
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", kernel, "--append", "console=ttyS0", "--timeout", "10");
            if (code != LuoctlExitContract.NoGo || !error.Contains(LiveUpdateProtocol.Errors.PreflightFailed, StringComparison.Ordinal))
                throw new InvalidOperationException($"luoctl update: exit {code} (expected {LuoctlExitContract.NoGo}, NO-GO, with PreflightFailed): {output} {error}");
            foreach (string name in new[] { "cache", "stuck" })
                if (File.ReadAllText(UpdateParticipantProcess.LogOf(name)).Contains("prepare", StringComparison.Ordinal))
                    throw new InvalidOperationException($"participant {name} was told to prepare for a NO-GO kernel");
            string loaded = File.ReadAllText(KexecLoaded).Trim();
            if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded} after a NO-GO: something was staged");
            return $"refused before staging: {error.Trim()}";
        });

        ok &= await results.StepAsync(StepNames.CancelAndNoGo.UpdateCancelled, async () =>
        {
            string commandLine = plan.CommandLine.ToString();
            var (code, output, error) = await LuodProcess.LuoctlAsync(null, "update", "--kernel", kernel, "--append", commandLine, "--timeout", "5");
            if (code != LuoctlExitContract.UpdateCancelled || !error.Contains(LiveUpdateProtocol.Errors.UpdateCancelled, StringComparison.Ordinal) || !error.Contains("stuck", StringComparison.Ordinal))
                throw new InvalidOperationException($"luoctl update: exit {code} (expected {LuoctlExitContract.UpdateCancelled}, UpdateCancelled naming 'stuck'): {output} {error}");
            return $"{output.Trim()} → {error.Trim()}";
        });
        ok &= await results.StepAsync(StepNames.CancelAndNoGo.EveryoneResumed, async () =>
        {
            var details = new List<string>();
            foreach (string name in new[] { "cache", "stuck" })
            {
                string log = "";
                for (int i = 0; i < 100 && !log.Contains("resume", StringComparison.Ordinal); i++)
                {
                    await Task.Delay(100);
                    log = File.ReadAllText(UpdateParticipantProcess.LogOf(name));
                }
                if (!log.Contains("data intact", StringComparison.Ordinal))
                    throw new InvalidOperationException($"participant {name} did not resume with its data intact: {log}");
                details.Add($"{name}: {log.Trim().Replace('\n', '|')}");
            }
            string loaded = File.ReadAllText(KexecLoaded).Trim();
            if (loaded != "0") throw new InvalidOperationException($"{KexecLoaded} is {loaded}: the staged kernel was not unloaded");
            string sessions = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            if (sessions.Split("\"open\"").Length - 1 != 2) throw new InvalidOperationException($"expected both sessions still open: {sessions}");
            return string.Join("; ", details) + "; kexec_loaded=0; both sessions open";
        });
        return ok;
    }
}
