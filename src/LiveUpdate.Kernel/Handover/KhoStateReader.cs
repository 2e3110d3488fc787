// KhoStateReader: reads KHO's debugfs view (kernel/liveupdate/kexec_handover_debugfs.c) into a
// KhoState — kho/out/{fdt, scratch_phys, scratch_len, sub_fdts/*} and, after a KHO boot,
// kho/in/{fdt, sub_fdts/*}. Subtrees are the union of the root FDT's children and the
// sub_fdts/ files: the debugfs out/fdt file is sized when KHO initialises (fs_initcall), so
// subtrees added later (LUO's, at late_initcall) can leave it shorter than the tree's
// totalsize, and a kernel booted by KHO does not expose out/fdt at all (kho_init returns
// before adding it); sub_fdts/ still names every subtree. When kho/ is missing the error
// says why: debugfs not mounted, KHO off, no CONFIG_KEXEC_HANDOVER_DEBUGFS, or not root.
using System.Globalization;

namespace LiveUpdate.Kernel.Handover;

public static class KhoStateReader
{
    public const string KnownKhoCompatible = "kho-v4";
    public const string MemoryMapProperty = "preserved-memory-map";
    public const string SubtreeAddressProperty = "preserved-data";
    public const string SubtreeSizeProperty = "blob-size";

    public static async Task<KhoState> ReadAsync(KhoStatePaths? paths = null, CancellationToken cancellation = default)
    {
        paths ??= new KhoStatePaths();
        if (!Directory.Exists(paths.KhoDebugfs)) throw Unavailable(paths);

        string release = File.Exists(paths.OsRelease) ? (await File.ReadAllTextAsync(paths.OsRelease, cancellation)).Trim() : "unknown";
        var outgoing = await ReadDirectionAsync(Path.Combine(paths.KhoDebugfs, "out"), withScratch: true, cancellation);
        string inDirectory = Path.Combine(paths.KhoDebugfs, "in");
        var incoming = Directory.Exists(inDirectory) ? await ReadDirectionAsync(inDirectory, withScratch: false, cancellation) : null;
        var previous = incoming?.Subtree(KexecChainMetadata.SubtreeName)?.KexecMetadata;

        var notes = new List<string>
        {
            "LUO's sessions, their files and memfd folio lists, and KHO's preserved-memory radix tree live in preserved " +
            "physical pages at the addresses shown; no debugfs file exposes them, so userspace sees only the addresses and sizes.",
        };
        if (outgoing.Subtree(LuoStateHeader.SubtreeName)?.Luo is { SessionsPhysicalAddress: 0 })
            notes.Add("Outgoing LUO sessions_pa is 0 until the reboot serializes the sessions (liveupdate_reboot → luo_session_serialize).");
        if (incoming is null)
            notes.Add("No kho/in: this boot was not started by a KHO kexec (cold boot, or the previous kernel handed nothing over).");
        return new KhoState(paths.KhoDebugfs, release, incoming is not null, outgoing, incoming, previous, notes);
    }

    /// <summary>
    /// Why kho/in/sub_fdts/LUO does not show the handover: luo_early_startup reads struct luo_ser at
    /// boot and frees its page (kho_restore_free), but the debugfs blob keeps pointing at it (seen
    /// on 7.2 → 7.3: x86 code where "luo-v5" was).
    /// </summary>
    public const string IncomingLuoFreed =
        "the kernel frees the incoming LUO header once it has read it at boot (luo_early_startup → kho_restore_free) while debugfs " +
        "still points at that page, so these bytes are whatever reused it, not the handover; the outgoing LUO's liveUpdateNumber is the incoming one + 1";

