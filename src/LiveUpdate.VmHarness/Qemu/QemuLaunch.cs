// QemuLaunch: the parameters of one QEMU boot and the exact argument list they become
// (TCG, serial ttyS0 → console.log, ttyS1 → results.jsonl, -no-reboot so a guest reboot ends it;
// optionally a virtio NIC with host port forwards and a virtio disk).
namespace LiveUpdate.VmHarness.Qemu;

public sealed record QemuLaunch(string BzImage, string Initramfs, string CommandLine, string ConsoleLog, string ResultsLog)
{
    public const string Executable = "qemu-system-x86_64";
    public const int DefaultMemoryMiB = 3072;

    public int MemoryMiB { get; init; } = DefaultMemoryMiB;

    public int Cpus { get; init; } = 2;

    /// <summary>Guest TCP ports reachable from the host; any forward adds a virtio-net NIC on QEMU's user-mode network.</summary>
    public IReadOnlyList<PortForward> Forwards { get; init; } = [];

    /// <summary>A raw disk image attached as virtio disk /dev/vda (writeback cache: guest flushes reach the host file).</summary>
    public string? DiskImage { get; init; }

    /// <summary>
    /// The systemd scenarios' Debian root, attached first (/dev/vda) with snapshot=on: the guest
    /// writes to it across its kexecs (one QEMU process), and the cached image stays unchanged.
    /// </summary>
    public string? RootDisk { get; init; }

    /// <summary>A read-only raw image attached after <see cref="DiskImage"/> (/dev/vdb with one, else /dev/vda): a shared, cached payload such as vm-update's QEMU.</summary>
    public string? PayloadDisk { get; init; }

    public IReadOnlyList<string> Arguments => [.. BaseArguments, .. NetworkArguments, .. DiskArguments];

    private IReadOnlyList<string> NetworkArguments => Forwards.Count == 0
        ? []
        : ["-netdev", "user,id=net0," + string.Join(',', Forwards.Select(f => f.HostFwd)), "-device", "virtio-net-pci,netdev=net0"];

    private IReadOnlyList<string> DiskArguments =>
    [
        .. RootDisk is null ? [] : new[] { "-drive", $"file={RootDisk},if=virtio,format=raw,snapshot=on" },
        .. DiskImage is null ? [] : new[] { "-drive", $"file={DiskImage},if=virtio,format=raw,cache=writeback" },
        .. PayloadDisk is null ? [] : new[] { "-drive", $"file={PayloadDisk},if=virtio,format=raw,readonly=on" },
    ];

    private IReadOnlyList<string> BaseArguments =>
    [
        "-accel", "tcg,thread=multi",
        "-cpu", "max",
        "-smp", Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-m", MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // -nographic only sets defaults; the explicit -serial/-monitor below replace its stdio muxing.
        "-nographic",
        "-no-reboot",
        "-display", "none",
        "-monitor", "none",
        "-kernel", BzImage,
        "-initrd", Initramfs,
        "-append", CommandLine,
        "-serial", "file:" + ConsoleLog,
        "-serial", "file:" + ResultsLog,
    ];
}
