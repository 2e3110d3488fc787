// LuodTestHold: a TEST-ONLY fault point. The fault matrix (docs/reliability.md) must SIGKILL
// luod at moments no client can observe — after the last freeze acknowledgement, just before
// reboot(KEXEC), and in the middle of the next kernel's restore — so luod can be told to stop
// there: with LUOD_TEST_HOLD=<point> in its environment (read once, at start) it logs a
// critical line, writes the marker file held-at-<point> beside its custody record
// (/run/luod/held-at-<point>), and waits there until it is killed. The points:
//   before-reboot  UpdateCoordinator: every freeze acknowledged, the catalog written with the
//                  reboot sample, the fd store flushed — the next thing is the kexec.
//   mid-restore    StartupRecovery: the first session of the previous kernel's catalog
//                  retrieved and parked in the fd store, the others not yet retrieved.
// Unset (every production luod) it costs one null check per point. It cannot be hit by
// accident: nothing sets the variable (no unit, no option, not in --help); an unknown point
// stops luod at start rather than being ignored; and a luod that holds logs it at Critical and
// never serves or reboots from that point on. Tests that run luod in-process Release() it:
// the held call then throws, as if luod had died there.
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon;

public sealed class LuodTestHold
{
    public const string EnvironmentVariable = "LUOD_TEST_HOLD";
    public const string BeforeReboot = "before-reboot";
    public const string MidRestore = "mid-restore";

    /// <summary>Every point luod can hold at.</summary>
    public static readonly IReadOnlyList<string> Points = [BeforeReboot, MidRestore];

    /// <summary>No hold (every production luod).</summary>
    public static readonly LuodTestHold Off = new(null, "");

    private readonly string? _point;
    private readonly string _markerDirectory;
    private readonly ManualResetEventSlim _released = new(false);

    /// <summary>Holds at <paramref name="point"/> (one of <see cref="Points"/>), writing its marker into <paramref name="markerDirectory"/>.</summary>
    public LuodTestHold(string? point, string markerDirectory)
    {
        if (point is not null && !Points.Contains(point))
            throw new ArgumentException($"{EnvironmentVariable}='{point}' names no hold point of luod (known: {string.Join(", ", Points)})", nameof(point));
        (_point, _markerDirectory) = (point, markerDirectory);
    }

    /// <summary>The hold <see cref="EnvironmentVariable"/> asks for (Off when unset or empty), its marker beside <paramref name="custodyRecordPath"/>.</summary>
    public static LuodTestHold FromEnvironment(string custodyRecordPath)
    {
        string? point = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(point) ? Off : new LuodTestHold(point, Path.GetDirectoryName(Path.GetFullPath(custodyRecordPath))!);
    }

    /// <summary>The point this luod holds at, or null.</summary>
    public string? Point => _point;

    /// <summary>The file written when luod holds at <paramref name="point"/>.</summary>
    public string MarkerPath(string point) => Path.Combine(_markerDirectory, $"held-at-{point}");

    /// <summary>
    /// At fault point <paramref name="point"/>: returns at once unless luod was told to hold there;
    /// then runs <paramref name="beforeHolding"/> (e.g. flushing the fd store, so the point is
    /// exact), logs, writes the marker and blocks until killed (in-process: until <see cref="Release"/>,
    /// then throws <see cref="OperationCanceledException"/>).
    /// </summary>
    public void At(string point, ILogger log, Action? beforeHolding = null)
    {
        if (_point is null || !string.Equals(_point, point, StringComparison.Ordinal)) return;
        beforeHolding?.Invoke();
        string marker = MarkerPath(point);
        log.LogCritical("luod: TEST HOLD at '{Point}' ({Variable}): luod stops here until it is killed; marker {Marker}", point, EnvironmentVariable, marker);
        Directory.CreateDirectory(_markerDirectory);
        File.WriteAllText(marker, $"{Environment.ProcessId}\n");
        _released.Wait();
        throw new OperationCanceledException($"luod's test hold at '{point}' was released (in-process test: luod 'died' here)");
    }

    /// <summary>In-process tests only: the held call throws, as if luod had been killed there.</summary>
    public void Release() => _released.Set();
}
