// KernelCompressor: compresses a payload exactly as the kernel build does for
// arch/x86/boot/compressed/vmlinux.bin.* (scripts/Makefile.lib): the same programs and flags,
// xz through the kernel's own scripts/xz_wrap.sh (--x86 BCJ), and the 4-byte size_append
// trailer for every compressor but gzip. Test fixtures only.
using System.Buffers.Binary;
using System.Diagnostics;

namespace LiveUpdate.Preflight.Tests;

public static class KernelCompressor
{
    public static byte[] Compress(PayloadCompression compression, byte[] input, string xzWrap)
    {
        var (program, arguments) = compression switch
        {
            PayloadCompression.Gzip => ("gzip", new[] { "-n", "-f", "-9" }),
            PayloadCompression.Bzip2 => ("bzip2", ["-9"]),
            PayloadCompression.Lzma => ("lzma", ["-9"]),
            PayloadCompression.Xz => ("sh", [xzWrap]),
            PayloadCompression.Lz4 => ("lz4", ["-l", "-9", "-", "-"]),
            PayloadCompression.Zstd => ("zstd", ["-22", "--ultra"]),
            _ => throw new ArgumentOutOfRangeException(nameof(compression)),
        };
        byte[] compressed = Run(program, arguments, input);
        if (!PayloadCompressionDetector.HasSizeTrailer(compression)) return compressed;
        var withSize = new byte[compressed.Length + 4];
        compressed.CopyTo(withSize, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(withSize.AsSpan(compressed.Length), (uint)input.Length);
        return withSize;
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="input"/> on stdin; its stdout (throws when it fails).</summary>
    public static byte[] Run(string program, string[] arguments, byte[] input)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        // xz_wrap.sh reads the architecture and the xz program from the environment, as Kbuild passes them.
        start.Environment["SRCARCH"] = "x86";
        start.Environment["XZ"] = "xz";
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        reading.GetAwaiter().GetResult();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {errors.GetAwaiter().GetResult()}");
        return output.ToArray();
    }
}
