// BenchmarkResults: what `luvm bench` measured, as written to docs/benchmarks.json: the machine
// and kernel, the parameters, every run's raw numbers per case (BenchSample), and what the report
// derives from them — median and min–max per case and metric, slopes per GiB, ratios — plus
// findings (e.g. whether shmem THP folios came back). Serialized with a source-generated context.
using System.Text.Json.Serialization;

namespace LiveUpdate.VmHarness.Benchmarks;

/// <summary>One case of one repetition: the case's identity and its metrics in ms (KiB for *Kib), absent when not observed.</summary>
public sealed record BenchSample(string Case, string Kind, int Run, int SizeMiB, string Mode, int Sessions, int Hop, SortedDictionary<string, double> Metrics);

/// <summary>Median and range of one metric of one case over its repetitions.</summary>
public sealed record BenchSummary(string Case, string Metric, int Count, double Median, double Min, double Max);

/// <summary>Least-squares line over the per-size medians of one series: ms per GiB and the intercept at 0 GiB.</summary>
public sealed record BenchSlope(string Series, string Metric, double MsPerGiB, double InterceptMs, int Points);

/// <summary>One ratio of medians, e.g. ours.4k.1024 blackout over the floor.</summary>
public sealed record BenchRatio(string Name, string Numerator, string Denominator, int SizeMiB, double Value);

public sealed record MachineInfo(string Cpu, int Cores, long MemoryMiB, string Qemu, string HostKernel, string Accelerator);

public sealed record BenchmarkResults
{
    public required DateTimeOffset Date { get; init; }

    public required MachineInfo Machine { get; init; }

    /// <summary>The guest kernel's release, as the guest reported it.</summary>
    public required string GuestKernel { get; init; }

    public required int GuestMemoryMiB { get; init; }

    /// <summary>lu.bench.* words of the kexec run and of the old-way run.</summary>
    public required IReadOnlyList<string> KexecParameters { get; init; }

    public required IReadOnlyList<string> OldWayParameters { get; init; }

    public required IReadOnlyList<BenchSample> Samples { get; init; }

    public required IReadOnlyList<BenchSummary> Summaries { get; init; }

    public required IReadOnlyList<BenchSlope> Slopes { get; init; }

    public required IReadOnlyList<BenchRatio> Ratios { get; init; }

    /// <summary>Plain-language observations (THP survival, incomplete cases, failed runs).</summary>
    public required IReadOnlyList<string> Findings { get; init; }

    /// <summary>The main kexec run's initramfs in bytes (what 7.2's purgatory hashes and the next kernel unpacks).</summary>
    public long InitramfsBytes { get; init; }

    /// <summary>The levers' floors (BenchmarkLevers), when `--levers` asked for them.</summary>
    public IReadOnlyList<LeverMeasurement> Levers { get; init; } = [];

    /// <summary>Where the VM runs' logs are (cache/runs/...).</summary>
    public required IReadOnlyList<string> RunDirectories { get; init; }

    public BenchSummary? Summary(string caseId, string metric) =>
        Summaries.FirstOrDefault(s => s.Case == caseId && s.Metric == metric);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(BenchmarkResults))]
public sealed partial class BenchmarkJsonContext : JsonSerializerContext
{
}