    private static async Task<KhoDirectionState> ReadDirectionAsync(string directory, bool withScratch, CancellationToken cancellation)
    {
        string fdtPath = Path.Combine(directory, "fdt");
        byte[]? fdtBlob = await ReadBlobAsync(fdtPath, cancellation);
        FlattenedDeviceTree? tree = null;
        string? fdtProblem = null;
        if (fdtBlob is null)
            fdtProblem = $"{fdtPath} does not exist: a kernel booted by KHO does not expose its outgoing root FDT in debugfs " +
                "(kho_init returns before adding it); the subtrees below are listed from sub_fdts/";
        else
        {
            try { tree = FlattenedDeviceTree.Parse(fdtBlob); }
            catch (HandoverFormatException error)
            {
                fdtProblem = error.Message + (fdtBlob.Length >= 8 && FlattenedDeviceTree.LooksLikeFdt(fdtBlob)
                    ? "; debugfs sized this file when KHO initialised, so subtrees added later can make the tree outgrow it — the subtrees below are listed from sub_fdts/"
                    : "");
            }
        }

        var subtreeDirectory = Path.Combine(directory, "sub_fdts");
        var files = Directory.Exists(subtreeDirectory)
            ? Directory.GetFiles(subtreeDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];
        var subtrees = new List<KhoSubtree>();
        var otherRoot = new List<FdtProperty>();
        string? compatible = null;
        ulong? memoryMap = null;
        if (tree is not null)
        {
            foreach (var property in tree.Root.Properties)
            {
                if (property.Name == "compatible" && property.Strings is { } strings) compatible = strings[0];
                else if (property.Name == MemoryMapProperty && property.NativeUInt64 is { } address) memoryMap = address;
                else otherRoot.Add(property);
            }
            foreach (var node in tree.Root.Children)
            {
                ulong? address = node.Property(SubtreeAddressProperty)?.NativeUInt64;
                ulong? size = node.Property(SubtreeSizeProperty)?.NativeUInt64;
                var others = node.Properties.Where(p => p.Name is not SubtreeAddressProperty and not SubtreeSizeProperty).ToList();
                byte[]? blob = files.Contains(node.Name) ? await ReadBlobAsync(Path.Combine(subtreeDirectory, node.Name), cancellation) : null;
                subtrees.Add(KhoSubtreeDecoder.Decode(node.Name, address, size, blob, others,
                    address is null ? "the node has no 8-byte preserved-data property: not a blob the kernel exposes" : null));
            }
        }
        foreach (string name in files.Where(f => subtrees.All(s => s.Name != f)))
            subtrees.Add(KhoSubtreeDecoder.Decode(name, null, null, await ReadBlobAsync(Path.Combine(subtreeDirectory, name), cancellation), []));

        if (!withScratch)
            subtrees = subtrees.Select(s => s.Name != LuoStateHeader.SubtreeName ? s
                : s with { Problem = s.Problem is null ? IncomingLuoFreed : $"{s.Problem}; {IncomingLuoFreed}" }).ToList();

        IReadOnlyList<KhoScratchArea> scratch = [];
        string? scratchProblem = null;
        if (withScratch)
        {
            try { scratch = await ReadScratchAsync(directory, cancellation); }
            catch (HandoverFormatException error) { scratchProblem = error.Message; }
        }
        return new KhoDirectionState(directory, fdtBlob?.Length, tree?.TotalSize, compatible,
            compatible is null ? null : compatible == KnownKhoCompatible, memoryMap, otherRoot,
            tree?.Reservations ?? [], fdtProblem, scratch, scratchProblem, subtrees);
    }

    /// <summary>Pairs scratch_phys with scratch_len (one "0x…" line per area each).</summary>
    public static IReadOnlyList<KhoScratchArea> ParseScratch(string physText, string lengthText)
    {
        var addresses = ParseHexLines(physText, "scratch_phys");
        var lengths = ParseHexLines(lengthText, "scratch_len");
        if (addresses.Count != lengths.Count)
            throw new HandoverFormatException("scratch areas", 0, $"scratch_phys lists {addresses.Count} areas but scratch_len {lengths.Count}");
        return addresses.Select((address, i) => new KhoScratchArea(i, address, lengths[i])).ToList();
    }

    private static async Task<IReadOnlyList<KhoScratchArea>> ReadScratchAsync(string directory, CancellationToken cancellation)
    {
        string phys = Path.Combine(directory, "scratch_phys"), length = Path.Combine(directory, "scratch_len");
        if (!File.Exists(phys) || !File.Exists(length))
            throw new HandoverFormatException("scratch areas", 0, $"{phys} or {length} does not exist");
        return ParseScratch(await File.ReadAllTextAsync(phys, cancellation), await File.ReadAllTextAsync(length, cancellation));
    }

