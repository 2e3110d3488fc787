// QemuLaunch: the parameters of one QEMU boot and the exact argument list they become
// (TCG, serial ttyS0 → console.log, ttyS1 → results.jsonl, -no-reboot so a guest reboot ends it).
namespace LiveUpdate.VmHarness;

public sealed record QemuLaunch(string BzImage, string Initramfs, string CommandLine, string ConsoleLog, string ResultsLog)
{
    public const string Executable = "qemu-system-x86_64";
    public const int DefaultMemoryMiB = 3072;

    public int MemoryMiB { get; init; } = DefaultMemoryMiB;

    public int Cpus { get; init; } = 2;

    public IReadOnlyList<string> Arguments =>
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
