// MeasuredBlackoutCosts: the one place where the advisor's costs that come from our own
// measurements live. Every number below is copied from docs/benchmarks.md (`luvm bench`,
// 2026-12-01, QEMU TCG on the 2-core host, tables "Ours: the blackout, split", "Levers",
// "initramfs unpack" and Method); when that report is regenerated, update them here, and only here.
// Per-GiB costs are not copied but computed from the table's rows (least squares), so they stay
// what the rows say.
namespace LiveUpdate.Preflight.Advice;

/// <summary>One row of docs/benchmarks.md "Ours: the blackout, split": the medians of one case.</summary>
public sealed record RestoreSample(int SizeMiB, double RetrieveMs, double CheckPagesMs)
{
    /// <summary>RETRIEVE_FD plus touching every page: what a client pays after the kexec to have its memory back.</summary>
    public double RestoreMs => RetrieveMs + CheckPagesMs;
}

public static class MeasuredBlackoutCosts
{
    /// <summary>When and where: the run docs/benchmarks.md reports.</summary>
    public const string Where = "docs/benchmarks.md (luvm bench, 2026-12-01, QEMU TCG)";

    /// <summary>ours.4k.*: memfds in 4 KiB pages; retrieve and "check pages" medians (ms).</summary>
    public static readonly IReadOnlyList<RestoreSample> FourKiBPages =
    [
        new(64, 95.5, 65.1),
        new(256, 381, 197),
        new(1024, 1209, 893),
        new(2048, 1846, 1184),
    ];

    /// <summary>ours.thp.*: the same memfds in shmem THP (2 MiB folios).</summary>
    public static readonly IReadOnlyList<RestoreSample> TransparentHugePages =
    [
        new(64, 13.2, 17.2),
        new(256, 18.1, 42.8),
        new(1024, 30.0, 128),
        new(2048, 46.9, 281),
    ];

    /// <summary>"Levers": the kernel payload decompressed on the blackout path, LZ4 against xz (bare kexec, one kernel build each).</summary>
    public const double Lz4PayloadMs = 150;
    public const double XzPayloadMs = 950;

    /// <summary>Method: 7.2's purgatory SHA-256s every loaded segment at ≈ 45 MiB/s under TCG before it jumps.</summary>
    public const double PurgatoryHashMiBPerSecond = 45;

    /// <summary>"initramfs unpack": after a bare kexec (the floor), the next kernel unpacked the 35.9 MiB uncompressed initramfs in 828 ms (median).</summary>
    public const double UnpackMs = 828;
    public const double UnpackedMiB = 35.9;

    /// <summary>"Levers" on 7.2: the LZ4 initramfs (20.6 MiB) saved 391 ms of the 8055 ms floor; on 7.3 it cost 1448 ms more.</summary>
    public const double Lz4InitramfsSaving72Ms = 391;
    public const double Lz4InitramfsSaving73Ms = -1448;

    /// <summary>"Levers": `quiet` saved 731 ms on 7.2 and cost 587 ms on 7.3 (the run-to-run spread, ±1.5 s, is larger).</summary>
    public const double QuietSaving72Ms = 731;
    public const double QuietSaving73Ms = -587;

    /// <summary>"Levers": deferred struct page init saves at most this at 3 GiB here.</summary>
    public const double DeferredStructPageInitMs = 30;

    /// <summary>Milliseconds per GiB of restore (retrieve + check pages), the least-squares slope over <paramref name="samples"/>.</summary>
    public static double RestoreMsPerGiB(IReadOnlyList<RestoreSample> samples)
    {
        double meanX = samples.Average(s => s.SizeMiB / 1024.0), meanY = samples.Average(s => s.RestoreMs);
        double covariance = samples.Sum(s => (s.SizeMiB / 1024.0 - meanX) * (s.RestoreMs - meanY));
        double variance = samples.Sum(s => Math.Pow(s.SizeMiB / 1024.0 - meanX, 2));
        return covariance / variance;
    }

    /// <summary>What 4 KiB pages cost over THP per GiB preserved, from the two series.</summary>
    public static double FourKiBPenaltyMsPerGiB => RestoreMsPerGiB(FourKiBPages) - RestoreMsPerGiB(TransparentHugePages);
}
