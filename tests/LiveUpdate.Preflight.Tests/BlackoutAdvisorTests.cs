// BlackoutAdvisorTests: the blackout advisor on synthetic machines (MachineFacts made up here)
// with the real 7.2/7.3 bzImages our harness builds (LZ4, no deferred struct page init) and
// images made from them: the same kernel as xz, and one whose embedded config turns deferred
// struct page init on. Every cost is checked against what its source says.
using System.IO.Compression;
using System.Text;
using LiveUpdate.Kernel;
using LiveUpdate.Preflight.Advice;

namespace LiveUpdate.Preflight.Tests;

[Collection(RealKernels.CollectionName)]
public sealed class BlackoutAdvisorTests(RealKernels kernels)
{
    private const string GuestCmdline = "console=ttyS0 kho=on kho_scratch=128M,512M,256M liveupdate=on retain_initrd panic=-1 printk.time=1 no_timer_check";
    private const long InitrdBytes = 36L << 20;

    private static KernelLogRecord Line(int priority, long microseconds, string text) => new(priority, microseconds, microseconds, text);

    /// <summary>A guest-like machine: 7.2 running, 3 GiB, shmem THP never, luod holding 64 MiB, three devices bound.</summary>
    private static MachineFacts Guest(string release = "7.2.13", string cmdline = GuestCmdline, ShmemHugePages? shmem = ShmemHugePages.Never,
        long? preserved = 64L << 20, IReadOnlyList<ulong>? scratch = null) => new()
    {
        RunningRelease = release,
        CommandLine = new KernelCommandLine(cmdline),
        LogLevel = new ConsoleLogLevel(7, 4, 1, 7),
        Consoles = [new ActiveConsole("ttyS0", true)],
        BootLog =
        [
            Line(5, 0, "Linux version 7.3.4 (builder@host) #1 SMP"),  // 41 chars
            Line(6, 1000, new string('x', 83)),
            Line(3, 2000, new string('e', 33)),
            Line(6, 300_000, "Run /init as init process"),
            Line(6, 400_000, "after init: not the kernel's boot"),
        ],
        ShmemPolicy = shmem,
        Memory = MemoryInfo.Parse("MemTotal:        3063112 kB\nShmem:             65600 kB\nShmemHugePages:        0 kB\n"),
        ScratchSizes = scratch,
        PreservedBytes = preserved,
        PreservedSessions = preserved is null ? null : 1,
        LuodProblem = preserved is null ? "luod at /run/luod/io.liveupdate: not running" : null,
        Devices = [new BoundDevice("pci", "0000:00:01.0", "virtio-pci"), new BoundDevice("pci", "0000:00:02.0", "virtio-pci"), new BoundDevice("serio", "serio0", "atkbd")],
    };

    private AdviceReport Advise(MachineFacts machine, string? image = null, string? cmdline = null, long? initrd = InitrdBytes, string format = "cpio") =>
        BlackoutAdvisor.Advise(machine, new AdviceRequest(KernelImage.Read(image ?? kernels.Kernel73.BzImage), new KernelCommandLine(cmdline ?? machine.CommandLine!.ToString()),
            initrd is null ? null : "/boot/initrd.img", initrd, initrd is null ? null : format));

    private static BlackoutFinding Find(AdviceReport report, string lever) => Assert.Single(report.Findings, f => f.Lever == lever);

    [Fact]
    public void OurGuestKernelIsLz4AndNeedsNoPayloadChange()
    {
        var report = Advise(Guest());

        Assert.Equal("lz4", report.Facts.Payload);
        var payload = Find(report, BlackoutAdvisor.PayloadLever);
        Assert.False(payload.Applies);
        Assert.Equal(MeasuredBlackoutCosts.Lz4PayloadMs, payload.CostMs);
        Assert.Equal(CostSource.MeasuredInBenchmarks, payload.Source);
        Assert.Equal(new FileInfo(kernels.Kernel73.BzImage).Length, report.Facts.ImageBytes);
    }