    private static List<ulong> ParseHexLines(string text, string file)
    {
        var values = new List<ulong>();
        int line = 0;
        foreach (string raw in text.Split('\n'))
        {
            line++;
            string word = raw.Trim();
            if (word.Length == 0) continue;
            if (!word.StartsWith("0x", StringComparison.Ordinal)
                || !ulong.TryParse(word.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value))
                throw new HandoverFormatException(file, line, $"line {line} '{word}' is not a 0x-prefixed hex number");
            values.Add(value);
        }
        return values;
    }

    private static async Task<byte[]?> ReadBlobAsync(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) return null;
        try { return await File.ReadAllBytesAsync(path, cancellation); }
        catch (UnauthorizedAccessException)
        {
            throw new HandoverStateUnavailableException(HandoverStateUnavailableReason.PermissionDenied,
                $"{path} is readable by root only (debugfs mode 0400): run luoctl kho as root");
        }
    }

    private static HandoverStateUnavailableException Unavailable(KhoStatePaths paths)
    {
        bool mounted = File.Exists(paths.Mounts) && File.ReadLines(paths.Mounts)
            .Select(line => line.Split(' '))
            .Any(fields => fields.Length > 2 && fields[1] == paths.DebugfsRoot && fields[2] == "debugfs");
        if (!mounted)
            return new(HandoverStateUnavailableReason.DebugfsNotMounted,
                $"debugfs is not mounted on {paths.DebugfsRoot}, where KHO shows its state: mount it (mount -t debugfs none {paths.DebugfsRoot}); " +
                "the kernel needs CONFIG_DEBUG_FS and CONFIG_KEXEC_HANDOVER_DEBUGFS");
        try { _ = Directory.GetFileSystemEntries(paths.DebugfsRoot); }
        catch (UnauthorizedAccessException)
        {
            return new(HandoverStateUnavailableReason.PermissionDenied,
                $"{paths.DebugfsRoot} is readable by root only: run luoctl kho as root");
        }
        var commandLine = File.Exists(paths.CommandLine) ? KernelCommandLine.Current(paths.CommandLine) : new KernelCommandLine("");
        KernelConfig? config = null;
        try { config = KernelConfig.TryReadRunning(paths.Config); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { }
        if (config is not null && !config.IsBuiltIn("CONFIG_KEXEC_HANDOVER"))
            return new(HandoverStateUnavailableReason.KhoDisabled,
                "this kernel is built without KHO (CONFIG_KEXEC_HANDOVER is not set): boot a kernel built with CONFIG_KEXEC_HANDOVER=y and CONFIG_KEXEC_HANDOVER_DEBUGFS=y");
        string? kho = commandLine.Get("kho");
        bool enabledByDefault = config?.IsBuiltIn("CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT") ?? false;
        if ((kho is not null && !commandLine.IsEnabled("kho")) || (kho is null && !enabledByDefault))
            return new(HandoverStateUnavailableReason.KhoDisabled,
                $"KHO is off in this boot ({(kho is null ? "no kho= on the command line and CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT is not set" : $"kho={kho} on the command line")}): " +
                "boot with kho=on (and liveupdate=on for LUO)");
        if (config is not null && !config.IsBuiltIn("CONFIG_KEXEC_HANDOVER_DEBUGFS"))
            return new(HandoverStateUnavailableReason.DebugfsInterfaceMissing,
                "this kernel is built without CONFIG_KEXEC_HANDOVER_DEBUGFS, so KHO shows nothing in debugfs: rebuild with CONFIG_KEXEC_HANDOVER_DEBUGFS=y");
        return new(HandoverStateUnavailableReason.DebugfsInterfaceMissing,
            $"{paths.KhoDebugfs} does not exist although debugfs is mounted and KHO is on: the kernel lacks CONFIG_KEXEC_HANDOVER_DEBUGFS " +
            "or KHO failed to initialise (look for 'KHO' in dmesg)");
    }
}
