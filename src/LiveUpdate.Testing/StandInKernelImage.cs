// StandInKernelImage: a file luod's host tests can name as "the next kernel". luod checks a
// kernel path before it stages anything (it exists, is a regular file, carries the x86 boot
// header "HdrS"), so tests that never really load a kernel still hand it a file that passes
// those checks; the recording kexec then stands in for kexec_file_load.
namespace LiveUpdate.Testing;

/// <summary>A stand-in next-kernel file that passes luod's path checks (see the header).</summary>
public static class StandInKernelImage
{
    private static readonly Lazy<string> Shared = new(() => Write(Path.Combine(Path.GetTempPath(), $"luod-test-kernel-{Environment.ProcessId}", "vmlinuz-next")));

    /// <summary>One stand-in image per test process (written on first use).</summary>
    public static string SharedPath => Shared.Value;

    /// <summary>Writes a 4 KiB file with the boot protocol's "HdrS" magic at 0x202 to <paramref name="path"/>.</summary>
    public static string Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[4096];
        "HdrS"u8.CopyTo(bytes.AsSpan(0x202));
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
