// AdviceReport: what `luoctl advise` prints — the next kernel it advised for, the facts it read
// (so an operator or a test can check them against the machine) and one finding per lever.
namespace LiveUpdate.Preflight.Advice;

public sealed record AdviceFacts(
    string NextKernel,
    string NextRelease,
    string? RunningRelease,
    string Payload,
    long ImageBytes,
    string? Initrd,
    long? InitrdBytes,
    string? InitrdFormat,
    string NextCommandLine,
    IReadOnlyList<string> SerialConsoles,
    int? SerialBaud,
    int NextConsoleLogLevel,
    long ConsoleBytesPerBoot,
    IReadOnlyList<ulong>? ScratchBytes,
    string? ShmemHugePages,
    long? PreservedBytes,
    int BoundDevices);

public sealed record AdviceReport(AdviceFacts Facts, IReadOnlyList<BlackoutFinding> Findings);
