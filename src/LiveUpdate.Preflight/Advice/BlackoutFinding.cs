// BlackoutFinding: one blackout lever as the advisor sees it on this machine for the next
// kernel: whether it applies, what it is now, what it costs (milliseconds of blackout, or MiB of
// memory for the scratch areas) and where that number comes from, and the exact change.
namespace LiveUpdate.Preflight.Advice;

public sealed record BlackoutFinding(
    string Lever,
    bool Applies,
    string Now,
    string Cost,
    double? CostMs,
    double? CostMiB,
    CostSource Source,
    string SourceDetail,
    string Change);
