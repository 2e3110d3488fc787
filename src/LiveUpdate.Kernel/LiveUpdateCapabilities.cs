// LiveUpdateCapabilities: what this machine can do for a live update right now — the
// device, KHO and LUO switched on, the kernel's build options, debugfs, a loaded kexec
// image — each as a finding with the fix when it is missing. `luoctl status` prints it.
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public enum FindingLevel
{
    Ok,
    Warning,
    Missing,
}

public sealed record CapabilityFinding(string Name, FindingLevel Level, string Detail, string? Fix);

public sealed record LiveUpdateCapabilities(
    string KernelRelease,
    bool IsRoot,
    bool DevicePresent,
    bool KhoEnabled,
    bool LiveUpdateEnabled,
    bool BootedByHandover,
    bool KexecImageLoaded,
    IReadOnlyList<CapabilityFinding> Findings)
{
    /// <summary>True when nothing is missing: sessions can be created and handed over.</summary>
    public bool Ready => Findings.All(f => f.Level != FindingLevel.Missing);
}

/// <summary>Where the probe looks; tests point it at a fake tree.</summary>
public sealed record CapabilityProbePaths(
    string Device = LiveUpdateDevice.DefaultPath,
    string CommandLine = KernelCommandLine.ProcPath,
    string Config = KernelConfig.ProcPath,
    string OsRelease = "/proc/sys/kernel/osrelease",
    string KhoDebugfs = "/sys/kernel/debug/kho",
    string DebugfsRoot = "/sys/kernel/debug",
    string KexecLoaded = Kexec.LoadedFlagPath);

public static class LiveUpdateCapabilityProbe
{
    private static readonly string[] RequiredOptions =
        ["CONFIG_KEXEC_FILE", "CONFIG_KEXEC_HANDOVER", "CONFIG_LIVEUPDATE", "CONFIG_LIVEUPDATE_MEMFD"];

    public static LiveUpdateCapabilities Probe(CapabilityProbePaths? paths = null, bool? isRoot = null)
    {
        paths ??= new CapabilityProbePaths();
        var findings = new List<CapabilityFinding>();
        string release = ReadTrimmed(paths.OsRelease) ?? "unknown";
        bool root = isRoot ?? LibC.Geteuid() == 0;
        var cmdline = File.Exists(paths.CommandLine) ? new KernelCommandLine(File.ReadAllText(paths.CommandLine)) : new KernelCommandLine("");
        KernelConfig? config = KernelConfig.TryReadRunning(paths.Config);

        findings.Add(new("kernel", FindingLevel.Ok, $"Linux {release}", null));
        findings.Add(root
            ? new("privileges", FindingLevel.Ok, "running as root", null)
            : new("privileges", FindingLevel.Warning, "not root: /dev/liveupdate and kexec need root (CAP_SYS_BOOT)", "run as root"));

        if (config is null)
        {
            findings.Add(new("kernel config", FindingLevel.Warning, $"{paths.Config} not available: build options cannot be checked",
                "build the kernel with CONFIG_IKCONFIG_PROC=y, or check its config by hand"));
        }
        else
        {
            foreach (string option in RequiredOptions)
            {
                findings.Add(config.IsBuiltIn(option)
                    ? new(option, FindingLevel.Ok, "built in", null)
                    : new(option, FindingLevel.Missing, $"{option} is {config.Get(option) ?? "not set"}", $"rebuild the kernel with {option}=y"));
            }
        }

        bool khoByDefault = config?.IsBuiltIn("CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT") == true;
        bool khoOff = cmdline.Get("kho") is not null && !cmdline.IsEnabled("kho");
        bool khoEnabled = cmdline.IsEnabled("kho") || (khoByDefault && !khoOff) || Directory.Exists(paths.KhoDebugfs);
        findings.Add(khoEnabled
            ? new("kho", FindingLevel.Ok, cmdline.IsEnabled("kho") ? "kho=on" : "enabled", null)
            : new("kho", FindingLevel.Missing, "Kexec HandOver is off: nothing survives a kexec", "boot with kho=on"));

        bool luoEnabled = cmdline.IsEnabled("liveupdate");
        bool devicePresent = File.Exists(paths.Device);
        findings.Add(luoEnabled
            ? new("liveupdate", FindingLevel.Ok, "liveupdate=on", null)
            : new("liveupdate", devicePresent ? FindingLevel.Warning : FindingLevel.Missing,
                "liveupdate=on is not on the kernel command line", "boot with liveupdate=on"));
        findings.Add(devicePresent
            ? new("device", FindingLevel.Ok, $"{paths.Device} present", null)
            : new("device", FindingLevel.Missing, $"{paths.Device} does not exist", "boot a LUO kernel (CONFIG_LIVEUPDATE=y) with kho=on liveupdate=on"));

        bool debugfsMounted = Directory.Exists(paths.KhoDebugfs);
        bool bootedByHandover = Directory.Exists(Path.Combine(paths.KhoDebugfs, "in"));
        findings.Add(debugfsMounted
            ? new("kho debugfs", FindingLevel.Ok, bootedByHandover ? $"{paths.KhoDebugfs}: this boot received a handover" : $"{paths.KhoDebugfs}: no incoming handover (cold boot)", null)
            : new("kho debugfs", FindingLevel.Warning, $"{paths.KhoDebugfs} not visible: handover state cannot be inspected",
                $"mount debugfs on {paths.DebugfsRoot} (mount -t debugfs none {paths.DebugfsRoot}) on a kernel with CONFIG_KEXEC_HANDOVER_DEBUGFS=y"));

        bool loaded = File.Exists(paths.KexecLoaded) && ReadTrimmed(paths.KexecLoaded) == "1";
        findings.Add(loaded
            ? new("kexec image", FindingLevel.Ok, "a next kernel is loaded", null)
            : new("kexec image", FindingLevel.Warning, "no next kernel loaded yet", "load one with 'luoctl kexec load --kernel K [--initrd I] --reuse-cmdline'"));

        return new LiveUpdateCapabilities(release, root, devicePresent, khoEnabled, luoEnabled, bootedByHandover, loaded, findings);
    }

    private static string? ReadTrimmed(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
