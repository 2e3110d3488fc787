// SystemdDescription: what luod learns about the service manager (PID 1) over D-Bus — its
// version, which decides whether systemd carries luod's fd store across `systemctl kexec`
// through LUO (v261 and later: FileDescriptorStorePreserve= entries go to systemd-shutdown,
// which preserves them in the LUO session "systemd"), and, from v262, how many kexecs this
// manager's lineage went through (Manager.KExecCount in 262.1, restored from that session's
// "kexecsCount") and the previous boot's shutdown timestamps it keeps across the kexec
// (Manager.PreviousShutdown{Start,Finish,LateStart,LateFinish}Timestamp, CLOCK_REALTIME µs).
// The names are systemd's own (src/core/luo.c, src/core/varlink-metrics.c); an older
// manager lacks them, so they are null.
namespace LiveUpdate.Daemon.Systemd;

public sealed record SystemdDescription
{
    /// <summary>The first systemd whose PID 1 hands unit fd stores across a kexec through LUO.</summary>
    public const int FirstLuoHandoverVersion = 261;

    /// <summary>Manager.Version as systemd reports it, e.g. "261", "262.1-1" or "v262-rc1-12-gabcdef".</summary>
    public required string Version { get; init; }

    /// <summary>Manager.KExecCount (v262+): kexecs since the last cold boot, null when the manager lacks it.</summary>
    public uint? KexecsCount { get; init; }

    /// <summary>Manager.PreviousShutdownStartTimestamp (v262+): when the previous boot began stopping units.</summary>
    public ulong? PreviousShutdownStartUsec { get; init; }

    /// <summary>Manager.PreviousShutdownFinishTimestamp (v262+): when every unit of the previous boot had stopped.</summary>
    public ulong? PreviousShutdownFinishUsec { get; init; }

    /// <summary>Manager.PreviousShutdownLateStartTimestamp (v262+): when the previous boot's systemd-shutdown began.</summary>
    public ulong? PreviousShutdownLateStartUsec { get; init; }

    /// <summary>Manager.PreviousShutdownLateFinishTimestamp (v262+): when that systemd-shutdown was about to kexec.</summary>
    public ulong? PreviousShutdownLateFinishUsec { get; init; }

    /// <summary>The version's leading number (261 of "261.3-1", of "v261-rc2"), or null when it has none.</summary>
    public int? MajorVersion => ParseMajor(Version);

    /// <summary>True when this manager carries preserved fd stores across `systemctl kexec` (v261+).</summary>
    public bool HandsFdStoresOverKexec => MajorVersion >= FirstLuoHandoverVersion;

    public static int? ParseMajor(string version)
    {
        ReadOnlySpan<char> text = version.AsSpan().Trim();
        if (text.StartsWith("v")) text = text[1..];
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits])) digits++;
        return digits > 0 && int.TryParse(text[..digits], out int major) ? major : null;
    }

    public override string ToString() =>
        $"systemd {Version}" + (KexecsCount is { } count ? $", {count} kexec(s) since the cold boot" : "");
}
