// GuestCommandLineKeys: the lu.* words of the guest kernel command line (docs/vm-harness.md,
// "Guest contract"). luvm composes them (ScenarioCommandLine, the runs' scenario parameters) and
// lu-guest parses them (GuestPlan, the scenarios); this is the one place their keys are spelled.
// The words are kept across kexecs; only lu.hop changes from one hop to the next.
namespace LiveUpdate.GuestContract;

public static class GuestCommandLineKeys
{
    /// <summary>Every key of the contract starts with this; a scenario parameter must too.</summary>
    public const string Prefix = "lu.";

    /// <summary>The scenario lu-guest runs (<see cref="ScenarioNames"/>).</summary>
    public const string Scenario = "lu.scenario";

    /// <summary>Comma-separated kernel tags (7.2, 7.3): hop n boots lu.chain[n].</summary>
    public const string Chain = "lu.chain";

    /// <summary>Which hop of the chain this boot is (0 first).</summary>
    public const string Hop = "lu.hop";

    /// <summary>lu.cold=1: hops are crossed by cold reboots (QEMU restarted by the host), not by kexec.</summary>
    public const string Cold = "lu.cold";

    /// <summary>The systemd scenarios: the block device holding the Debian root; /init mounts it and switches to systemd there.</summary>
    public const string SystemRoot = "lu.root";

    /// <summary>With lu.root: what runs as PID 1 there — "systemd" (the default) or "lu-guest" (a shell that runs lu-guest, the CRIU scenario).</summary>
    public const string RootInit = "lu.root-init";

    /// <summary>vm-update: MiB of RAM of the VM luqemu runs (default 64).</summary>
    public const string VmMib = "lu.vm.mib";

    /// <summary>vm-update, vm-oldway: fill the VM's RAM with pseudo-random bytes from this seed before it boots (benchmarks).</summary>
    public const string VmFillSeed = "lu.vm.fill";

    /// <summary>vm-update: 1 = luqemu hashes the VM's RAM after the stop and after the claim (the CI check; it lengthens the blackout).</summary>
    public const string VmVerifyRam = "lu.vm.verify";

    /// <summary>The cache demo: MiB of items lucache loads before the update.</summary>
    public const string DemoMib = "lu.demo.mib";

    /// <summary>criu-memcached: MiB of seeded items the cache holds across the update (default 16).</summary>
    public const string CriuMib = "lu.criu.mib";

    /// <summary>criu-memcached: memory (default), disk or lucache (CriuWays).</summary>
    public const string CriuWay = "lu.criu.way";

    /// <summary>The blackout benchmark's plan (BenchPlan.Parameters / BenchPlan.FromParameters).</summary>
    public const string BenchSizes = "lu.bench.sizes";
    public const string BenchRuns = "lu.bench.runs";
    public const string BenchModes = "lu.bench.modes";
    public const string BenchLuod = "lu.bench.luod";
    public const string BenchFloor = "lu.bench.floor";
    public const string BenchLuodPath = "lu.bench.luodpath";
    public const string BenchLuodPathSizes = "lu.bench.luodpath.sizes";

    /// <summary>soak: the seed every hop re-derives its expected sessions from (with lu.hop).</summary>
    public const string SoakSeed = "lu.soak.seed";

    /// <summary>The command-line word "key=value".</summary>
    public static string Word(string key, string value) => $"{key}={value}";

    /// <summary>The command-line word "key=value" for a whole number (invariant culture).</summary>
    public static string Word(string key, int value) => Word(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
