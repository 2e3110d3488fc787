// HandoverFormatException: a KHO handover blob (a flattened device tree, LUO's header, the
// kexec metadata) that does not hold what its format says — truncated, an offset or length
// outside the blob, a bad token. The message names the blob, the byte offset and what was
// expected, so a damaged or newer-than-known handover is reported, never an index error.
namespace LiveUpdate.Kernel.Handover;

public sealed class HandoverFormatException(string blob, long offset, string message)
    : FormatException($"{blob}: {message} (at byte {offset})")
{
    /// <summary>What was being read, e.g. "flattened device tree" or "kexec-metadata".</summary>
    public string Blob { get; } = blob;

    /// <summary>The byte offset in the blob where reading stopped.</summary>
    public long Offset { get; } = offset;
}
