// BlackoutAdvisor: for this machine (MachineFacts) and the next kernel (its image, initrd and
// command line), each lever of the blackout: whether it applies, what it costs now and the change
// that would shorten it. Pure: it reads nothing itself, so host tests give it synthetic machines
// and real bzImages. Costs that come from our benchmark are in MeasuredBlackoutCosts (one place);
// the rest are read here (sizes, the boot log, the console's baud) or a rate applied to them.
using System.Globalization;
using LiveUpdate.Kernel;
using static System.FormattableString;

namespace LiveUpdate.Preflight.Advice;

public sealed record AdviceRequest(KernelImage Next, KernelCommandLine NextCommandLine, string? Initrd, long? InitrdBytes, string? InitrdFormat);

public static class BlackoutAdvisor
{
    public const string PayloadLever = "kernel-payload";
    public const string PurgatoryLever = "purgatory-hash";
    public const string InitramfsLever = "initramfs-unpack";
    public const string LogLevelLever = "console-loglevel";
    public const string SerialConsoleLever = "serial-console";
    public const string ScratchLever = "kho-scratch";
    public const string MemfdPagesLever = "memfd-pages";
    public const string DeferredInitLever = "deferred-struct-page-init";
    public const string DeviceProbeLever = "device-probe";

    /// <summary>The kernel's quiet level (CONFIG_CONSOLE_LOGLEVEL_QUIET's default) and default level (CONFIG_CONSOLE_LOGLEVEL_DEFAULT's).</summary>
    private const int QuietLevel = 4, DefaultLevel = 7;

    private const double MiB = 1024 * 1024;
    private const double GiB = 1024 * MiB;
    private const ulong ScratchGranule = 64UL << 20;

    public static AdviceReport Advise(MachineFacts machine, AdviceRequest request)
    {
        var next = request.Next;
        var serials = SerialConsoleSetting.FromCommandLine(request.NextCommandLine);
        int level = NextConsoleLevel(request.NextCommandLine, next.Config);
        var bootLog = BootPart(machine.BootLog);
        bool timePrefix = PrintsTime(request.NextCommandLine, next.Config);
        long consoleBytes = ConsoleBytes(bootLog, level, timePrefix);

        var findings = new List<BlackoutFinding>
        {
            Payload(next),
            Purgatory(machine, request),
            Initramfs(machine, request),
            LogLevel(request.NextCommandLine, serials, bootLog, level, timePrefix),
            SerialConsole(request.NextCommandLine, serials, consoleBytes, level, machine),
            Scratch(machine, request),
            MemfdPages(machine),
            DeferredInit(next),
            DeviceProbe(machine, bootLog),
        };
        var facts = new AdviceFacts(next.Path, next.Release, machine.RunningRelease, PayloadCompressionDetector.Name(next.Compression),
            next.Image.Bytes.Length, request.Initrd, request.InitrdBytes, request.InitrdFormat, request.NextCommandLine.ToString(),
            [.. serials.Select(s => s.Device)], serials.Count > 0 ? serials[0].Baud : null, level, consoleBytes,
            machine.ScratchSizes, machine.ShmemPolicy is { } policy ? ShmemHugePagePolicy.SysfsValue(policy) : null,
            machine.PreservedBytes, machine.Devices.Count);
        return new AdviceReport(facts, findings);
    }

    private static BlackoutFinding Payload(KernelImage next)
    {
        string name = PayloadCompressionDetector.Name(next.Compression);
        string decoded = next.Decompressed
            ? Invariant($"; luoctl decoded its {next.DecompressedSize / MiB:0.0} MiB here in {next.DecompressTime.TotalMilliseconds:0} ms")
            : "";
        if (next.Compression == PayloadCompression.Lz4)
            return new(PayloadLever, false, $"the next kernel's payload is lz4{decoded}",
                Invariant($"≈ {MeasuredBlackoutCosts.Lz4PayloadMs:0} ms to decompress on the blackout path (xz: ≈ {MeasuredBlackoutCosts.XzPayloadMs:0} ms)"),
                MeasuredBlackoutCosts.Lz4PayloadMs, null, CostSource.MeasuredInBenchmarks, MeasuredBlackoutCosts.Where + ", Levers: bare kexec, one kernel build per compressor",
                "none: LZ4 is the fastest payload the x86 decompressor has (x86 kexecs a bzImage, so the payload is always decompressed)");
        double? ms = next.Compression == PayloadCompression.Xz ? MeasuredBlackoutCosts.XzPayloadMs : null;
        return new(PayloadLever, true, $"the next kernel's payload is {name}{decoded}",
            ms is { } xz
                ? Invariant($"≈ {xz:0} ms to decompress on the blackout path, ≈ {xz - MeasuredBlackoutCosts.Lz4PayloadMs:0} ms more than LZ4")
                : Invariant($"slower to decompress than LZ4 (≈ {MeasuredBlackoutCosts.Lz4PayloadMs:0} ms); {name} was not measured under TCG"),
            ms, null, ms is null ? CostSource.NotMeasured : CostSource.MeasuredInBenchmarks,
            MeasuredBlackoutCosts.Where + ", Levers: bare kexec, xz against LZ4",
            "build the next kernel with CONFIG_KERNEL_LZ4=y (scripts/config --enable KERNEL_LZ4 --disable KERNEL_" + name.ToUpperInvariant() + "; needs the lz4 program at build time)");
    }

