// DecompressorProgram: one of the standard decompressor programs (xz, zstd) run on a byte
// buffer, stdin to stdout, for the kernel compressors still decoded out of process (in-process
// decoders are served — SharpCompress, ZstdSharp.Port — and are the next step); the formats are
// exactly what the kernel build made with the same tools.
using System.Diagnostics;

namespace LiveUpdate.Preflight;

public sealed class DecompressorProgramException(string message) : Exception(message);

public sealed record DecompressorProgram(string Program, IReadOnlyList<string> Arguments, string Package)
{
    /// <summary>xz container; the x86 BCJ filter (xz_wrap.sh --x86) is undone by xz itself.</summary>
    public static readonly DecompressorProgram Xz = new("xz", ["--decompress", "--stdout", "--format=xz"], "xz-utils");

    /// <summary>The legacy .lzma ("alone") format written by `lzma -9`.</summary>
    public static readonly DecompressorProgram Lzma = new("xz", ["--decompress", "--stdout", "--format=lzma"], "xz-utils");

    /// <summary>zstd frames, including --ultra -22 (windows up to 128 MiB need --long=27 on decode).</summary>
    public static readonly DecompressorProgram Zstd = new("zstd", ["-d", "-c", "--long=31"], "zstd");

    public byte[] Run(ReadOnlyMemory<byte> input)
    {
        var start = new ProcessStartInfo(Program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in Arguments) start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new DecompressorProgramException($"{Program} did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new DecompressorProgramException($"`{Program}` is not installed (install the {Package} package)");
        }

        using (process)
        {
            var output = new MemoryStream();
            var reading = process.StandardOutput.BaseStream.CopyToAsync(output);
            var errors = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.BaseStream.Write(input.Span);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program stopped reading early; its exit code and stderr say why.
            }
            reading.GetAwaiter().GetResult();
            string stderr = errors.GetAwaiter().GetResult().Trim();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new DecompressorProgramException($"{Program} failed (exit {process.ExitCode}): {stderr}");
            return output.ToArray();
        }
    }
}
