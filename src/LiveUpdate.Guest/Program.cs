// lu-guest: the in-guest half of the VM harness. It reads the plan from the kernel
// command line, runs this hop of the scenario, reports each step on ttyS1, and either
// kexecs into the next kernel of the chain or ends the run.
using LiveUpdate.Guest;
using LiveUpdate.Guest.Scenarios;
using LiveUpdate.Kernel;
using LiveUpdate.GuestContract;

// `lu-guest participant …`: a workload process of the update scenarios (orchestrated-update,
// cancel-and-no-go), not a scenario run.
if (args.Length > 0 && args[0] == "participant") return await UpdateParticipantProcess.RunAsync(args);

double uptimeMs = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1000;
var plan = GuestPlan.FromCommandLine(KernelCommandLine.Current());
string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
await using var results = ResultChannel.Open(plan, release);
await results.BootAsync(uptimeMs);

bool ok;
try
{
    ok = plan.Scenario switch
    {
        ScenarioNames.MemfdRoundTrip or ScenarioNames.CrossVersionChain => await new MemfdRoundTrip(plan, results).RunAsync(),
        ScenarioNames.LuoRefusals => await new Refusals(plan, results).RunAsync(),
        ScenarioNames.KernelSelftests => await new KernelSelftests(plan, results).RunAsync(),
        ScenarioNames.LuodCustody => await new LuodCustody(plan, results).RunAsync(),
        ScenarioNames.OrphansAndOwners => await new LuodOrphansAndOwners(plan, results).RunAsync(),
        ScenarioNames.CustodyLost => await new LuodCustodyLost(plan, results).RunAsync(),
        ScenarioNames.OrchestratedUpdate => await new OrchestratedUpdate(plan, results).RunAsync(),
        ScenarioNames.CancelAndNoGo => await new UpdateRefusals(plan, results).RunAsync(),
        ScenarioNames.LuodRestoreScaling => await new LuodRestoreScaling(plan, results).RunAsync(),
        ScenarioNames.FdStoreRestart => await new LuodFdStoreRestart(plan, results).RunAsync(),
        ScenarioNames.LuodUpgrade => await new LuodUpgrade(plan, results).RunAsync(),
        ScenarioNames.CacheDemo => await new CacheDemo(plan, results).RunAsync(),
        ScenarioNames.Bench => await new BlackoutBench(plan, results).RunAsync(),
        ScenarioNames.BenchOldWay => await new OldWayBench(plan, results).RunAsync(),
        ScenarioNames.CriuMemcached => await new CriuMemcached(plan, results).RunAsync(),
        ScenarioNames.VmUpdate => await new VmUpdate(plan, results).RunAsync(),
        ScenarioNames.VmOldWay => await new VmOldWay(plan, results).RunAsync(),
        ScenarioNames.SystemdUpdate => await new SystemdUpdate(plan, results).RunAsync(),
        ScenarioNames.FaultParticipants => await new FaultParticipants(plan, results).RunAsync(),
        ScenarioNames.FaultLuodKilled => await new FaultLuodKilled(plan, results).RunAsync(),
        ScenarioNames.FaultCatalogDamaged => await new FaultCatalogDamaged(plan, results).RunAsync(),
        ScenarioNames.FaultLuodHeld => await new FaultLuodHeld(plan, results).RunAsync(),
        ScenarioNames.FaultKexecAndLimits => await new FaultKexecAndLimits(plan, results).RunAsync(),
        ScenarioNames.Soak => await new Soak(plan, results).RunAsync(),
        ScenarioNames.PreviousKernelLog => await new PreviousKernelLog(plan, results).RunAsync(),
        ScenarioNames.KuredExitCodes => await new KuredExitCodes(plan, results).RunAsync(),
        ScenarioNames.KhoInspect => await new KhoInspect(plan, results).RunAsync(),
        ScenarioNames.MetricsPrometheus => await new MetricsPrometheus(plan, results).RunAsync(),
        ScenarioNames.Advise => await new Advise(plan, results).RunAsync(),
        ScenarioNames.Boot => true,
        _ => throw new InvalidOperationException($"unknown scenario '{plan.Scenario}' (known: {string.Join(", ", ScenarioNames.All)})"),
    };
}
catch (Exception ex)
{
    await results.StepResultAsync(StepNames.Scenario, false, 0, $"{ex.GetType().Name}: {ex.Message}");
    ok = false;
}

if (ok && !plan.IsLastHop && plan.ColdReboot)
{
    // /init reboots; QEMU exits (-no-reboot) and the harness boots the next hop from cold.
    await results.StepResultAsync(StepNames.ColdReboot, true, 0, $"rebooting cold into {plan.NextTag} for hop {plan.Hop + 1}");
    return 0;
}

if (ok && !plan.IsLastHop)
{
    // A systemd scenario crosses its hops through luod and systemd; returning ok here means it did not.
    if (SystemdGuest.IsUnderSystemd)
        ok = false;
    else
        await NextKernelHop.KexecAsync(plan, results);
    // Only reached when the kexec could not happen.
    await results.EndAsync(false, $"hop {plan.Hop}: kexec into {plan.NextTag} did not happen");
    if (SystemdGuest.IsUnderSystemd) await SystemdGuest.PowerOffNowAsync();
    return 1;
}

await results.EndAsync(ok, ok
    ? $"scenario {plan.Scenario} passed on hop {plan.Hop} of {plan.Chain.Count} ({string.Join(" → ", plan.Chain)})"
    : $"scenario {plan.Scenario} failed on hop {plan.Hop}");
// Under systemd (lu-guest.service) nobody reboots after us as /init does: end the run now.
if (SystemdGuest.IsUnderSystemd) await SystemdGuest.PowerOffNowAsync();
return ok ? 0 : 1;
