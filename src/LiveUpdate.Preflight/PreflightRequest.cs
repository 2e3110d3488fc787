// PreflightRequest: what to check — the next kernel image, its initrd and command line, the
// file handler kinds current sessions use (e.g. "memfd"), and the reference: the running
// kernel (From = null) or another image to qualify a pair A → B offline.
namespace LiveUpdate.Preflight;

public sealed record PreflightRequest(
    string NextKernel,
    string? Initrd,
    string? NextCommandLine,
    IReadOnlyList<string> Handlers,
    string? From = null,
    RunningSystemPaths? RunningSystem = null);
