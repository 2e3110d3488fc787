// FixedPreflight: the compatibility check luod's update-flow tests give it — answers with
// the findings the test chose (GO, GO with warnings or NO-GO) without reading a kernel image.
using LiveUpdate.Preflight;

namespace LiveUpdate.Daemon.Tests;

internal sealed class FixedPreflight(params PreflightFinding[] findings) : IUpdatePreflight
{
    public static FixedPreflight Go { get; } = new();

    public static FixedPreflight NoGo(string code, string what) =>
        new(new PreflightFinding(FindingSeverity.Error, code, what, "the next kernel would not read the handed-over state", "use a kernel with the same ABI"));

    public int Checks { get; private set; }

    public Task<PreflightReport> CheckAsync(UpdateRequest request, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        Checks++;
        return Task.FromResult(new PreflightReport(PreflightReport.VerdictOf(findings), request.Kexec.Kernel, "7.3.0-test", "running kernel", "7.2.0-test",
            handlers, findings, 0, 0));
    }
}