    private static BlackoutFinding Purgatory(MachineFacts machine, AdviceRequest request)
    {
        long bytes = request.Next.Image.Bytes.Length + (request.InitrdBytes ?? 0);
        double ms = bytes / MiB / MeasuredBlackoutCosts.PurgatoryHashMiBPerSecond * 1000;
        string segments = Invariant($"kernel {request.Next.Image.Bytes.Length / MiB:0.0} MiB + initrd {(request.InitrdBytes ?? 0) / MiB:0.0} MiB");
        var series = SeriesOf(machine.RunningRelease);
        bool khoOn = machine.CommandLine?.IsEnabled("kho") ?? false;
        bool hashes = series is not { } s || s.CompareTo((7, 3)) < 0 || !khoOn;
        string now = series is null
            ? $"the running kernel's release is unknown; if its purgatory checks digests it hashes {segments}"
            : hashes
                ? $"the running kernel {machine.RunningRelease} makes the kexec, and its purgatory SHA-256s every segment ({segments}) before it jumps"
                : $"the running kernel {machine.RunningRelease} skips the purgatory's digest check (KHO is on)";
        return new(PurgatoryLever, hashes, now,
            hashes ? Invariant($"≈ {ms:0} ms ({bytes / MiB:0.0} MiB at {MeasuredBlackoutCosts.PurgatoryHashMiBPerSecond:0} MiB/s)") : "0 ms",
            hashes ? Math.Round(ms) : 0, null, hashes ? CostSource.EstimatedFromRate : CostSource.MeasuredHere,
            hashes ? $"the sizes read here at the hash rate of {MeasuredBlackoutCosts.Where}, Method" : "the running release and kho=on on /proc/cmdline",
            hashes
                ? "hash fewer bytes: a smaller initramfs (only what the blackout path needs; an LZ4 one, `lz4 -l -9 initrd initrd.lz4`, is what the initramfs finding weighs), or make the kexec from a 7.3 kernel booted with kho=on, whose purgatory skips the check"
                : "none");
    }

    private static BlackoutFinding Initramfs(MachineFacts machine, AdviceRequest request)
    {
        if (request.InitrdBytes is not { } bytes)
            return new(InitramfsLever, false, "no initrd was given (--initrd), so its unpack cannot be weighed", "unknown", null, null, CostSource.NotMeasured, "",
                "pass the initrd the next kernel boots with: luoctl advise --initrd FILE");
        double mib = bytes / MiB;
        double unpackMs = mib * MeasuredBlackoutCosts.UnpackMs / MeasuredBlackoutCosts.UnpackedMiB;
        bool hashes = SeriesOf(machine.RunningRelease) is not { } series || series.CompareTo((7, 3)) < 0;
        string format = request.InitrdFormat ?? "unknown";
        string now = Invariant($"the next kernel unpacks {request.Initrd} ({mib:0.0} MiB, {format}) before /init");
        string change = format == "cpio"
            ? hashes
                ? Invariant($"make it smaller (only what the blackout path needs), and as this kernel's purgatory hashes it, compress it with LZ4: `lz4 -l -9 {request.Initrd} initrd.lz4` (measured on 7.2: {MeasuredBlackoutCosts.Lz4InitramfsSaving72Ms:0} ms saved; on 7.3, which does not hash it, {-MeasuredBlackoutCosts.Lz4InitramfsSaving73Ms:0} ms lost)")
                : Invariant($"make it smaller (only what the blackout path needs); keep it uncompressed: this kernel's purgatory does not hash it, and LZ4 cost {-MeasuredBlackoutCosts.Lz4InitramfsSaving73Ms:0} ms on 7.3")
            : $"make it smaller (only what the blackout path needs); a {format} initramfs is also decompressed on the blackout path: LZ4 (`lz4 -l -9`) is the fastest, an uncompressed cpio needs none";
        return new(InitramfsLever, true, now, Invariant($"≈ {unpackMs:0} ms to unpack"), Math.Round(unpackMs), null, CostSource.EstimatedFromRate,
            Invariant($"its size read here at the unpack rate of {MeasuredBlackoutCosts.Where}, \"initramfs unpack\" ({MeasuredBlackoutCosts.UnpackMs:0} ms for {MeasuredBlackoutCosts.UnpackedMiB} MiB after a bare kexec)"),
            change);
    }

