// GuestPlan: what this boot of the guest must do, read from the kernel command line the
// harness set (docs/vm-harness.md): the scenario, the chain of kernels, and which hop of
// the chain this boot is (keys: GuestCommandLineKeys). Only lu.hop changes from one kexec to the next.
using LiveUpdate.GuestContract;
using LiveUpdate.Kernel;

namespace LiveUpdate.Guest;

public sealed record GuestPlan(string Scenario, IReadOnlyList<string> Chain, int Hop, KernelCommandLine CommandLine)
{
    public bool IsFirstHop => Hop == 0;

    public bool IsLastHop => Hop == Chain.Count - 1;

    public string CurrentTag => Chain[Hop];

    /// <summary>lu.cold=1: hops are crossed by a cold reboot (QEMU restarted by the harness), not a kexec.</summary>
    public bool ColdReboot => CommandLine.Get(GuestCommandLineKeys.Cold) == "1";

    public string NextTag => Chain[Hop + 1];

    /// <summary>This boot's command line with lu.hop advanced: what the next kernel boots with.</summary>
    public KernelCommandLine NextHopCommandLine => CommandLine.With(GuestCommandLineKeys.Hop, (Hop + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static GuestPlan FromCommandLine(KernelCommandLine commandLine)
    {
        string scenario = commandLine.Get(GuestCommandLineKeys.Scenario)
            ?? throw new InvalidOperationException($"{GuestCommandLineKeys.Scenario}= is missing from the kernel command line; the harness must set it.");
        string chain = commandLine.Get(GuestCommandLineKeys.Chain)
            ?? throw new InvalidOperationException($"{GuestCommandLineKeys.Chain}= is missing from the kernel command line; the harness must set it.");
        string hopText = commandLine.Get(GuestCommandLineKeys.Hop) ?? "0";
        if (!int.TryParse(hopText, out int hop) || hop < 0)
            throw new InvalidOperationException($"lu.hop={hopText} is not a hop number.");
        string[] tags = chain.Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (hop >= tags.Length)
            throw new InvalidOperationException($"lu.hop={hop} is past the end of lu.chain={chain}.");
        return new GuestPlan(scenario, tags, hop, commandLine);
    }
}