    [Fact]
    public void AnXzKernelIsToldToSwitchToLz4WithTheMeasuredDifference()
    {
        string xz = BzImageFixture.Wrap(kernels.Kernel73.BzImage, kernels.XzWrapped73, kernels.NewPath("bzImage-xz"));

        var payload = Find(Advise(Guest(), xz), BlackoutAdvisor.PayloadLever);

        Assert.True(payload.Applies);
        Assert.Equal(MeasuredBlackoutCosts.XzPayloadMs, payload.CostMs);
        Assert.Contains("CONFIG_KERNEL_LZ4=y", payload.Change);
        Assert.Contains("xz", payload.Now);
    }

    [Fact]
    public void A72KexecHashesKernelAndInitrdAndA73OneWithKhoDoesNot()
    {
        long kernelBytes = new FileInfo(kernels.Kernel73.BzImage).Length;
        var from72 = Find(Advise(Guest("7.2.13")), BlackoutAdvisor.PurgatoryLever);
        Assert.True(from72.Applies);
        Assert.Equal(CostSource.EstimatedFromRate, from72.Source);
        Assert.Equal(Math.Round((kernelBytes + InitrdBytes) / 1048576.0 / MeasuredBlackoutCosts.PurgatoryHashMiBPerSecond * 1000), from72.CostMs);

        var from73 = Find(Advise(Guest("7.3.4")), BlackoutAdvisor.PurgatoryLever);
        Assert.False(from73.Applies);
        Assert.Equal(0, from73.CostMs);

        var from73WithoutKho = Find(Advise(Guest("7.3.4", cmdline: "console=ttyS0 liveupdate=on")), BlackoutAdvisor.PurgatoryLever);
        Assert.True(from73WithoutKho.Applies);
    }

    [Fact]
    public void TheInitramfsUnpackIsTheMeasuredRateTimesItsSizeAndLz4IsAdvisedOnlyWhereItIsHashed()
    {
        var on72 = Find(Advise(Guest("7.2.13")), BlackoutAdvisor.InitramfsLever);
        Assert.True(on72.Applies);
        Assert.Equal(Math.Round(36 * MeasuredBlackoutCosts.UnpackMs / MeasuredBlackoutCosts.UnpackedMiB), on72.CostMs);
        Assert.Contains("lz4 -l -9", on72.Change);

        var on73 = Find(Advise(Guest("7.3.4")), BlackoutAdvisor.InitramfsLever);
        Assert.Contains("keep it uncompressed", on73.Change);

        Assert.False(Find(Advise(Guest(), initrd: null), BlackoutAdvisor.InitramfsLever).Applies);
    }

    [Fact]
    public void ConsoleCostsAreTheBootLogBytesAtTheBaud()
    {
        // Before /init: levels 5, 6, 3, 6 → at level 7 all four, at quiet (4) only the level-3 line; each +15 (time) +2 (\r\n).
        long all = (41 + 17) + (83 + 17) + (33 + 17) + (25 + 17), quiet = 33 + 17;
        double microsecondsAt115200 = 10 * 1e6 / 115200;

        var report = Advise(Guest(cmdline: GuestCmdline.Replace("console=ttyS0", "console=ttyS0,115200n8")));
        Assert.Equal(all, report.Facts.ConsoleBytesPerBoot);
        Assert.Equal(["ttyS0"], report.Facts.SerialConsoles);
        Assert.Equal(115200, report.Facts.SerialBaud);
        Assert.Equal(7, report.Facts.NextConsoleLogLevel);
        var serial = Find(report, BlackoutAdvisor.SerialConsoleLever);
        Assert.True(serial.Applies);
        Assert.Equal(Math.Round(all * microsecondsAt115200 / 1000), serial.CostMs);
        Assert.DoesNotContain("console=ttyS0", serial.Change.Split("--append")[1].Split(';')[0]);
        var loglevel = Find(report, BlackoutAdvisor.LogLevelLever);
        Assert.True(loglevel.Applies);
        Assert.Equal(Math.Round((all - quiet) * microsecondsAt115200 / 1000), loglevel.CostMs);
        Assert.Contains("loglevel=4", loglevel.Change);

        // No speed given: the 8250 driver's 9600 baud, twelve times slower.
        var slow = Advise(Guest());
        Assert.Equal(SerialConsoleSetting.DefaultBaud, slow.Facts.SerialBaud);
        Assert.Equal(Math.Round(all * (10 * 1e6 / 9600) / 1000), Find(slow, BlackoutAdvisor.SerialConsoleLever).CostMs);

        // quiet on the next command line: the log level lever is taken; no console: neither applies.
        Assert.False(Find(Advise(Guest(), cmdline: GuestCmdline + " quiet"), BlackoutAdvisor.LogLevelLever).Applies);
        var none = Advise(Guest(), cmdline: "kho=on liveupdate=on");
        Assert.False(Find(none, BlackoutAdvisor.SerialConsoleLever).Applies);
        Assert.False(Find(none, BlackoutAdvisor.LogLevelLever).Applies);
    }

