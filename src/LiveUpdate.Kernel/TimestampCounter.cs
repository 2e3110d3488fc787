// TimestampCounter: reads the x86 time stamp counter from user space. kexec does not reset
// the TSC (same CPU, no cold reset; QEMU TCG's guest TSC follows host ticks too), so two
// readings taken in two kernels, divided by the TSC frequency, give the exact time spent
// between them — which CLOCK_BOOTTIME (restarts at 0) and CLOCK_REALTIME (the next kernel
// reads the RTC's whole seconds) cannot. The reader is six instructions placed in an
// anonymous page (written, then mprotect'ed to read+exec) and called through a function pointer.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

/// <summary>Where a TSC frequency came from, most trustworthy first (JSON names are stable: telemetry stores them).</summary>
public enum TscFrequencySource
{
    /// <summary>"tsc: Refined TSC clocksource calibration: N MHz" (the kernel's calibration against HPET/PM timer).</summary>
    [JsonStringEnumMemberName("kernelRefinedCalibration")] KernelRefinedCalibration,
    /// <summary>"tsc: Detected N MHz processor" (CPUID leaf 0x15/0x16 or the fast PIT calibration at boot).</summary>
    [JsonStringEnumMemberName("kernelDetected")] KernelDetected,
    /// <summary>Measured here against CLOCK_MONOTONIC_RAW.</summary>
    [JsonStringEnumMemberName("measured")] Measured,
    /// <summary>"cpu MHz" of /proc/cpuinfo (the current core clock; equals the TSC rate only on some machines).</summary>
    [JsonStringEnumMemberName("cpuInfo")] CpuInfo,
}

/// <summary>A TSC frequency in Hz and its origin.</summary>
public sealed record TscFrequency(double Hz, TscFrequencySource Source)
{
    /// <summary>Ticks to ns at this frequency.</summary>
    public double ToNanoseconds(double ticks) => ticks * 1e9 / Hz;
}

/// <summary>
/// What this machine says about its TSC. <see cref="Invariant"/> (constant_tsc and nonstop_tsc) is what makes
/// TSC deltas real time; <see cref="Clocksource"/> = "tsc" means the kernel itself trusts it.
/// </summary>
public sealed record TimestampCounterStatus(
    bool Readable,
    string? UnreadableReason,
    bool ConstantTsc,
    bool NonstopTsc,
    bool KnownFrequency,
    string? Clocksource,
    TscFrequency? Frequency)
{
    public bool Invariant => ConstantTsc && NonstopTsc;

    /// <summary>Readable, invariant and of known frequency: good enough to time a kexec.</summary>
    public bool UsableAcrossKexec => Readable && Invariant && Frequency is not null;
}

public static unsafe class TimestampCounter
{
    public const string CpuInfoPath = "/proc/cpuinfo";
    public const string ClocksourcePath = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

