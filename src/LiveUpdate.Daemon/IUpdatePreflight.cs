// IUpdatePreflight: the compatibility check luod runs before every update (the same check as
// `luoctl check`): can the next kernel read what this one hands over? As an interface so the
// update flow's host tests can choose the verdict; luod uses KernelImagePreflight.
using LiveUpdate.Preflight;

namespace LiveUpdate.Daemon;

public interface IUpdatePreflight
{
    /// <summary>Checks the next kernel against the running one for the file handler kinds in use.</summary>
    Task<PreflightReport> CheckAsync(UpdateRequest request, IReadOnlyList<string> handlers, CancellationToken cancellationToken);
}

/// <summary>The real check: reads the next kernel's image (bzImage payload, ABI strings, config).</summary>
public sealed class KernelImagePreflight : IUpdatePreflight
{
    public Task<PreflightReport> CheckAsync(UpdateRequest request, IReadOnlyList<string> handlers, CancellationToken cancellationToken)
    {
        var (kernel, initrd, requested, reuse) = request.Kexec;
        string? commandLine = reuse ? Kernel.KernelCommandLine.Current().ToString() : requested;
        // Decompressing a kernel takes a second or more: off the caller's thread.
        return Task.Run(() => PreflightCheck.Run(new PreflightRequest(kernel, initrd, commandLine, handlers)), cancellationToken);
    }
}