    [Fact]
    public void OversizedScratchIsReportedWithASizeThatHoldsTheNextKernelAndTooSmallOneFailsTheLoad()
    {
        var report = Advise(Guest());
        var scratch = Find(report, BlackoutAdvisor.ScratchLever);
        Assert.True(scratch.Applies);
        Assert.Contains("896 MiB", scratch.Now);
        Assert.NotNull(scratch.CostMiB);
        Assert.Contains("kho_scratch=128M,", scratch.Change);
        // The suggested sizes hold what preflight says the next kernel needs, twice over in the global area.
        string suggested = scratch.Change.Split("kho_scratch=")[1].Split(' ')[0];
        var parameter = KhoScratchParameter.TryParse(suggested)!;
        var image = BzImage.Read(kernels.Kernel73.BzImage);
        Assert.True(parameter.Global >= 2 * ((ulong)image.Bytes.Length + image.InitSize + (ulong)InitrdBytes));
        Assert.True(parameter.ExplicitTotal(1) < 896UL << 20);
        Assert.Equal(896 - (double)(parameter.ExplicitTotal(1)!.Value >> 20), scratch.CostMiB);

        // What debugfs says wins over the command line; 4 MiB cannot hold the kernel.
        var tooSmall = Find(Advise(Guest(scratch: [4UL << 20])), BlackoutAdvisor.ScratchLever);
        Assert.True(tooSmall.Applies);
        Assert.Contains("fails", tooSmall.Cost);

        // The suggested sizes themselves are not oversized.
        var fitted = Find(Advise(Guest(cmdline: GuestCmdline.Replace("kho_scratch=128M,512M,256M", "kho_scratch=" + suggested))), BlackoutAdvisor.ScratchLever);
        Assert.False(fitted.Applies);
    }

    [Fact]
    public void FourKiBMemfdsCostTheMeasuredPenaltyPerGiBAndThpTakesIt()
    {
        var pages = Find(Advise(Guest()), BlackoutAdvisor.MemfdPagesLever);
        Assert.True(pages.Applies);
        Assert.Equal(CostSource.EstimatedFromRate, pages.Source);
        Assert.Equal(Math.Round(MeasuredBlackoutCosts.FourKiBPenaltyMsPerGiB / 16), pages.CostMs);
        Assert.Contains("within_size", pages.Change);

        Assert.False(Find(Advise(Guest(shmem: ShmemHugePages.WithinSize)), BlackoutAdvisor.MemfdPagesLever).Applies);
        Assert.False(Find(Advise(Guest(preserved: 0)), BlackoutAdvisor.MemfdPagesLever).Applies);
        // luod not reachable: shmem in 4 KiB pages (/proc/meminfo) stands in, and the finding says why.
        var unknown = Find(Advise(Guest(preserved: null)), BlackoutAdvisor.MemfdPagesLever);
        Assert.True(unknown.Applies);
        Assert.Contains("not running", unknown.Now);
    }

