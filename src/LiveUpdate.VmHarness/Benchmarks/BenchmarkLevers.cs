// BenchmarkLevers: the blackout levers of docs/benchmarks.md ("Levers") that a VM run can switch,
// each measured as the floor (bare kexec, nothing preserved: reboot call → the next kernel's /init
// on the host clock) with and without it, in short VM runs of their own after the main run. Each
// variant runs on every kernel asked for, because some levers depend on the kernel that kexecs:
// 7.2's purgatory hashes every segment (kernel and initramfs), 7.3 skips that when KHO is on.
// Variants are run in a round-robin order, a short run each, so a slow spell of the host is spread
// over all of them. Levers that need another kernel build (payload compression) are not switched
// here; the report names how they were decided. The levers `luoctl advise` recommends for our guest
// that need no kernel build (docs/advise.md) are variants too: no serial console, and the scratch
// size it suggests.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmHarness.Benchmarks;

/// <summary>One way to boot the floor: which initramfs encoding, whether the console is quiet, which fixed kernel options, on which kernel.</summary>
public sealed record LeverVariant(string Lever, string Description, string Kernel, InitramfsCompression Initramfs, bool Quiet)
{
    public string Id => $"{Lever}@{Kernel}";

    /// <summary>The fixed kernel options this variant boots with (ScenarioCommandLine.FixedOptions, or it with one changed).</summary>
    public string FixedOptions { get; init; } = ScenarioCommandLine.FixedOptions;
}

/// <summary>The floor of one variant over its runs (ms), the next kernel's initramfs unpack where the console shows it, and the image size.</summary>
public sealed record LeverMeasurement(string Lever, string Description, string Kernel, int Runs, double FloorMedianMs, double FloorMinMs, double FloorMaxMs, double? UnpackMedianMs, long InitramfsBytes);

public static class BenchmarkLevers
{
    public const string Baseline = "baseline";

    /// <summary>
    /// What `luoctl advise` suggested for the 3 GiB guest (7.2 → 7.3, 2026-12-02, docs/advise.md): lowmem kept, global twice
    /// the next kernel and initramfs, per node twice the memory map; against the harness's fixed 128M,512M,256M.
    /// </summary>
    public const string AdvisedScratch = "kho_scratch=128M,128M,128M";

    public static IReadOnlyList<LeverVariant> Variants(IReadOnlyList<string> kernels) =>
    [
        .. kernels.SelectMany(kernel => new LeverVariant[]
        {
            new(Baseline, "uncompressed initramfs, console at the default log level", kernel, InitramfsCompression.None, Quiet: false),
            new("initramfs-lz4", "initramfs compressed with `lz4 -l` (the next kernel decompresses it)", kernel, InitramfsCompression.Lz4, Quiet: false),
            new("quiet", "kernel `quiet` (console log level 4)", kernel, InitramfsCompression.None, Quiet: true),
            new("no-serial-console", "no `console=ttyS0` (the kernel log stays in its buffer)", kernel, InitramfsCompression.None, Quiet: false)
            {
                FixedOptions = ScenarioCommandLine.FixedOptions.Replace("console=ttyS0 ", "", StringComparison.Ordinal),
            },
            new("kho-scratch-fit", $"`{AdvisedScratch}` (luoctl advise's size) instead of 128M,512M,256M", kernel, InitramfsCompression.None, Quiet: false)
            {
                FixedOptions = ScenarioCommandLine.FixedOptions.Replace("kho_scratch=128M,512M,256M", AdvisedScratch, StringComparison.Ordinal),
            },
        }),
    ];

    /// <summary>Runs every variant <paramref name="rounds"/> times (round-robin), each VM run <paramref name="hopsPerRun"/> bare kexecs.</summary>
    public static async Task<IReadOnlyList<LeverMeasurement>> RunAsync(ScenarioHarness harness, IReadOnlyList<string> kernels, int rounds, int hopsPerRun, int memoryMiB,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var plan = new BenchPlan([], hopsPerRun, [], [], Floor: true);
        var cases = plan.KexecCases;
        var variants = Variants(kernels);
        var floors = variants.ToDictionary(v => v.Id, _ => new List<double>());
        var unpacks = variants.ToDictionary(v => v.Id, _ => new List<double>());
        var sizes = new Dictionary<string, long>();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var variant in round % 2 == 1 ? variants : variants.Reverse())
            {
                var lines = new List<ObservedGuestLine>();
                var request = new VmRunRequest(BenchPlan.KexecScenario, Enumerable.Repeat(variant.Kernel, cases.Count + 1).ToList())
                {
                    Timeout = TimeSpan.FromMinutes(3) * (cases.Count + 2),
                    MemoryMiB = memoryMiB,
                    ScenarioParameters = plan.Parameters,
                    InitramfsCompression = variant.Initramfs,
                    QuietConsole = variant.Quiet,
                    FixedOptions = variant.FixedOptions,
                    OnGuestLine = observed => { lock (lines) lines.Add(observed); },
                };
                var run = await harness.RunScenarioAsync(request, cancellationToken).ConfigureAwait(false);
                if (!run.Passed)
                {
                    throw new HarnessException($"bench levers: {variant.Id} round {round} failed: {string.Join("; ", run.FailureReasons)}; logs in {run.RunDirectory}");
                }
                List<ObservedGuestLine> snapshot;
                lock (lines) snapshot = [.. lines];
                foreach (var sample in BenchmarkAnalysis.Samples(cases, snapshot, ConsoleLogAnalysis.UnpackMsByBoot(run.RunDirectory)))
                {
                    if (sample.Metrics.TryGetValue(BenchmarkAnalysis.KernelMs, out var floor)) floors[variant.Id].Add(floor);
                    if (sample.Metrics.TryGetValue(BenchmarkAnalysis.UnpackMs, out var ms)) unpacks[variant.Id].Add(ms);
                }
                sizes[variant.Id] = run.InitramfsBytes;
                progress?.Report($"bench levers: {variant.Id} round {round}: floor {string.Join(", ", floors[variant.Id].Select(BenchmarkAnalysis.Ms))} ms");
            }
        }
        return
        [
            .. variants.Where(v => floors[v.Id].Count > 0).Select(v => new LeverMeasurement(
                v.Lever, v.Description, v.Kernel, floors[v.Id].Count,
                BenchmarkAnalysis.Median(floors[v.Id]), floors[v.Id].Min(), floors[v.Id].Max(),
                unpacks[v.Id].Count > 0 ? BenchmarkAnalysis.Median(unpacks[v.Id]) : null,
                sizes[v.Id])),
        ];
    }
}