    private static BlackoutFinding LogLevel(KernelCommandLine next, IReadOnlyList<SerialConsoleSetting> serials, IReadOnlyList<KernelLogRecord> bootLog, int level, bool timePrefix)
    {
        if (level <= QuietLevel)
            return new(LogLevelLever, false, Invariant($"the next kernel's console log level is {level} (quiet or lower)"), "0 ms", 0, null, CostSource.MeasuredHere,
                "the next command line and the next kernel's config", "none");
        if (serials.Count == 0)
            return new(LogLevelLever, false, Invariant($"the next kernel's console log level is {level}, but its command line names no serial console"),
                "not paced by a baud rate (a VGA or virtual console)", null, null, CostSource.NotMeasured, "", "none needed; `quiet` on the next command line still trims the console");
        long all = ConsoleBytes(bootLog, level, timePrefix), quiet = ConsoleBytes(bootLog, QuietLevel, timePrefix);
        double perCharacter = serials.Sum(s => s.MicrosecondsPerCharacter);
        double ms = (all - quiet) * perCharacter / 1000;
        return new(LogLevelLever, true,
            Invariant($"the next kernel's console log level is {level}: {all - quiet} of this boot's {all} console bytes are warnings or less severe (levels 4–{level - 1}), which `quiet` keeps off the console"),
            Invariant($"≈ {ms:0} ms of serial output per boot ({all - quiet} bytes × {perCharacter:0.0} µs)"), Math.Round(ms), null, CostSource.EstimatedFromRate,
            $"this boot's kernel log up to /init (/dev/kmsg, measured here) at the console's baud ({string.Join(", ", serials.Select(Describe))})",
            $"add `quiet` (console log level {QuietLevel}) or `loglevel={QuietLevel}` to the next kernel's command line: luoctl update --append \"{next.With("loglevel", QuietLevel.ToString(CultureInfo.InvariantCulture))}\"");
    }

    private static BlackoutFinding SerialConsole(KernelCommandLine next, IReadOnlyList<SerialConsoleSetting> serials, long consoleBytes, int level, MachineFacts machine)
    {
        string active = machine.Consoles is { } consoles ? string.Join(", ", consoles.Where(c => c.Enabled).Select(c => c.Name)) : "unknown";
        if (serials.Count == 0)
            return new(SerialConsoleLever, false, $"the next command line names no serial console (active now: {active})", "0 ms", 0, null, CostSource.MeasuredHere,
                "the next command line", "none");
        double perCharacter = serials.Sum(s => s.MicrosecondsPerCharacter);
        double ms = consoleBytes * perCharacter / 1000;
        string without = string.Join(' ', next.Words.Where(w => !(w.StartsWith("console=", StringComparison.Ordinal) && SerialConsoleSetting.TryParse(w["console=".Length..]) is not null)));
        return new(SerialConsoleLever, true,
            Invariant($"the next kernel writes its console (level {level}) to {string.Join(", ", serials.Select(Describe))}; active now: {active}"),
            Invariant($"≈ {ms:0} ms of serial output per boot ({consoleBytes} bytes × {perCharacter:0.0} µs)"), Math.Round(ms), null, CostSource.EstimatedFromRate,
            "this boot's kernel log up to /init (/dev/kmsg, measured here) at the console's baud; a character is a start bit, the data bits, the parity bit and a stop bit",
            $"drop the serial console from the next command line (the log stays in the kernel buffer: dmesg, or pstore across the kexec): luoctl update --append \"{without}\"; or raise its speed (console={serials[0].Device},921600n8) where the port and the other end support it");
    }

