// PreflightVerdict: the one-word answer of the preflight check: GO, GO with warnings
// (something could not be determined or is risky), or NO-GO (state would be lost or the
// next kernel would panic).
namespace LiveUpdate.Preflight;

public enum PreflightVerdict
{
    Go,
    GoWithWarnings,
    NoGo,
}
