// MachineProbe: the host facts a benchmark result needs to be read at all — CPU model, cores,
// memory, QEMU version, host kernel — read from /proc and `qemu-system-x86_64 --version`.
using LiveUpdate.VmHarness.Benchmarks;
using LiveUpdate.VmHarness.Qemu;

namespace LiveUpdate.VmHarness.Host;

public static class MachineProbe
{
    public static async Task<MachineInfo> ReadAsync(CancellationToken cancellationToken)
    {
        string cpu = ProcField("/proc/cpuinfo", "model name") ?? "unknown CPU";
        long memoryKib = long.TryParse(ProcField("/proc/meminfo", "MemTotal")?.Split(' ')[0], out long kib) ? kib : 0;
        string qemu;
        try
        {
            var version = await new ExternalCommand(QemuLaunch.Executable, ["--version"]).CaptureAsync(cancellationToken).ConfigureAwait(false);
            qemu = version.StandardOutput.Split('\n')[0].Trim();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            qemu = $"unknown ({e.Message})";
        }
        string hostKernel = File.Exists("/proc/sys/kernel/osrelease") ? (await File.ReadAllTextAsync("/proc/sys/kernel/osrelease", cancellationToken).ConfigureAwait(false)).Trim() : "unknown";
        return new MachineInfo(cpu, Environment.ProcessorCount, memoryKib / 1024, qemu, hostKernel, "QEMU TCG (multi-threaded), no KVM");
    }

    /// <summary>The value after "name:" on the first line of a /proc file that starts with it.</summary>
    private static string? ProcField(string path, string name)
    {
        if (!File.Exists(path)) return null;
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == name) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
