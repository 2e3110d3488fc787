// CapabilityProbeTests: the probe reads a fake /proc, /sys and /dev tree and reports each
// missing piece as Missing with its fix, and readiness only when nothing is missing.
using System.IO.Compression;

namespace LiveUpdate.Kernel.Tests;

public sealed class CapabilityProbeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("probe").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private CapabilityProbePaths Paths => new(
        Device: Path.Combine(_root, "dev/liveupdate"),
        CommandLine: Path.Combine(_root, "proc/cmdline"),
        Config: Path.Combine(_root, "proc/config.gz"),
        OsRelease: Path.Combine(_root, "proc/osrelease"),
        KhoDebugfs: Path.Combine(_root, "debug/kho"),
        DebugfsRoot: Path.Combine(_root, "debug"),
        KexecLoaded: Path.Combine(_root, "sys/kexec_loaded"));

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private void WriteConfig(params string[] lines)
    {
        Directory.CreateDirectory(Path.Combine(_root, "proc"));
        using var gzip = new GZipStream(File.Create(Paths.Config), CompressionLevel.Fastest);
        using var writer = new StreamWriter(gzip);
        foreach (string line in lines) writer.WriteLine(line);
    }

    [Fact]
    public void A_prepared_machine_is_ready()
    {
        Write("proc/osrelease", "7.2.13\n");
        Write("proc/cmdline", "console=ttyS0 kho=on liveupdate=on\n");
        Write("dev/liveupdate", "");
        Write("sys/kexec_loaded", "1\n");
        Directory.CreateDirectory(Path.Combine(_root, "debug/kho/in"));
        WriteConfig("CONFIG_KEXEC_FILE=y", "CONFIG_KEXEC_HANDOVER=y", "CONFIG_LIVEUPDATE=y", "CONFIG_LIVEUPDATE_MEMFD=y");

        var caps = LiveUpdateCapabilityProbe.Probe(Paths, isRoot: true);

        Assert.True(caps.Ready, string.Join("; ", caps.Findings.Select(f => $"{f.Name}:{f.Level}")));
        Assert.Equal("7.2.13", caps.KernelRelease);
        Assert.True(caps.BootedByHandover);
        Assert.True(caps.KexecImageLoaded);
    }

    [Fact]
    public void A_kernel_without_LUO_is_not_ready_and_says_how_to_fix_it()
    {
        Write("proc/osrelease", "6.1.0\n");
        Write("proc/cmdline", "console=ttyS0\n");
        WriteConfig("CONFIG_KEXEC_FILE=y", "# CONFIG_LIVEUPDATE is not set");

        var caps = LiveUpdateCapabilityProbe.Probe(Paths, isRoot: true);

        Assert.False(caps.Ready);
        Assert.False(caps.DevicePresent);
        var luo = Assert.Single(caps.Findings, f => f.Name == "CONFIG_LIVEUPDATE");
        Assert.Equal(FindingLevel.Missing, luo.Level);
        Assert.Contains("CONFIG_LIVEUPDATE=y", luo.Fix);
        Assert.Equal(FindingLevel.Missing, caps.Findings.Single(f => f.Name == "kho").Level);
        Assert.Contains("kho=on", caps.Findings.Single(f => f.Name == "kho").Fix);
    }

    [Fact]
    public void KHO_enabled_by_config_default_counts_unless_switched_off()
    {
        Write("proc/osrelease", "7.3.4\n");
        WriteConfig("CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT=y");
        Write("proc/cmdline", "liveupdate=on\n");
        Assert.True(LiveUpdateCapabilityProbe.Probe(Paths, isRoot: true).KhoEnabled);
        Write("proc/cmdline", "liveupdate=on kho=off\n");
        Assert.False(LiveUpdateCapabilityProbe.Probe(Paths, isRoot: true).KhoEnabled);
    }

    [Fact]
    public void Missing_config_is_a_warning_not_a_silent_pass()
    {
        Write("proc/osrelease", "7.2.13\n");
        Write("proc/cmdline", "kho=on liveupdate=on\n");
        var caps = LiveUpdateCapabilityProbe.Probe(Paths, isRoot: false);
        Assert.Contains(caps.Findings, f => f.Name == "kernel config" && f.Level == FindingLevel.Warning);
        Assert.Contains(caps.Findings, f => f.Name == "privileges" && f.Level == FindingLevel.Warning);
    }
}
