// RunningHostTests: preflight against "the running kernel" read from a fake /proc, /sys and
// /boot tree: ABI versions from KHO debugfs, lockdown with an unsigned next kernel, scratch
// sizing, and every undeterminable item turning into a warning rather than a silent GO.
using System.IO.Compression;
using System.Text;

namespace LiveUpdate.Preflight.Tests;

[Collection(RealKernels.CollectionName)]
public sealed class RunningHostTests(RealKernels kernels)
{
    private const string Cmdline = "root=/dev/vda kho=on liveupdate=on";

    [Fact]
    public void DebugfsAndBootImageGiveAGo()
    {
        var paths = FakeHost(lockdown: "[none] integrity confidentiality", debugfs: true, bootImage: true, scratchMiB: [64, 512]);

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"], RunningSystem: paths));

        Assert.Equal(PreflightVerdict.Go, report.Verdict);
        Assert.Equal(kernels.Kernel72.Release, report.ReferenceRelease);
        Assert.Contains(report.Findings, f => f is { Code: "kho-abi", Severity: FindingSeverity.Ok } && f.What.Contains("debugfs"));
        Assert.Contains(report.Findings, f => f is { Code: "luo-abi", Severity: FindingSeverity.Ok } && f.What.Contains("debugfs"));
        Assert.Contains(report.Findings, f => f is { Code: "memfd-abi", Severity: FindingSeverity.Ok } && f.What.Contains("vmlinuz"));
        Assert.Contains(report.Findings, f => f is { Code: "scratch", Severity: FindingSeverity.Ok } && f.What.Contains("576 MiB"));
        Assert.Contains(report.Findings, f => f is { Code: "signature", Severity: FindingSeverity.Ok });
    }

    [Fact]
    public void WhatDebugfsSaysWasWrittenWinsOverTheImage()
    {
        var paths = FakeHost(lockdown: "[none] integrity", debugfs: true, bootImage: true, scratchMiB: [1024], luoWritten: "luo-v4");

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"], RunningSystem: paths));

        Assert.Equal(PreflightVerdict.NoGo, report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.Code == "luo-abi-mismatch");
        Assert.Contains("luo-v4", finding.What);
    }

