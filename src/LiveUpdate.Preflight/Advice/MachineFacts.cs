// MachineFacts: everything the blackout advisor knows about this machine, read once through the
// kernel boundary (MachineFactsReader) or made up by a test. Null means "could not be read";
// the advisor then says so instead of guessing.
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight.Advice;

public sealed record MachineFacts
{
    /// <summary>The running kernel's release (it makes the kexec: its purgatory runs).</summary>
    public string? RunningRelease { get; init; }

    /// <summary>The running kernel's command line (/proc/cmdline).</summary>
    public KernelCommandLine? CommandLine { get; init; }

    /// <summary>/proc/sys/kernel/printk: the level this kernel's shutdown lines reach the console at.</summary>
    public ConsoleLogLevel? LogLevel { get; init; }

    /// <summary>/proc/consoles.</summary>
    public IReadOnlyList<ActiveConsole>? Consoles { get; init; }

    /// <summary>This boot's kernel log (/dev/kmsg), the model of what the next kernel prints while it boots.</summary>
    public IReadOnlyList<KernelLogRecord> BootLog { get; init; } = [];

    /// <summary>/sys/kernel/mm/transparent_hugepage/shmem_enabled; null when the kernel has no shmem THP.</summary>
    public ShmemHugePages? ShmemPolicy { get; init; }

    /// <summary>/proc/meminfo.</summary>
    public MemoryInfo? Memory { get; init; }

    /// <summary>kho/out/scratch_len in debugfs, when mounted.</summary>
    public IReadOnlyList<ulong>? ScratchSizes { get; init; }

    public int NumaNodes { get; init; } = 1;

    /// <summary>Bytes luod holds in memfds (its sessions over Varlink); null when luod could not be asked.</summary>
    public long? PreservedBytes { get; init; }

    /// <summary>Sessions luod holds; null when luod could not be asked.</summary>
    public int? PreservedSessions { get; init; }

    /// <summary>Why luod could not be asked, when it could not.</summary>
    public string? LuodProblem { get; init; }

    /// <summary>/sys/bus/*/devices with a driver bound.</summary>
    public IReadOnlyList<BoundDevice> Devices { get; init; } = [];
}
