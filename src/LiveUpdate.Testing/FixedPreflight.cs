// FixedPreflight: the compatibility check luod's update-flow tests give it — answers with
// the findings the test chose (GO, GO with warnings or NO-GO) without reading a kernel image.
using LiveUpdate.Daemon;
using LiveUpdate.Preflight;

namespace LiveUpdate.Testing;

/// <summary>
/// A preflight check that answers every update with the findings it was made with, without
/// reading a kernel image: no findings is GO, warnings only is GO with warnings, an error is NO-GO.
/// </summary>
/// <param name="findings">What every check reports.</param>
public sealed class FixedPreflight(params PreflightFinding[] findings) : IUpdatePreflight
{
    /// <summary>A check that always says GO.</summary>
    public static FixedPreflight Go { get; } = new();

    /// <summary>A check that always says NO-GO with one error finding.</summary>
    /// <param name="code">The finding's code, as a real check would name it.</param>
    /// <param name="what">What is incompatible.</param>
    public static FixedPreflight NoGo(string code, string what) =>
        new(new PreflightFinding(FindingSeverity.Error, code, what, "the next kernel would not read the handed-over state", "use a kernel with the same ABI"));

    /// <summary>How many checks luod asked for.</summary>
    public int Checks { get; private set; }

    /// <summary>Returns the fixed findings as a report for <paramref name="request"/>'s kernel.</summary>
    public Task<PreflightReport> CheckAsync(UpdateRequest request, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        Checks++;
        return Task.FromResult(new PreflightReport(PreflightReport.VerdictOf(findings), request.Kexec.Kernel, "7.3.0-test", "running kernel", "7.2.0-test",
            handlers, findings, 0, 0));
    }
}
