// PreflightCheck: before a live update, can the next kernel read the state the reference
// kernel hands over? Compares the ABI compatibility strings pairwise (KHO, LUO, each file
// handler in use), checks the next kernel's build options and command line, kexec signature
// enforcement and KHO scratch memory. Whatever cannot be determined is a warning, never a GO.
using System.Diagnostics;
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight;

public static class PreflightCheck
{
    /// <summary>Runs the check. Throws <see cref="KernelImageException"/> when the next (or --from) image cannot be read at all.</summary>
    public static PreflightReport Run(PreflightRequest request)
    {
        var clock = Stopwatch.StartNew();
        var handlers = request.Handlers.Select(h => h.Trim().ToLowerInvariant()).Where(h => h.Length > 0).Distinct().ToList();
        var next = KernelImage.Read(request.NextKernel, handlers);
        var reference = request.From is { } from
            ? ReferenceKernel.FromImage(KernelImage.Read(from, handlers))
            : ReferenceKernel.FromRunningSystem(request.RunningSystem, handlers);
        var findings = Evaluate(next, reference, request, handlers);
        double decompress = next.DecompressTime.TotalMilliseconds + (reference.Image?.DecompressTime.TotalMilliseconds ?? 0);
        return new PreflightReport(PreflightReport.VerdictOf(findings), next.Path, next.Release, reference.Description, reference.Release,
            handlers, findings, Math.Round(decompress, 1), Math.Round(clock.Elapsed.TotalMilliseconds, 1));
    }

    /// <summary>The findings for an already read pair (luod can keep the images it read).</summary>
    public static IReadOnlyList<PreflightFinding> Evaluate(KernelImage next, ReferenceKernel reference, PreflightRequest request, IReadOnlyList<string> handlers)
    {
        var findings = new List<PreflightFinding>();
        CheckImage(next, findings);
        CheckNextConfig(next, handlers, findings);
        CheckAbi(next, reference, AbiComponent.Kho, findings);
        CheckAbi(next, reference, AbiComponent.Luo, findings);
        foreach (string handler in handlers) CheckAbi(next, reference, AbiComponent.Handler(handler), findings);
        CheckCommandLine(next, request.NextCommandLine, findings);
        CheckSignature(next, reference, findings);
        CheckScratch(next, reference, request, findings);
        return findings;
    }

    private static void CheckImage(KernelImage next, List<PreflightFinding> findings)
    {
        string compression = PayloadCompressionDetector.Name(next.Compression);
        if (next.DecompressProblem is { } problem)
        {
            findings.Add(new(FindingSeverity.Warning, "image-not-decompressed",
                $"Next kernel {next.Release}: {problem}.",
                "Without the decompressed kernel its ABI strings and build options cannot be checked, so a mismatch would go unnoticed.",
                next.Compression == PayloadCompression.Lzo
                    ? "Build the kernel with CONFIG_KERNEL_XZ, CONFIG_KERNEL_ZSTD or CONFIG_KERNEL_GZIP, or compare its kho/luo/handler versions by hand."
                    : "Install the decompressor named above, or check that the image file is complete."));
            return;
        }
        findings.Add(new(FindingSeverity.Ok, "image",
            $"Next kernel {next.Release}: {compression} payload, {next.DecompressedSize / (1024 * 1024)} MiB decompressed in {next.DecompressTime.TotalMilliseconds:0} ms.",
            "The kernel's ABI strings and embedded config can be read.", null));
    }

    private static readonly (string Option, string Purpose)[] RequiredNextOptions =
    [
        ("CONFIG_KEXEC_HANDOVER", "Kexec HandOver, which carries all preserved state"),
        ("CONFIG_LIVEUPDATE", "the Live Update Orchestrator (/dev/liveupdate), which restores sessions"),
    ];