    private static BlackoutFinding Scratch(MachineFacts machine, AdviceRequest request)
    {
        var next = request.Next;
        ulong needed = next.Image.InitSize + (ulong)next.Image.Bytes.Length + (ulong)(request.InitrdBytes ?? 0);
        string? value = machine.CommandLine?.Get("kho_scratch");
        var parameter = value is null ? KhoScratchParameter.Default : KhoScratchParameter.TryParse(value);
        IReadOnlyList<ulong>? areas = machine.ScratchSizes is { Count: > 0 } read ? read : null;
        string source = areas is not null ? "kho/out/scratch_len in debugfs" : value is not null ? $"kho_scratch={value} on /proc/cmdline" : "";
        if (areas is null && parameter is { ScalePercent: null } explicitSizes)
            areas = [explicitSizes.LowMem, explicitSizes.Global, .. Enumerable.Repeat(explicitSizes.PerNode, Math.Max(1, machine.NumaNodes))];
        if (areas is null)
            return new(ScratchLever, false,
                $"the scratch size cannot be read: debugfs is not mounted and kho_scratch={(value ?? "(absent: 200% of boot-time reservations)")} is a scale",
                "unknown", null, null, CostSource.NotMeasured, "",
                "mount debugfs (mount -t debugfs none /sys/kernel/debug) and run luoctl advise again, or set explicit sizes with kho_scratch=lowmem,global,pernode");

        ulong total = areas.Aggregate(0UL, (sum, size) => sum + size);
        ulong largest = areas.Max();
        ulong memTotal = machine.Memory?.Bytes("MemTotal") ?? 0;
        int nodes = Math.Max(1, areas.Count - 2);
        // The next kernel runs in scratch until its buddy allocator starts: its image, initrd and early
        // allocations, of which the memory map (64 bytes per 4 KiB page) is the largest.
        ulong memmapPerNode = memTotal / 4096 * 64 / (ulong)nodes;
        ulong lowMem = areas[0];
        ulong global = RoundUp(2 * needed, ScratchGranule);
        ulong perNode = RoundUp(Math.Max(2 * memmapPerNode, ScratchGranule), ScratchGranule);
        ulong recommended = lowMem + global + perNode * (ulong)nodes;
        string suggestion = $"kho_scratch={Mib(lowMem)}M,{Mib(global)}M,{Mib(perNode)}M";
        string sizes = string.Join(" + ", areas.Select(a => Mib(a) + " MiB"));
        if (largest < needed || total < needed)
            return new(ScratchLever, true,
                $"{sizes} of scratch ({source}); the next kernel and initrd need {Mib(needed)} MiB in one area",
                "the kexec load fails (EADDRNOTAVAIL / ENOMEM): no update at all", null, null, CostSource.MeasuredHere, source,
                $"cold-boot with {suggestion} (lowmem, global, per node), or a smaller initrd");
        if (total > recommended + recommended / 2)
        {
            double freed = (total - recommended) / MiB;
            return new(ScratchLever, true,
                Invariant($"{sizes} = {Mib(total)} MiB of scratch ({source}); the next kernel and initrd need {Mib(needed)} MiB, its memory map ≈ {Mib(memmapPerNode)} MiB per node"),
                Invariant($"≈ {freed:0} MiB held as scratch (CMA: movable allocations only) that preserved memory cannot use; no blackout time is expected from the size"),
                null, Math.Round(freed), CostSource.MeasuredHere, source + " and /proc/meminfo",
                $"cold-boot with {suggestion} (lowmem kept, global twice the next kernel and initrd, per node twice the memory map): it takes effect on the boot after next, as each kernel sizes its own scratch from its command line; pass the same value to the next kernel (luoctl update --append \"... {suggestion}\")");
        }
        return new(ScratchLever, false, $"{sizes} = {Mib(total)} MiB of scratch ({source}), enough for the next kernel and initrd ({Mib(needed)} MiB) and not oversized",
            "0 ms", 0, 0, CostSource.MeasuredHere, source, "none");
    }