    [Fact]
    public void LockdownWithAnUnsignedImageIsNoGoWhenTheKernelVerifiesSignatures()
    {
        var paths = FakeHost(lockdown: "none [integrity] confidentiality", debugfs: true, bootImage: true, scratchMiB: [1024],
            editConfig: text => text + "CONFIG_KEXEC_SIG=y\n");

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"], RunningSystem: paths));

        Assert.Equal(PreflightVerdict.NoGo, report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.Code == "unsigned-image");
        Assert.Contains("integrity", finding.What);
        Assert.Contains("sign", finding.Fix);

        // Without CONFIG_KEXEC_SIG the running kernel never verifies kexec_file images, locked down or not.
        var noSig = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"],
            RunningSystem: FakeHost(lockdown: "none [integrity] confidentiality", debugfs: true, bootImage: true, scratchMiB: [1024])));
        Assert.DoesNotContain(noSig.Findings, f => f.Code == "unsigned-image");
        Assert.Equal(PreflightVerdict.Go, noSig.Verdict);
    }

    [Fact]
    public void TooLittleScratchIsNoGoAndTooMuchIsAWarning()
    {
        var small = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"],
            RunningSystem: FakeHost("[none]", debugfs: true, bootImage: true, scratchMiB: [4])));
        Assert.Equal(PreflightVerdict.NoGo, small.Verdict);
        Assert.Contains(small.Findings, f => f is { Code: "scratch-too-small", Severity: FindingSeverity.Error });

        var large = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"],
            RunningSystem: FakeHost("[none]", debugfs: true, bootImage: true, scratchMiB: [3000], memTotalMiB: 4096)));
        Assert.Equal(PreflightVerdict.GoWithWarnings, large.Verdict);
        Assert.Contains(large.Findings, f => f is { Code: "scratch-large", Severity: FindingSeverity.Warning });
    }

    [Fact]
    public void ExplicitKhoScratchOnTheRunningCommandLineIsUsedWithoutDebugfs()
    {
        var paths = FakeHost("[none]", debugfs: false, bootImage: true, scratchMiB: [], runningCmdline: "kho=on liveupdate=on kho_scratch=16M,256M,128M");

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"], RunningSystem: paths));

        Assert.Contains(report.Findings, f => f is { Code: "scratch", Severity: FindingSeverity.Ok } && f.What.Contains("400 MiB"));
        Assert.Equal(PreflightVerdict.Go, report.Verdict);
    }

    [Fact]
    public void NothingKnownAboutTheRunningKernelGivesWarningsNeverASilentGo()
    {
        var paths = FakeHost(lockdown: null, debugfs: false, bootImage: false, scratchMiB: [], config: false);

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"], RunningSystem: paths));

        Assert.Equal(PreflightVerdict.GoWithWarnings, report.Verdict);
        foreach (string code in new[] { "kho-abi-unknown", "luo-abi-unknown", "memfd-abi-unknown", "kexec-config-unknown", "lockdown-unknown", "scratch-unknown" })
        {
            var finding = Assert.Single(report.Findings, f => f.Code == code);
            Assert.Equal(FindingSeverity.Warning, finding.Severity);
            Assert.False(string.IsNullOrWhiteSpace(finding.Fix));
        }
    }

    [Fact]
    public void RunningKernelBuiltWithoutLuoIsNoGoFromItsConfig()
    {
        var paths = FakeHost("[none]", debugfs: false, bootImage: false, scratchMiB: [],
            editConfig: text => text.Replace("CONFIG_LIVEUPDATE=y", "# CONFIG_LIVEUPDATE is not set"));

        var report = PreflightCheck.Run(new PreflightRequest(kernels.Kernel73.BzImage, null, Cmdline, ["memfd"], RunningSystem: paths));

        Assert.Equal(PreflightVerdict.NoGo, report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.Code == "luo-missing-reference");
        Assert.Contains("CONFIG_LIVEUPDATE not set", finding.What);
        Assert.Contains(report.Findings, f => f.Code == "kho-abi-unknown");
    }

    private RunningSystemPaths FakeHost(string? lockdown, bool debugfs, bool bootImage, int[] scratchMiB,
        string luoWritten = "luo-v5", bool config = true, int memTotalMiB = 16384, string runningCmdline = "kho=on liveupdate=on",
        Func<string, string>? editConfig = null)
    {
        string root = kernels.NewPath("host");
        Directory.CreateDirectory(root);
        string release = kernels.Kernel72.Release;
        var paths = new RunningSystemPaths(
            OsRelease: Path.Combine(root, "osrelease"), Config: Path.Combine(root, "config.gz"), CommandLine: Path.Combine(root, "cmdline"),
            BootDirectory: Path.Combine(root, "boot"), KhoDebugfs: Path.Combine(root, "debug", "kho"), Lockdown: Path.Combine(root, "lockdown"),
            MemInfo: Path.Combine(root, "meminfo"), NodeDirectory: Path.Combine(root, "node"));
        File.WriteAllText(paths.OsRelease, release + "\n");
        File.WriteAllText(paths.CommandLine, runningCmdline + "\n");
        File.WriteAllText(paths.MemInfo, $"MemTotal:       {memTotalMiB * 1024} kB\nMemFree:         1000 kB\n");
        Directory.CreateDirectory(Path.Combine(paths.NodeDirectory, "node0"));
        if (lockdown is not null) File.WriteAllText(paths.Lockdown, lockdown + "\n");
        if (config)
        {
            using var gzip = new GZipStream(File.Create(paths.Config), CompressionLevel.Fastest);
            string text = File.ReadAllText(kernels.Kernel72.Config);
            gzip.Write(Encoding.UTF8.GetBytes(editConfig is null ? text : editConfig(text)));
        }
        if (bootImage)
        {
            Directory.CreateDirectory(paths.BootDirectory);
            File.Copy(kernels.Kernel72.BzImage, Path.Combine(paths.BootDirectory, $"vmlinuz-{release}"));
        }
        if (debugfs)
        {
            string outDirectory = Path.Combine(paths.KhoDebugfs, "out");
            Directory.CreateDirectory(Path.Combine(outDirectory, "sub_fdts"));
            File.WriteAllBytes(Path.Combine(outDirectory, "fdt"), FdtBlobBuilder.Build([("compatible", "kho-v4")], [("LUO", "preserved-data", "x")]));
            // struct luo_ser: char compatible[ALIGN(sizeof("luo-v5"), 8)], then three u64.
            var luo = new byte[8 + 24];
            Encoding.ASCII.GetBytes(luoWritten).CopyTo(luo, 0);
            File.WriteAllBytes(Path.Combine(outDirectory, "sub_fdts", "LUO"), luo);
            File.WriteAllText(Path.Combine(outDirectory, "scratch_len"), string.Concat(scratchMiB.Select(m => $"0x{(long)m << 20:x}\n")));
        }
        return paths;
    }
}