    private static void CheckNextConfig(KernelImage next, IReadOnlyList<string> handlers, List<PreflightFinding> findings)
    {
        if (!next.Decompressed) return;
        if (next.Config is not { } config)
        {
            findings.Add(new(FindingSeverity.Warning, "next-config-unknown",
                $"Next kernel {next.Release} carries no embedded config (built without CONFIG_IKCONFIG).",
                "Its build options cannot be confirmed; KHO/LUO support is inferred from the ABI strings alone, and whether kho=on is on by default is unknown.",
                "Build the next kernel with CONFIG_IKCONFIG=y, or check its config by hand."));
            return;
        }
        var required = RequiredNextOptions.ToList();
        if (handlers.Contains("memfd")) required.Add(("CONFIG_LIVEUPDATE_MEMFD", "the memfd file handler, which restores preserved memfds"));
        foreach (var (option, purpose) in required)
        {
            findings.Add(config.IsBuiltIn(option)
                ? new(FindingSeverity.Ok, "next-config", $"Next kernel has {option}=y.", $"It provides {purpose}.", null)
                : new(FindingSeverity.Error, "next-config-missing",
                    $"Next kernel {next.Release} is built with {option} {(config.Get(option) is { } v ? "=" + v : "not set")}.",
                    $"It lacks {purpose}: the preserved state would be lost on the update.",
                    $"Use a kernel built with {option}=y."));
        }
    }

    private static void CheckAbi(KernelImage next, ReferenceKernel reference, AbiComponent component, List<PreflightFinding> findings)
    {
        string consequence = component.Role switch
        {
            AbiRole.Kho => "the next kernel ignores the whole handover and boots without any preserved state",
            AbiRole.Luo => "the next kernel panics early in boot (luo_restore_fail: \"The incoming tree failed to initialize properly\")",
            _ => $"retrieving a session that holds a {component.Name} file fails with EIO on /dev/liveupdate, so its files are lost",
        };
        var (referenceString, referenceSource, referenceUnknownWhy) = ReferenceString(reference, component);
        var nextStrings = next.AbiStrings(component);

        if (nextStrings is null)
        {
            findings.Add(new(FindingSeverity.Warning, $"{component.Name}-abi-unknown",
                $"{component.Display} version of the next kernel cannot be determined (its image was not decompressed).",
                $"If it differs from {referenceString ?? "the running kernel's"}, {consequence}.",
                "See the image finding above; compare the versions by hand before updating."));
            return;
        }
        if (nextStrings.Count > 1)
        {
            findings.Add(new(FindingSeverity.Warning, $"{component.Name}-abi-ambiguous",
                $"Next kernel contains several {component.Display} versions: {string.Join(", ", nextStrings)}.",
                "Which one it accepts cannot be told from the image.",
                "Check the kernel source (include/linux/kho/abi/) for the compatible string it uses."));
            return;
        }
        if (nextStrings.Count == 0)
        {
            findings.Add(new(FindingSeverity.Error, $"{component.Name}-missing",
                $"Next kernel {next.Release} has no {component.Display} (no \"{component.Name}-vN\" compatible string in it).",
                component.Role switch
                {
                    AbiRole.Kho => "It cannot receive a handover at all: every preserved session and file is lost on the update.",
                    AbiRole.Luo => "It has no /dev/liveupdate and ignores the LUO state: every preserved session is lost on the update.",
                    _ => $"It cannot restore {component.Name} files: sessions holding them fail to be retrieved (EIO) and the files are lost.",
                },
                component.Role == AbiRole.FileHandler
                    ? $"Use a kernel built with the {component.Name} live update handler (CONFIG_LIVEUPDATE_{component.Name.ToUpperInvariant()}=y)."
                    : "Use a kernel built with CONFIG_KEXEC_HANDOVER=y and CONFIG_LIVEUPDATE=y."));
            return;
        }
        string nextString = nextStrings[0];
        if (referenceString is null)
        {
            findings.Add(new(FindingSeverity.Warning, $"{component.Name}-abi-unknown",
                $"{component.Display}: next kernel expects \"{nextString}\"; what {reference.Description} writes cannot be determined ({referenceUnknownWhy}).",
                $"If they differ, {consequence}.",
                reference.IsRunningHost
                    ? $"Keep the running kernel's image at /boot/vmlinuz-{reference.Release} or mount debugfs (mount -t debugfs none /sys/kernel/debug) so the version can be read."
                    : "Pass a reference image whose payload can be decompressed."));
            return;
        }
        if (referenceString.Length == 0)
        {
            findings.Add(new(FindingSeverity.Error, $"{component.Name}-missing-reference",
                $"{reference.Description} has no {component.Display} ({referenceSource}).",
                "There is nothing of it to hand over: a live update cannot preserve it.",
                "Boot a kernel built with CONFIG_KEXEC_HANDOVER, CONFIG_LIVEUPDATE and the file handlers in use before updating."));
            return;
        }
        findings.Add(referenceString == nextString
            ? new(FindingSeverity.Ok, $"{component.Name}-abi", $"{component.Display}: both kernels use \"{nextString}\" ({referenceSource}).",
                "The next kernel can read this state.", null)
            : new(FindingSeverity.Error, $"{component.Name}-abi-mismatch",
                $"{component.Display} mismatch: {reference.Description} writes \"{referenceString}\" ({referenceSource}) but next kernel {next.Release} accepts only \"{nextString}\".",
                $"On the update {consequence}.",
                component.Role == AbiRole.FileHandler
                    ? $"Close or unpreserve the {component.Name} files before updating, or pick a next kernel whose {component.Name} handler is \"{referenceString}\"."
                    : $"Pick a next kernel whose {component.Display} is \"{referenceString}\" (same ABI generation), or update through an intermediate kernel that speaks both."));
    }

