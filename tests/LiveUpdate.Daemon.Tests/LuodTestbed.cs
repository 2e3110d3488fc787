// LuodTestbed: one simulated machine for registry tests — a fake /dev/liveupdate, luod's
// options with the custody record in a temporary /run, and registries started over it
// (a luod restart within the boot, or after SimulateKexec a luod in the next kernel).
using System.Security.Cryptography;
using LiveUpdate.Kernel;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveUpdate.Daemon.Tests;

internal sealed class LuodTestbed : IDisposable
{
    private readonly List<SessionRegistry> _registries = [];

    public LuodTestbed(Action<LuodOptions>? configure = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"luod-test-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        Options = new LuodOptions
        {
            CustodyRecordPath = Path.Combine(Directory, "run", "custody.json"),
            SocketPath = Path.Combine(Directory, "run", "io.liveupdate"),
        };
        configure?.Invoke(Options);
    }

    public string Directory { get; }

    public LuodOptions Options { get; }

    public FakeLiveUpdateBackend Backend { get; } = new();

    public static PeerCredentials User(uint uid) => new(4242, uid, uid);

    /// <summary>
    /// A luod starting now: a new registry over the same device, Start()ed — with systemd's fd
    /// store when <paramref name="fdStore"/> is given, receiving what it passes back.
    /// </summary>
    public SessionRegistry StartRegistry(FakeSystemdFdStore? fdStore = null)
    {
        IFileDescriptorStore store = fdStore is null
            ? NoFileDescriptorStore.Instance
            : new SystemdFileDescriptorStore(fdStore.SocketPath, 64, NullLogger.Instance);
        var registry = new SessionRegistry(Backend, Options, NullLogger.Instance, "7.2.0-test", store);
        _registries.Add(registry);
        registry.Start(fdStore?.PassToRestartedService());
        return registry;
    }

    /// <summary>
    /// Reboots into the next kernel with <paramref name="running"/> holding its sessions to the
    /// end; /run is a fresh tmpfs there, so the custody record is gone. Returns the next luod.
    /// </summary>
    public SessionRegistry Kexec(SessionRegistry running)
    {
        Backend.SimulateKexec();
        running.Dispose();
        File.Delete(Options.CustodyRecordPath);
        return StartRegistry();
    }

    public static MemFd MemFdWith(byte[] bytes)
    {
        var memfd = MemFd.Create("luod-test");
        memfd.Write(bytes, 0);
        return memfd;
    }

    public static byte[] Contents(MemFd memfd)
    {
        byte[] bytes = new byte[memfd.Size];
        Assert.Equal(bytes.Length, memfd.Read(bytes, 0));
        return bytes;
    }

    public static byte[] Sha256(byte[] bytes) => SHA256.HashData(bytes);

    public void Dispose()
    {
        foreach (var registry in _registries) registry.Dispose();
        Backend.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
