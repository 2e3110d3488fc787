// FakeKhoDebugfs: a temporary directory laid out like /sys/kernel/debug/kho (out/, in/,
// sub_fdts/, scratch files) plus the mount table, command line and release KhoStateReader
// consults, so the reader runs on the host against captured or built blobs.
using LiveUpdate.Kernel.Handover;

namespace LiveUpdate.Kernel.Tests.Handover;

public sealed class FakeKhoDebugfs : IDisposable
{
    public FakeKhoDebugfs(string release = "7.2.13", string commandLine = "console=ttyS0 kho=on liveupdate=on", bool mounted = true)
    {
        Root = Directory.CreateTempSubdirectory("kho-debugfs-").FullName;
        Directory.CreateDirectory(Path.Combine(Root, "debug"));
        File.WriteAllText(Path.Combine(Root, "mounts"), mounted ? $"debugfs {Path.Combine(Root, "debug")} debugfs rw 0 0\n" : "proc /proc proc rw 0 0\n");
        File.WriteAllText(Path.Combine(Root, "cmdline"), commandLine + "\n");
        File.WriteAllText(Path.Combine(Root, "osrelease"), release + "\n");
    }

    public string Root { get; }

    public KhoStatePaths Paths => new(
        KhoDebugfs: Path.Combine(Root, "debug", "kho"), DebugfsRoot: Path.Combine(Root, "debug"), Mounts: Path.Combine(Root, "mounts"),
        CommandLine: Path.Combine(Root, "cmdline"), Config: Path.Combine(Root, "config.gz"), OsRelease: Path.Combine(Root, "osrelease"));

    /// <summary>Writes kho/<paramref name="relative"/> (e.g. "out/fdt", "in/sub_fdts/LUO").</summary>
    public FakeKhoDebugfs File_(string relative, byte[] content)
    {
        string path = Path.Combine(Root, "debug", "kho", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return this;
    }

    public FakeKhoDebugfs Text(string relative, string content) => File_(relative, System.Text.Encoding.ASCII.GetBytes(content));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
