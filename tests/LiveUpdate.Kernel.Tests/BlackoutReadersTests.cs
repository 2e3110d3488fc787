// BlackoutReadersTests: the kernel boundary's readers behind `luoctl advise` — printk levels,
// /proc/consoles, shmem_enabled, /proc/meminfo and bound devices — on the formats the kernel
// writes (and on this host's own files, which must parse).
namespace LiveUpdate.Kernel.Tests;

public sealed class BlackoutReadersTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("blackout-readers-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void PrintkLevelsAreFourNumbers()
    {
        Assert.Equal(new ConsoleLogLevel(7, 4, 1, 7), ConsoleLogLevel.TryParse("7\t4\t1\t7\n"));
        Assert.Null(ConsoleLogLevel.TryParse("7 4 1"));
        Assert.Null(ConsoleLogLevel.TryParse("a b c d"));
        if (File.Exists(ConsoleLogLevel.ProcPath)) Assert.NotNull(ConsoleLogLevel.TryReadRunning());
    }

    [Fact]
    public void ConsolesAreListedWithTheirEnabledFlag()
    {
        var consoles = ActiveConsoles.Parse("ttyS0                -W- (EC  p a)    4:64\ntty0                 -WU (   p  )    4:1\n");
        Assert.Equal([new ActiveConsole("ttyS0", true), new ActiveConsole("tty0", false)], consoles);
        Assert.True(consoles[0].IsSerial);
        Assert.False(consoles[1].IsSerial);
    }

    [Fact]
    public void ShmemPolicyIsTheBracketedWord()
    {
        Assert.Equal(ShmemHugePages.Never, ShmemHugePagePolicy.TryParse("always within_size advise [never] deny force\n"));
        Assert.Equal(ShmemHugePages.WithinSize, ShmemHugePagePolicy.TryParse("always [within_size] advise never deny force"));
        Assert.Null(ShmemHugePagePolicy.TryParse("always never"));
        Assert.Equal("within_size", ShmemHugePagePolicy.SysfsValue(ShmemHugePages.WithinSize));
        if (File.Exists(ShmemHugePagePolicy.SysfsPath)) Assert.NotNull(ShmemHugePagePolicy.TryReadRunning());
    }

    [Fact]
    public void MeminfoFieldsAreBytes()
    {
        var info = MemoryInfo.Parse("MemTotal:        3063112 kB\nShmemHugePages:     2048 kB\nHugePages_Total:       0\n");
        Assert.Equal(3063112UL * 1024, info.Bytes("MemTotal"));
        Assert.Equal(2048UL * 1024, info.Bytes("ShmemHugePages"));
        Assert.Equal(0UL, info.Bytes("HugePages_Total"));
        Assert.Null(info.Bytes("Absent"));
        Assert.NotNull(MemoryInfo.TryReadRunning()?.Bytes("MemTotal"));
    }

    [Fact]
    public void BoundDevicesAreThoseWithADriverLink()
    {
        string bus = Path.Combine(_root, "pci");
        Directory.CreateDirectory(Path.Combine(bus, "drivers", "virtio-pci"));
        foreach (string device in new[] { "0000:00:01.0", "0000:00:02.0" })
            Directory.CreateDirectory(Path.Combine(bus, "devices", device));
        File.CreateSymbolicLink(Path.Combine(bus, "devices", "0000:00:01.0", "driver"), "../../drivers/virtio-pci");
        Directory.CreateDirectory(Path.Combine(_root, "empty"));

        var devices = BoundDevices.ReadRunning(_root);

        Assert.Equal([new BoundDevice("pci", "0000:00:01.0", "virtio-pci")], devices);
        Assert.Empty(BoundDevices.ReadRunning(Path.Combine(_root, "absent")));
    }
}
