// PreflightReport: the result of a preflight check — the verdict, the two kernels compared,
// every finding, and how long reading and checking took. Serialized by PreflightJsonContext.
namespace LiveUpdate.Preflight;

public sealed record PreflightReport(
    PreflightVerdict Verdict,
    string NextKernel,
    string NextRelease,
    string Reference,
    string? ReferenceRelease,
    IReadOnlyList<string> Handlers,
    IReadOnlyList<PreflightFinding> Findings,
    double DecompressMilliseconds,
    double CheckMilliseconds)
{
    public static PreflightVerdict VerdictOf(IEnumerable<PreflightFinding> findings)
    {
        var severities = findings.Select(f => f.Severity).ToList();
        if (severities.Contains(FindingSeverity.Error)) return PreflightVerdict.NoGo;
        return severities.Contains(FindingSeverity.Warning) ? PreflightVerdict.GoWithWarnings : PreflightVerdict.Go;
    }

    public static string VerdictText(PreflightVerdict verdict) => verdict switch
    {
        PreflightVerdict.Go => "GO",
        PreflightVerdict.GoWithWarnings => "GO with warnings",
        _ => "NO-GO",
    };
}