    private static BlackoutFinding MemfdPages(MachineFacts machine)
    {
        double penalty = MeasuredBlackoutCosts.FourKiBPenaltyMsPerGiB;
        string rates = Invariant($"restore (RETRIEVE_FD + every page touched) {MeasuredBlackoutCosts.RestoreMsPerGiB(MeasuredBlackoutCosts.FourKiBPages):0} ms/GiB in 4 KiB pages against {MeasuredBlackoutCosts.RestoreMsPerGiB(MeasuredBlackoutCosts.TransparentHugePages):0} ms/GiB in THP, least squares over {MeasuredBlackoutCosts.Where}, \"Ours: the blackout, split\"");
        if (machine.ShmemPolicy is not { } policy)
            return new(MemfdPagesLever, false, "the kernel has no shmem THP (no " + ShmemHugePagePolicy.SysfsPath + ")", "unknown", null, null, CostSource.NotMeasured, rates,
                "build the kernels with CONFIG_TRANSPARENT_HUGEPAGE=y to preserve memfds in 2 MiB folios");
        bool hugeByDefault = policy is ShmemHugePages.Always or ShmemHugePages.WithinSize or ShmemHugePages.Force;
        ulong shmem = machine.Memory?.Bytes("Shmem") ?? 0, shmemHuge = machine.Memory?.Bytes("ShmemHugePages") ?? 0;
        string preserved = machine.PreservedBytes is { } held
            ? Invariant($"luod holds {held / MiB:0.0} MiB in {machine.PreservedSessions} session(s)")
            : $"luod could not be asked ({machine.LuodProblem ?? "unknown"})";
        string policyNow = $"shmem_enabled is {ShmemHugePagePolicy.SysfsValue(policy)}";
        string inHuge = Invariant($"{shmemHuge / MiB:0} of {shmem / MiB:0} MiB of shmem is in huge pages now (/proc/meminfo)");
        if (hugeByDefault)
            return new(MemfdPagesLever, false, $"{policyNow}: memfds get 2 MiB folios; {preserved}; {inHuge}", "0 ms", 0, null, CostSource.MeasuredHere, rates, "none");
        // The preserved memfds are in 4 KiB pages unless their owner asked for THP (madvise under "advise");
        // what shmem holds in huge pages now bounds how much of them could be.
        long held4k = machine.PreservedBytes is { } bytes ? Math.Max(0, bytes - (long)Math.Min(shmemHuge, (ulong)bytes)) : (long)(shmem - Math.Min(shmem, shmemHuge));
        double ms = held4k / GiB * penalty;
        string basis = machine.PreservedBytes is null ? "shmem in 4 KiB pages (/proc/meminfo), luod's share unknown" : "luod's sessions less what shmem holds in huge pages";
        return new(MemfdPagesLever, held4k > 0,
            $"{policyNow}: memfds come in 4 KiB pages unless their owner madvises; {preserved}; {inHuge}",
            Invariant($"≈ {ms:0} ms more restore for {held4k / MiB:0.0} MiB in 4 KiB pages than in THP ({penalty:0} ms per GiB; {basis})"),
            Math.Round(ms), null, CostSource.EstimatedFromRate, rates,
            "before the memfds are created (they keep the pages they were made with): echo within_size > " + ShmemHugePagePolicy.SysfsPath
            + ", or at boot transparent_hugepage_shmem=within_size on the command line; under \"advise\" the owner calls madvise(MADV_HUGEPAGE) on its mapping");
    }

    private static BlackoutFinding DeferredInit(KernelImage next)
    {
        if (next.Config is not { } config)
            return new(DeferredInitLever, false, $"the next kernel {next.Release} carries no embedded config", "unknown", null, null, CostSource.NotMeasured, "",
                "build the next kernel with CONFIG_IKCONFIG=y so its options can be read");
        bool deferred = config.IsBuiltIn("CONFIG_DEFERRED_STRUCT_PAGE_INIT");
        return deferred
            ? new(DeferredInitLever, true, "the next kernel is built with CONFIG_DEFERRED_STRUCT_PAGE_INIT=y, which the live-update seeds list as incompatible with KHO",
                Invariant($"a risk, not time: it saved ≤ {MeasuredBlackoutCosts.DeferredStructPageInitMs:0} ms at 3 GiB here, and preserved pages need their struct pages before the deferred threads run"),
                MeasuredBlackoutCosts.DeferredStructPageInitMs, null, CostSource.MeasuredInBenchmarks, MeasuredBlackoutCosts.Where + ", Levers",
                "build the next kernel with CONFIG_DEFERRED_STRUCT_PAGE_INIT=n (scripts/config --disable DEFERRED_STRUCT_PAGE_INIT)")
            : new(DeferredInitLever, false, "the next kernel is built without CONFIG_DEFERRED_STRUCT_PAGE_INIT (the seeds list it as incompatible with KHO)",
                Invariant($"0 ms; turning it on would save ≤ {MeasuredBlackoutCosts.DeferredStructPageInitMs:0} ms at 3 GiB"), 0, null, CostSource.MeasuredInBenchmarks,
                MeasuredBlackoutCosts.Where + ", Levers", "none: keep it off");
    }

