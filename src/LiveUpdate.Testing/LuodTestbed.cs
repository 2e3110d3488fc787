// LuodTestbed: one simulated machine for luod's and the SDK's tests — a fake /dev/liveupdate,
// luod's options with the custody record in a temporary /run, and registries started over it
// (a luod restart within the boot, or after SimulateKexec a luod in the next kernel).
using System.Security.Cryptography;
using LiveUpdate.Kernel;
using Microsoft.Extensions.Logging.Abstractions;
using LiveUpdate.Daemon;

namespace LiveUpdate.Testing;

/// <summary>
/// One simulated machine: a fake /dev/liveupdate, luod's options with its socket and custody
/// record in a temporary /run, and luod session registries started over them (a luod restart
/// within the boot, or after <see cref="Kexec"/> the luod of the next kernel).
/// </summary>
public sealed class LuodTestbed : IDisposable
{
    private readonly List<SessionRegistry> _registries = [];

    /// <summary>A fresh machine in a new temporary directory; <paramref name="configure"/> adjusts luod's options.</summary>
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

    /// <summary>The machine's temporary directory (deleted on Dispose).</summary>
    public string Directory { get; }

    /// <summary>The options every luod of this machine runs with.</summary>
    public LuodOptions Options { get; }

    /// <summary>The machine's /dev/liveupdate.</summary>
    public FakeLiveUpdateBackend Backend { get; } = new();

    /// <summary>The peer credentials of a client process running as <paramref name="uid"/>.</summary>
    public static PeerCredentials User(uint uid) => new(4242, uid, uid);

    /// <summary>
    /// A luod starting now: a new registry over the same device, Start()ed — with systemd's fd
    /// store when <paramref name="fdStore"/> is given, receiving what it passes back.
    /// </summary>
    /// <remarks><paramref name="testHold"/>: a test-only fault point the registry's start-up holds at (LuodTestHold).</remarks>
    public SessionRegistry StartRegistry(FakeSystemdFdStore? fdStore = null, LuodTestHold? testHold = null)
    {
        IFileDescriptorStore store = fdStore is null
            ? NoFileDescriptorStore.Instance
            : new SystemdFileDescriptorStore(fdStore.SocketPath, 64, NullLogger.Instance);
        var registry = new SessionRegistry(Backend, Options, NullLogger.Instance, "7.2.0-test", store) { TestHold = testHold ?? LuodTestHold.Off };
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
        ForgetRun();
        return StartRegistry();
    }

    /// <summary>
    /// `systemctl kexec` under systemd >= 261: <paramref name="running"/> is stopped (its fds
    /// close; <paramref name="systemd"/>'s copies keep the sessions), systemd carries its fd store
    /// across the kexec, and the next kernel's luod starts with what PID 1 passes back (/run is
    /// empty again). Returns that luod and the FDNAMEs that did not survive.
    /// </summary>
    public (SessionRegistry Next, IReadOnlyList<string> Lost) KexecThroughSystemd(SessionRegistry running, FakeSystemdFdStore systemd)
    {
        running.Dispose();
        var lost = systemd.KexecThroughSystemd(Backend);
        ForgetRun();
        return (StartRegistry(systemd), lost);
    }

    /// <summary>The next kernel's /run is a fresh tmpfs: luod's custody record and staged-kernel note are gone.</summary>
    private void ForgetRun()
    {
        File.Delete(Options.CustodyRecordPath);
        File.Delete(StagedKernelMark.PathBeside(Options.CustodyRecordPath));
    }

    /// <summary>A new memfd holding <paramref name="bytes"/>; the caller owns it.</summary>
    public static MemFd MemFdWith(byte[] bytes)
    {
        var memfd = MemFd.Create("luod-test");
        memfd.Write(bytes, 0);
        return memfd;
    }

    /// <summary>Every byte of <paramref name="memfd"/>; throws <see cref="IOException"/> on a short read.</summary>
    public static byte[] Contents(MemFd memfd)
    {
        byte[] bytes = new byte[memfd.Size];
        int read = memfd.Read(bytes, 0);
        if (read != bytes.Length) throw new IOException($"read {read} of the memfd's {bytes.Length} bytes");
        return bytes;
    }

    /// <summary>The SHA-256 of <paramref name="bytes"/>.</summary>
    public static byte[] Sha256(byte[] bytes) => SHA256.HashData(bytes);

    /// <summary>Stops every registry started here, drops the fake device and deletes <see cref="Directory"/>.</summary>
    public void Dispose()
    {
        foreach (var registry in _registries) registry.Dispose();
        Backend.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
