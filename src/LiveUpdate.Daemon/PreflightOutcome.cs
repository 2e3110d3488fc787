// PreflightOutcome: what the last update's check said of its kernel and whether that kernel is
// staged now — the "staged kernel's preflight verdict" of luod's metrics (luod_staged_kernel_preflight,
// luod_kernel_staged). Kept by UpdateCoordinator for this luod's life; not part of the catalog.
using LiveUpdate.Preflight;

namespace LiveUpdate.Daemon;

public sealed record PreflightOutcome(PreflightVerdict Verdict, string? NextRelease, bool Staged);