    /// <summary>(string, where it came from, why unknown): "" when the reference definitely lacks it, null when unknown.</summary>
    private static (string? Value, string Source, string Why) ReferenceString(ReferenceKernel reference, AbiComponent component)
    {
        if (reference.Debugfs is { } debugfs)
        {
            string? written = component.Role switch { AbiRole.Kho => debugfs.KhoCompatible, AbiRole.Luo => debugfs.LuoCompatible, _ => null };
            if (written is not null) return (written, "as written to KHO, from debugfs", "");
        }
        if (ConfigOption(component) is { } option && reference.Config is { } config && !config.IsBuiltIn(option))
            return ("", $"its config has {option} {(config.Get(option) is { } v ? "=" + v : "not set")}", "");
        if (reference.Image is { } image && image.AbiStrings(component) is { } strings)
        {
            if (strings.Count == 1) return (strings[0], $"from {image.Path}", "");
            if (strings.Count == 0) return ("", $"no \"{component.Name}-vN\" string in {image.Path}", "");
            return (null, image.Path, $"{image.Path} contains several: {string.Join(", ", strings)}");
        }
        string why = reference.Image is { DecompressProblem: { } problem } ? problem : reference.ImageProblem ?? "no image to read";
        if (reference.IsRunningHost && reference.Debugfs is null) why += "; KHO debugfs is not mounted";
        return (null, "", why);
    }

    /// <summary>The Kconfig option that builds <paramref name="component"/> in, when known.</summary>
    private static string? ConfigOption(AbiComponent component) => component.Role switch
    {
        AbiRole.Kho => "CONFIG_KEXEC_HANDOVER",
        AbiRole.Luo => "CONFIG_LIVEUPDATE",
        _ when component.Name == "memfd" => "CONFIG_LIVEUPDATE_MEMFD",
        _ => null,
    };

    private static void CheckCommandLine(KernelImage next, string? commandLine, List<PreflightFinding> findings)
    {
        if (commandLine is null)
        {
            findings.Add(new(FindingSeverity.Warning, "cmdline-unknown",
                "The next kernel's command line was not given.",
                "Without kho=on and liveupdate=on on it the next kernel does not pick up the handover and all preserved state is lost.",
                "Pass the command line to check (--append \"...\" or --reuse-cmdline) and make sure it has kho=on liveupdate=on."));
            return;
        }
        var cmdline = new KernelCommandLine(commandLine);
        bool khoDefault = next.Config?.IsBuiltIn("CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT") == true;
        bool khoOff = cmdline.Get("kho") is not null && !cmdline.IsEnabled("kho");
        if (cmdline.IsEnabled("kho"))
            findings.Add(new(FindingSeverity.Ok, "cmdline-kho", "Next command line has kho=on.", "The next kernel will read the handover.", null));
        else if (khoOff)
            findings.Add(new(FindingSeverity.Error, "cmdline-kho", $"Next command line switches KHO off (kho={cmdline.Get("kho")}).",
                "The next kernel ignores the handover: all preserved state is lost.", "Replace it with kho=on."));
        else if (khoDefault)
            findings.Add(new(FindingSeverity.Ok, "cmdline-kho", "Next command line has no kho=; the next kernel enables KHO by default (CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT=y).",
                "The next kernel will read the handover.", null));
        else if (next.Config is null)
            findings.Add(new(FindingSeverity.Warning, "cmdline-kho", "Next command line lacks kho=on and whether the next kernel enables KHO by default is unknown (no embedded config).",
                "If it does not, the next kernel ignores the handover and all preserved state is lost.", "Add kho=on to the next command line."));
        else
            findings.Add(new(FindingSeverity.Error, "cmdline-kho", "Next command line lacks kho=on (and the next kernel does not enable KHO by default).",
                "The next kernel ignores the handover: all preserved state is lost.", "Add kho=on to the next command line (--append \"... kho=on liveupdate=on\")."));

        // LUO has no Kconfig default: luo_global.enabled starts false and only liveupdate= sets it (kernel/liveupdate/luo_core.c).
        findings.Add(cmdline.IsEnabled("liveupdate")
            ? new(FindingSeverity.Ok, "cmdline-liveupdate", "Next command line has liveupdate=on.", "LUO in the next kernel will restore the sessions.", null)
            : new(FindingSeverity.Error, "cmdline-liveupdate",
                cmdline.Get("liveupdate") is { } value ? $"Next command line has liveupdate={value}." : "Next command line lacks liveupdate=on.",
                "LUO is off by default in every kernel: the next kernel would not restore the sessions and /dev/liveupdate would be missing.",
                "Add liveupdate=on to the next command line."));

        if (cmdline.Get("kho_scratch") is { } scratch && KhoScratchParameter.TryParse(scratch) is null)
            findings.Add(new(FindingSeverity.Warning, "cmdline-kho-scratch", $"Next command line has kho_scratch={scratch}, which the kernel rejects.",
                "The kernel ignores it and keeps its default scratch size.", "Use kho_scratch=N% or kho_scratch=lowmem,global,pernode (e.g. 64M,512M,256M)."));
    }

