// lu-guest: the in-guest half of the VM harness. It reads the plan from the kernel
// command line, runs this hop of the scenario, reports each step on ttyS1, and either
// kexecs into the next kernel of the chain or ends the run.
using LiveUpdate.Guest;
using LiveUpdate.Guest.Scenarios;
using LiveUpdate.Kernel;

// `lu-guest participant …`: a workload process of the update scenarios (S9, S10), not a scenario run.
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
        "s1" or "s3" => await new MemfdRoundTrip(plan, results).RunAsync(),
        "s2" => await new Refusals(plan, results).RunAsync(),
        "s4" => await new KernelSelftests(plan, results).RunAsync(),
        "s5" => await new LuodCustody(plan, results).RunAsync(),
        "s6" => await new LuodOrphansAndOwners(plan, results).RunAsync(),
        "s8" => await new LuodCustodyLost(plan, results).RunAsync(),
        "s9" => await new OrchestratedUpdate(plan, results).RunAsync(),
        "s10" => await new UpdateRefusals(plan, results).RunAsync(),
        "s13" => await new LuodRestoreScaling(plan, results).RunAsync(),
        "s12" => await new LuodFdStoreRestart(plan, results).RunAsync(),
        "luod-upgrade" => await new LuodUpgrade(plan, results).RunAsync(),
        "demo" => await new CacheDemo(plan, results).RunAsync(),
        BenchPlan.KexecScenario => await new BlackoutBench(plan, results).RunAsync(),
        BenchPlan.OldWayScenario => await new OldWayBench(plan, results).RunAsync(),
        "criu" => await new CriuBench(plan, results).RunAsync(),
        "boot" => true,
        _ => throw new InvalidOperationException($"unknown scenario '{plan.Scenario}' (known: s1, s2, s3, s4, s5, s6, s8, s9, s10, s12, s13, demo, bench, bench-oldway, boot)"),
    };
}
catch (Exception ex)
{
    await results.StepResultAsync("scenario", false, 0, $"{ex.GetType().Name}: {ex.Message}");
    ok = false;
}

if (ok && !plan.IsLastHop && plan.ColdReboot)
{
    // /init reboots; QEMU exits (-no-reboot) and the harness boots the next hop from cold.
    await results.StepResultAsync("cold.reboot", true, 0, $"rebooting cold into {plan.NextTag} for hop {plan.Hop + 1}");
    return 0;
}

if (ok && !plan.IsLastHop)
{
    await NextKernelHop.KexecAsync(plan, results);
    // Only reached when the kexec could not happen.
    await results.EndAsync(false, $"hop {plan.Hop}: kexec into {plan.NextTag} did not happen");
    return 1;
}

await results.EndAsync(ok, ok
    ? $"scenario {plan.Scenario} passed on hop {plan.Hop} of {plan.Chain.Count} ({string.Join(" → ", plan.Chain)})"
    : $"scenario {plan.Scenario} failed on hop {plan.Hop}");
return ok ? 0 : 1;
