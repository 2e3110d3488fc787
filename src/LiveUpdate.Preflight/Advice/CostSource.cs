// CostSource: where a blackout finding's cost comes from, so an operator can weigh it: read on
// this machine, measured by our benchmark (docs/benchmarks.md, under TCG), or estimated from a
// rate applied to something read here.
namespace LiveUpdate.Preflight.Advice;

public enum CostSource
{
    /// <summary>Read or timed on this machine now.</summary>
    MeasuredHere,

    /// <summary>Measured by `luvm bench` (MeasuredBlackoutCosts.Where).</summary>
    MeasuredInBenchmarks,

    /// <summary>A rate (baud, MiB/s, ms per GiB) applied to a quantity read here.</summary>
    EstimatedFromRate,

    /// <summary>Nothing to measure it with here.</summary>
    NotMeasured,
}
