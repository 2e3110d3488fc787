// NextKernelHop: ends a hop by kexec'ing into the next kernel of the chain with the same
// initramfs (retain_initrd exposes it as /sys/firmware/initrd; it is copied into a memfd
// for kexec_file_load) and the same command line with lu.hop advanced.
using System.Diagnostics;
using LiveUpdate.Kernel;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest;

public static class NextKernelHop
{
    public const string RetainedInitrd = "/sys/firmware/initrd";

    public static async Task KexecAsync(GuestPlan plan, ResultChannel results)
    {
        string kernelPath = $"/boot/{plan.NextTag}/bzImage";
        var commandLine = plan.NextHopCommandLine;
        var clock = Stopwatch.StartNew();
        bool loaded = await results.StepAsync(StepNames.KexecLoad, async () =>
        {
            using var initrd = MemFd.Create("lu-next-initrd");
            long bytes = await CopyRetainedInitrdAsync(initrd.Write);
            using var kernel = File.OpenHandle(kernelPath);
            Kexec.Load(kernel, initrd, commandLine.ToString(), kernelPath);
            return $"loaded {kernelPath} ({new FileInfo(kernelPath).Length} bytes) + initrd ({bytes} bytes) for hop {plan.Hop + 1}";
        });
        if (!loaded)
            return;
        await results.StepResultAsync(StepNames.KexecReboot, true, clock.Elapsed.TotalMilliseconds, $"rebooting into {plan.NextTag}");
        Kexec.RebootIntoLoadedKernel();
    }

    /// <summary>Receives one chunk of the retained initramfs and its offset.</summary>
    public delegate void ChunkSink(ReadOnlySpan<byte> chunk, long offset);

    /// <summary>Copies the initramfs this boot came from (/sys/firmware/initrd) to <paramref name="sink"/>; returns its size.</summary>
    public static async Task<long> CopyRetainedInitrdAsync(ChunkSink sink)
    {
        long bytes = 0;
        await using (var source = new FileStream(RetainedInitrd, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            // sysfs returns at most a page per read: gather whole chunks before each write.
            byte[] chunk = new byte[4 << 20];
            int filled;
            do
            {
                filled = await source.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false);
                sink(chunk.AsSpan(0, filled), bytes);
                bytes += filled;
            } while (filled == chunk.Length);
        }
        if (bytes == 0)
            throw new InvalidOperationException($"{RetainedInitrd} is empty: boot with retain_initrd so the initramfs can be handed to the next kernel.");
        return bytes;
    }
}