    private static void CheckSignature(KernelImage next, ReferenceKernel reference, List<PreflightFinding> findings)
    {
        var config = reference.Config;
        if (config is null)
        {
            findings.Add(new(FindingSeverity.Warning, "kexec-config-unknown",
                $"The build options of {reference.Description} are unknown (no /proc/config.gz or embedded config).",
                "Whether it has kexec_file_load (CONFIG_KEXEC_FILE, required by KHO) and enforces kexec signatures (CONFIG_KEXEC_SIG_FORCE) cannot be checked.",
                "Enable CONFIG_IKCONFIG_PROC (or load the configs module) so /proc/config.gz exists."));
        }
        else if (!config.IsBuiltIn("CONFIG_KEXEC_FILE"))
        {
            findings.Add(new(FindingSeverity.Error, "kexec-file-missing", $"{reference.Description} is built without CONFIG_KEXEC_FILE.",
                "KHO loads the next kernel only through kexec_file_load: there is no way to start it with a handover.",
                "Boot a kernel built with CONFIG_KEXEC_FILE=y (and CONFIG_KEXEC_HANDOVER=y) first."));
        }

        bool sigForce = config?.IsBuiltIn("CONFIG_KEXEC_SIG_FORCE") == true;
        string? lockdown = reference.Lockdown;
        bool lockdownKnown = lockdown is not null;
        bool lockedDown = lockdown is "integrity" or "confidentiality";
        if (!reference.IsRunningHost)
        {
            findings.Add(new(FindingSeverity.Info, "lockdown-not-checked",
                "Kernel lockdown is a property of the host, not of an image: not checked in an offline pair check.",
                "Under lockdown an unsigned next kernel cannot be loaded.", "luod repeats this check on the host before every update."));
        }
        else if (!lockdownKnown && config?.IsBuiltIn("CONFIG_SECURITY_LOCKDOWN_LSM") != false)
        {
            findings.Add(new(FindingSeverity.Warning, "lockdown-unknown", "The lockdown mode cannot be read (/sys/kernel/security/lockdown is missing).",
                "Under lockdown (e.g. Secure Boot) kexec only loads signed kernels; an unsigned one fails to load.",
                "Mount securityfs (mount -t securityfs none /sys/kernel/security) and run the check again."));
        }

        // kernel/kexec_file.c: kimage_validate_signature() (built with CONFIG_KEXEC_SIG) rejects a bad or missing
        // signature when sig_enforce is set, or under lockdown unless IMA appraises the image.
        bool enforced = sigForce || (lockedDown && config?.IsBuiltIn("CONFIG_KEXEC_SIG") != false);
        if (enforced)
        {
            string reason = sigForce ? $"{reference.Description} is built with CONFIG_KEXEC_SIG_FORCE=y" : $"the kernel is locked down ({lockdown})";
            findings.Add(next.Image.HasSignature
                ? new(FindingSeverity.Warning, "signature-trust-unknown",
                    $"Kexec signature checks are enforced ({reason}); the next kernel is signed, but whether the key is trusted cannot be checked here.",
                    "A signature from a key outside the kernel's trusted keyrings makes kexec_file_load fail with EKEYREJECTED.",
                    "Make sure the image is signed by a key in the builtin, secondary or platform (UEFI db) keyring.")
                : new(FindingSeverity.Error, "unsigned-image",
                    $"Kexec signature checks are enforced ({reason}) but the next kernel {next.Path} is not signed.",
                    "kexec_file_load refuses an unsigned kernel (EKEYREJECTED / EPERM): the update cannot be started.",
                    "Use the signed build of this kernel (e.g. Debian's linux-image-*-amd64 rather than -unsigned) or sign it with sbsign using a trusted key."));
        }
        else if (reference.IsRunningHost && lockdownKnown && config is not null)
        {
            findings.Add(new(FindingSeverity.Ok, "signature", $"Kexec signatures are not enforced (lockdown {lockdown}, no CONFIG_KEXEC_SIG_FORCE{(config.IsBuiltIn("CONFIG_KEXEC_SIG") ? "" : ", no CONFIG_KEXEC_SIG")}); next kernel is {(next.Image.HasSignature ? "signed" : "unsigned")}.",
                "kexec_file_load will accept the image.", null));
        }
    }

