// KernelImageException: a kernel image that cannot be read at all (missing, not a bzImage,
// truncated). luoctl check maps it to its own exit code; the message names the file and why.
namespace LiveUpdate.Preflight;

public sealed class KernelImageException(string path, string reason)
    : Exception($"{path} {reason}")
{
    public string ImagePath { get; } = path;
}