    private static BlackoutFinding DeviceProbe(MachineFacts machine, IReadOnlyList<KernelLogRecord> bootLog)
    {
        if (machine.Devices.Count == 0)
            return new(DeviceProbeLever, false, "no device has a driver bound (/sys/bus/*/devices/*/driver)", "0 ms", 0, null, CostSource.MeasuredHere, "/sys/bus", "none");
        var byDriver = machine.Devices.GroupBy(d => $"{d.Bus}/{d.Driver}").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ×{g.Count()}");
        double? bootMs = bootLog.Count > 0 ? bootLog[^1].TimestampMicroseconds / 1000.0 : null;
        return new(DeviceProbeLever, true,
            $"{machine.Devices.Count} devices with a driver bound, each probed again by the next kernel: {string.Join(", ", byDriver)}",
            bootMs is { } ms ? Invariant($"within this boot's kernel start → /init, {ms:0} ms (printk clock); per-device cost not measured") : "not measured",
            null, null, bootMs is null ? CostSource.NotMeasured : CostSource.MeasuredHere, "this boot's kernel log (/dev/kmsg)",
            "boot the next kernel with initcall_debug once to see each probe's time, then keep off the blackout path what is not needed on it: modules loaded after the service resumes, or initcall_blacklist=<driver>_init / modprobe.blacklist=<module> on the next command line");
    }

    /// <summary>The kernel's own part of this boot's log: up to the line where it starts /init (what the next kernel will print too).</summary>
    public static IReadOnlyList<KernelLogRecord> BootPart(IReadOnlyList<KernelLogRecord> log)
    {
        int init = -1;
        for (int i = 0; i < log.Count; i++)
            if (log[i].Message.StartsWith("Run /init as init process", StringComparison.Ordinal) || log[i].Message.StartsWith("Run /sbin/init as init process", StringComparison.Ordinal)) { init = i; break; }
        return init < 0 ? log : [.. log.Take(init + 1)];
    }

    /// <summary>Bytes the console writes for <paramref name="log"/> at <paramref name="level"/>: records of a lower level number, each "[ssss.uuuuuu] " + text + "\r\n".</summary>
    public static long ConsoleBytes(IReadOnlyList<KernelLogRecord> log, int level, bool timePrefix) =>
        log.Where(r => r.Priority < level).Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(r.Message) + 2 + (timePrefix ? 15 : 0));

    /// <summary>The next kernel's console log level: `quiet`, `debug` and `loglevel=` in command-line order over the config's default.</summary>
    public static int NextConsoleLevel(KernelCommandLine commandLine, KernelConfig? config)
    {
        int defaultLevel = ConfigNumber(config, "CONFIG_CONSOLE_LOGLEVEL_DEFAULT") ?? DefaultLevel;
        int quietLevel = ConfigNumber(config, "CONFIG_CONSOLE_LOGLEVEL_QUIET") ?? QuietLevel;
        int level = defaultLevel;
        foreach (string word in commandLine.Words)
        {
            if (word == "quiet") level = quietLevel;
            else if (word == "debug") level = 10;
            else if (word.StartsWith("loglevel=", StringComparison.Ordinal) && int.TryParse(word.AsSpan(9), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) level = n;
        }
        return level;
    }

    private static bool PrintsTime(KernelCommandLine commandLine, KernelConfig? config) =>
        commandLine.Get("printk.time") is { } value ? value is "1" or "y" or "Y" : config?.IsBuiltIn("CONFIG_PRINTK_TIME") ?? true;

    private static int? ConfigNumber(KernelConfig? config, string option) =>
        config?.Get(option) is { } text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : null;

    /// <summary>"7.2.13" → (7, 2); null when unknown.</summary>
    public static (int Major, int Minor)? SeriesOf(string? release)
    {
        if (release is null) return null;
        string[] parts = release.Split('.', '-', '+', '~');
        return parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor) ? (major, minor) : null;
    }

    private static string Describe(SerialConsoleSetting s) =>
        Invariant($"{s.Device} at {s.Baud} baud{(s.BaudGiven ? "" : " (no speed given: the 8250 default)")}, {s.MicrosecondsPerCharacter:0.0} µs per character");

    private static ulong RoundUp(ulong value, ulong granule) => (value + granule - 1) / granule * granule;

    private static ulong Mib(ulong bytes) => bytes >> 20;
}