    private static void CheckScratch(KernelImage next, ReferenceKernel reference, PreflightRequest request, List<PreflightFinding> findings)
    {
        if (!reference.IsRunningHost)
        {
            findings.Add(new(FindingSeverity.Info, "scratch-not-checked",
                "KHO scratch memory is a property of the host: not checked in an offline pair check.",
                "The next kernel and initrd are loaded into the scratch areas; too little scratch makes the load fail.",
                "luod repeats this check on the host before every update."));
            return;
        }

        long initrdBytes = 0;
        if (request.Initrd is { } initrd)
        {
            if (File.Exists(initrd)) initrdBytes = new FileInfo(initrd).Length;
            else findings.Add(new(FindingSeverity.Error, "initrd-missing", $"Initrd {initrd} does not exist.", "The kexec load would fail.", "Pass an existing initrd file."));
        }
        ulong needed = next.Image.InitSize + (ulong)next.Image.Bytes.Length + (ulong)initrdBytes;

        ulong? scratch = null;
        string source = "";
        if (reference.Debugfs is { ScratchSizes.Count: > 0 } debugfs)
        {
            scratch = debugfs.ScratchTotal;
            source = $"{debugfs.ScratchSizes.Count} areas in KHO debugfs";
        }
        else if (reference.CommandLine?.Get("kho_scratch") is { } value && KhoScratchParameter.TryParse(value)?.ExplicitTotal(reference.NumaNodes) is { } total)
        {
            scratch = total;
            source = $"kho_scratch={value} on the running command line, {reference.NumaNodes} NUMA node(s)";
        }

        if (scratch is not { } size)
        {
            findings.Add(new(FindingSeverity.Warning, "scratch-unknown",
                "The size of the KHO scratch areas cannot be determined (KHO debugfs not mounted, and kho_scratch= scales with boot-time reservations, by default 200%).",
                $"The next kernel ({next.Image.InitSize / 1048576} MiB to start) and initrd must fit in scratch; if they do not, the load fails.",
                "Mount debugfs (mount -t debugfs none /sys/kernel/debug) so kho/out/scratch_len can be read, or set explicit sizes with kho_scratch=lowmem,global,pernode."));
            return;
        }
        string sizes = $"{size / 1048576} MiB of scratch ({source})";
        if (size < needed)
        {
            findings.Add(new(FindingSeverity.Error, "scratch-too-small",
                $"{sizes} is less than the {needed / 1048576} MiB the next kernel and initrd need.",
                "kexec loads the next kernel into scratch: the load fails, or the next kernel runs out of memory before its page allocator starts.",
                "Reboot the current kernel (cold boot) with a larger kho_scratch=, e.g. kho_scratch=64M,512M,256M, or use a smaller initrd."));
        }
        else if (reference.MemTotalBytes is { } memTotal && size > memTotal / 2)
        {
            findings.Add(new(FindingSeverity.Warning, "scratch-large",
                $"{sizes} is more than half of MemTotal ({memTotal / 1048576} MiB).",
                "Scratch is held as CMA in every kernel of the chain; that much leaves little room for unmovable allocations.",
                "Lower kho_scratch= on the next cold boot."));
        }
        else
        {
            findings.Add(new(FindingSeverity.Ok, "scratch", $"{sizes}, enough for the next kernel and initrd ({needed / 1048576} MiB).",
                "The next kernel can be loaded and started in scratch.", null));
        }
    }
}