    // rdtsc; shl rdx, 32; or rax, rdx; ret
    private static readonly byte[] ReaderCode = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3];

    private static readonly Lazy<(nint Code, string? Reason)> Reader = new(CreateReader, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True on x86-64 with a TSC, once the reader page could be made executable.</summary>
    public static bool IsAvailable => Reader.Value.Code != 0;

    /// <summary>Why <see cref="IsAvailable"/> is false (null when it is true).</summary>
    public static string? UnavailableReason => Reader.Value.Reason;

    /// <summary>The TSC now, in ticks.</summary>
    public static ulong Read()
    {
        var (code, reason) = Reader.Value;
        if (code == 0)
            throw new PlatformNotSupportedException(
                $"The time stamp counter cannot be read: {reason} Check TimestampCounter.IsAvailable first and fall back to CLOCK_REALTIME.");
        return ((delegate* unmanaged<ulong>)code)();
    }

    public static bool TryRead(out ulong ticks)
    {
        nint code = Reader.Value.Code;
        ticks = code == 0 ? 0 : ((delegate* unmanaged<ulong>)code)();
        return code != 0;
    }

    /// <summary>
    /// CPU flags, clocksource and frequency. The frequency comes from the kernel log when given (or, with
    /// <paramref name="readKernelLog"/>, from /dev/kmsg), else from a 50 ms measurement, else /proc/cpuinfo.
    /// </summary>
    public static TimestampCounterStatus Describe(IEnumerable<KernelLogRecord>? kernelLog = null, bool readKernelLog = true)
    {
        string cpuinfo = TryReadText(CpuInfoPath) ?? "";
        var flags = ParseCpuFlags(cpuinfo);
        string? clocksource = TryReadText(ClocksourcePath)?.Trim();
        kernelLog ??= readKernelLog ? KernelLog.ReadAll() : [];
        TscFrequency? frequency = FrequencyFromKernelLog(kernelLog.Select(r => r.Message));
        if (frequency is null && IsAvailable) frequency = Measure(TimeSpan.FromMilliseconds(50));
        frequency ??= FrequencyFromCpuInfo(cpuinfo);
        return new TimestampCounterStatus(IsAvailable, UnavailableReason,
            flags.Contains("constant_tsc"), flags.Contains("nonstop_tsc"), flags.Contains("tsc_known_freq"),
            string.IsNullOrEmpty(clocksource) ? null : clocksource, frequency);
    }

    /// <summary>The most trustworthy frequency the kernel log states (the refined calibration wins, the last one of each kind).</summary>
    public static TscFrequency? FrequencyFromKernelLog(IEnumerable<string> messages)
    {
        TscFrequency? detected = null, refined = null;
        foreach (string message in messages)
        {
            if (!TryParseFrequencyLine(message, out var frequency)) continue;
            if (frequency.Source == TscFrequencySource.KernelRefinedCalibration) refined = frequency;
            else detected = frequency;
        }
        return refined ?? detected;
    }

    /// <summary>
    /// Recognises arch/x86/kernel/tsc.c's "tsc: Detected %lu.%03lu MHz processor" and
    /// "tsc: Refined TSC clocksource calibration: %lu.%03lu MHz".
    /// </summary>
    public static bool TryParseFrequencyLine(string message, out TscFrequency frequency)
    {
        frequency = null!;
        const string detected = "tsc: Detected ";
        const string refined = "tsc: Refined TSC clocksource calibration: ";
        TscFrequencySource source;
        int start;
        if ((start = message.IndexOf(refined, StringComparison.Ordinal)) >= 0)
        {
            source = TscFrequencySource.KernelRefinedCalibration;
            start += refined.Length;
        }
        else if ((start = message.IndexOf(detected, StringComparison.Ordinal)) >= 0 && message.EndsWith(" MHz processor", StringComparison.Ordinal))
        {
            source = TscFrequencySource.KernelDetected;
            start += detected.Length;
        }
        else return false;
        int end = message.IndexOf(" MHz", start, StringComparison.Ordinal);
        if (end < 0 || !double.TryParse(message.AsSpan(start, end - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz) || mhz <= 0)
            return false;
        frequency = new TscFrequency(mhz * 1e6, source);
        return true;
    }

    /// <summary>Measures the TSC rate against CLOCK_MONOTONIC_RAW over <paramref name="duration"/>.</summary>
    public static TscFrequency Measure(TimeSpan duration)
    {
        var (t0, c0) = ReadPair();
        Thread.Sleep(duration);
        var (t1, c1) = ReadPair();
        return new TscFrequency((c1 - c0) * 1e9 / (t1 - t0), TscFrequencySource.Measured);

        static (long Ns, double Ticks) ReadPair()
        {
            // Bracket the clock read with two TSC reads and keep the tightest of a few tries.
            long bestWidth = long.MaxValue;
            (long, double) best = default;
            for (int i = 0; i < 5; i++)
            {
                ulong a = Read();
                long ns = SystemClocks.MonotonicRawNanoseconds();
                ulong b = Read();
                if ((long)(b - a) < bestWidth) { bestWidth = (long)(b - a); best = (ns, a / 2.0 + b / 2.0); }
            }
            return best;
        }
    }

    /// <summary>"cpu MHz" of the first processor in /proc/cpuinfo text.</summary>
    public static TscFrequency? FrequencyFromCpuInfo(string cpuinfo)
    {
        foreach (string line in cpuinfo.Split('\n'))
        {
            if (!line.StartsWith("cpu MHz", StringComparison.Ordinal)) continue;
            int colon = line.IndexOf(':');
            if (colon > 0 && double.TryParse(line.AsSpan(colon + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double mhz) && mhz > 0)
                return new TscFrequency(mhz * 1e6, TscFrequencySource.CpuInfo);
        }
        return null;
    }

    /// <summary>The "flags" of the first processor in /proc/cpuinfo text.</summary>
    public static IReadOnlySet<string> ParseCpuFlags(string cpuinfo)
    {
        foreach (string line in cpuinfo.Split('\n'))
        {
            if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        }
        return new HashSet<string>();
    }

    private static (nint, string?) CreateReader()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return (0, $"the process runs on {RuntimeInformation.ProcessArchitecture}; the TSC reader is x86-64 only.");
        string? cpuinfo = TryReadText(CpuInfoPath);
        if (cpuinfo is not null && !ParseCpuFlags(cpuinfo).Contains("tsc"))
            return (0, "the CPU does not list the 'tsc' flag in /proc/cpuinfo.");
        const nuint length = 4096;
        nint page = LibC.MmapAnonymous(0, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (page == -1)
            return (0, $"mmap of the reader page failed ({Marshal.GetPInvokeErrorMessage(LibC.LastErrno)}).");
        ReaderCode.CopyTo(new Span<byte>((void*)page, ReaderCode.Length));
        if (LibC.Mprotect(page, length, LibC.PROT_READ | LibC.PROT_EXEC) != 0)
        {
            int errno = LibC.LastErrno;
            LibC.Munmap(page, length);
            return (0, $"mprotect(PROT_EXEC) of the reader page was refused ({Marshal.GetPInvokeErrorMessage(errno)}); an SELinux execmem policy or a seccomp filter forbids executable anonymous memory.");
        }
        return (page, null); // kept for the life of the process
    }

    private static string? TryReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