    [Fact]
    public void TheRestorePenaltyComesFromTheBenchmarkRows()
    {
        // Least squares by hand over two points gives the slope between them; over the four rows it lies between the extremes' slopes.
        double fourK = MeasuredBlackoutCosts.RestoreMsPerGiB(MeasuredBlackoutCosts.FourKiBPages);
        double thp = MeasuredBlackoutCosts.RestoreMsPerGiB(MeasuredBlackoutCosts.TransparentHugePages);
        Assert.Equal((3030 - 160.6) / (2048 - 64) * 1024, MeasuredBlackoutCosts.RestoreMsPerGiB([new(64, 95.5, 65.1), new(2048, 1846, 1184)]), 6);
        Assert.InRange(fourK, 1000, 2000);
        Assert.InRange(thp, 100, 200);
        Assert.Equal(fourK - thp, MeasuredBlackoutCosts.FourKiBPenaltyMsPerGiB, 9);
    }

    [Fact]
    public void DeferredStructPageInitIsReadFromTheNextKernelsConfig()
    {
        Assert.False(Find(Advise(Guest()), BlackoutAdvisor.DeferredInitLever).Applies);

        string deferred = kernels.NewPath("bzImage-deferred");
        BzImageFixture.Wrap(kernels.Kernel73.BzImage, KernelCompressor.Compress(PayloadCompression.Lz4, WithConfigLine(kernels.Decompressed73, "CONFIG_DEFERRED_STRUCT_PAGE_INIT=y"), kernels.XzWrap), deferred);
        var finding = Find(Advise(Guest(), deferred), BlackoutAdvisor.DeferredInitLever);
        Assert.True(finding.Applies);
        Assert.Contains("CONFIG_DEFERRED_STRUCT_PAGE_INIT=n", finding.Change);
    }

    [Fact]
    public void BoundDevicesAreCountedByDriverAndBoundedByTheBootTime()
    {
        var report = Advise(Guest());
        var probe = Find(report, BlackoutAdvisor.DeviceProbeLever);
        Assert.True(probe.Applies);
        Assert.Equal(3, report.Facts.BoundDevices);
        Assert.Contains("pci/virtio-pci ×2", probe.Now);
        Assert.Contains("300 ms", probe.Cost);
        Assert.False(Find(Advise(Guest() with { Devices = [] }), BlackoutAdvisor.DeviceProbeLever).Applies);
    }

    [Fact]
    public void EveryLeverIsReportedOnceWithASourceAndAChange()
    {
        var report = Advise(Guest());
        Assert.Equal(9, report.Findings.Select(f => f.Lever).Distinct().Count());
        Assert.All(report.Findings, f => Assert.False(string.IsNullOrWhiteSpace(f.Change)));
        Assert.All(report.Findings.Where(f => f.Source is CostSource.MeasuredInBenchmarks), f => Assert.Contains("docs/benchmarks.md", f.SourceDetail));
        string json = System.Text.Json.JsonSerializer.Serialize(report, AdviceJsonContext.Readable.AdviceReport);
        Assert.Contains("\"lever\": \"kernel-payload\"", json);
        Assert.Contains("\"source\": \"EstimatedFromRate\"", json);
    }

    /// <summary>The decompressed kernel with its embedded config (IKCFG_ST gzip IKCFG_ED) replaced by one that has <paramref name="line"/> added.</summary>
    private static byte[] WithConfigLine(byte[] kernel, string line)
    {
        byte[] start = "IKCFG_ST"u8.ToArray(), end = "IKCFG_ED"u8.ToArray();
        int from = 0, blob;
        while (true)
        {
            blob = kernel.AsSpan(from).IndexOf(start) + from + start.Length;
            if (kernel[blob] == 0x1F && kernel[blob + 1] == 0x8B) break;
            from = blob;
        }
        int stop = kernel.AsSpan(blob).IndexOf(end) + blob;
        string config;
        using (var gzip = new GZipStream(new MemoryStream(kernel, blob, stop - blob), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, Encoding.UTF8))
            config = reader.ReadToEnd();
        var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(config.Replace("# CONFIG_DEFERRED_STRUCT_PAGE_INIT is not set\n", "") + line + "\n"));
        return [.. kernel.AsSpan(0, blob), .. packed.ToArray(), .. kernel.AsSpan(stop)];
    }
}
