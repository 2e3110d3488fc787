// LuodOptions: luod's configuration (command line, environment LUOD_*, or a JSON file),
// with the defaults an operator expects from a system daemon.
namespace LiveUpdate.Daemon;

public enum OrphanPolicy
{
    /// <summary>Keep unclaimed sessions preserved in this boot (an owner may still claim them); the kernel drops them at the next live update.</summary>
    Keep,

    /// <summary>Finish unclaimed sessions after the grace period, releasing their memory.</summary>
    Finish,
}

/// <summary>Who performs the kexec at the end of an update (docs/protocol.md, "luod and systemd share /dev/liveupdate").</summary>
public enum RebootBy
{
    /// <summary>systemd when it started luod, gives it an fd store and is v261 or later (it then carries that store across the kexec); else luod.</summary>
    Auto,

    /// <summary>luod calls reboot(LINUX_REBOOT_CMD_KEXEC) itself.</summary>
    Luod,

    /// <summary>luod asks PID 1 for kexec.target (as `systemctl kexec` does): systemd stops every unit, then kexecs.</summary>
    Systemd,
}

public sealed class LuodOptions
{
    public string SocketPath { get; set; } = "/run/luod/io.liveupdate";

    public string DevicePath { get; set; } = Kernel.LiveUpdateDevice.DefaultPath;

    /// <summary>Small record of what luod holds, to notice custody lost after a crash. Lives on tmpfs.</summary>
    public string CustodyRecordPath { get; set; } = "/run/luod/custody.json";

    /// <summary>Uids allowed to connect besides root; empty means any uid.</summary>
    public List<uint> AllowedUids { get; set; } = [];

    /// <summary>Gids whose members may connect (primary gid of the peer); empty means any.</summary>
    public List<uint> AllowedGids { get; set; } = [];

    /// <summary>Bytes one owner may have preserved in managed sessions; 0 = unlimited.</summary>
    public long QuotaBytesPerOwner { get; set; }

    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromMinutes(5);

    public OrphanPolicy OrphanPolicy { get; set; } = OrphanPolicy.Keep;

    /// <summary>Who performs the final kexec of an update (Auto: systemd when it can carry luod's fd store across it).</summary>
    public RebootBy RebootBy { get; set; } = RebootBy.Auto;

    /// <summary>File mode of the socket (octal text).</summary>
    public string SocketMode { get; set; } = "0666";

    /// <summary>
    /// Where luod serves its metrics as OpenMetrics (GET /metrics, docs/telemetry.md "Metrics"): "HOST:PORT"
    /// ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464") or "unix:/run/luod/metrics.sock". Empty (the default): not served.
    /// </summary>
    public string MetricsListen { get; set; } = "";

    /// <summary>KHO's debugfs directory, where luod reads the kernel's kexec-metadata (the kexec count) for its metrics.</summary>
    public string KhoDebugfsPath { get; set; } = Kernel.KexecMetadata.DefaultKhoDebugfsPath;
}
