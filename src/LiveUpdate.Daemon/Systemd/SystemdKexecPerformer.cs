// SystemdKexecPerformer: the kexec of an update when systemd performs it (RebootBy=Systemd, or
// Auto under systemd v261+). Loading and unloading the kernel stay luod's (kexec_file_load via
// the kernel performer: the update stages before anyone pauses). The reboot is systemd's: luod
// asks PID 1 for kexec.target (SystemdManagerClient.StartKexecAsync — straight to PID 1, not
// through logind, whose delay lock luod itself holds), then waits: systemd stops every unit,
// luod included (its fd store, holding every session fd, goes to systemd-shutdown, which
// preserves it in LUO session "systemd" and kexecs into the staged kernel). If systemd cannot
// be asked, RebootAsync throws a clear error and the update unwinds like any failure before
// the reboot (participants resumed, the kernel unloaded, the catalog no longer announcing it).
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon.Systemd;

public sealed class SystemdKexecPerformer(IKexecPerformer kernel, SystemdManagerClient manager, ILogger log, CancellationToken stopping) : IKexecPerformer
{
    public void Load(KexecRequest request) => kernel.Load(request);

    public void Unload() => kernel.Unload();

    /// <summary>Asks systemd for kexec.target, then returns only once luod is being stopped (by that very job).</summary>
    public async Task RebootAsync()
    {
        string job;
        try
        {
            job = await manager.StartKexecAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // luod is being stopped before the reply came: the job is under way (or luod is going away anyway).
            log.LogInformation("luod: stopped while asking systemd for {Target}", SystemdManagerClient.KexecTarget);
            return;
        }
        catch (Exception error) when (error is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            throw new SystemdKexecFailedException(
                $"asking systemd to kexec failed (Manager.StartUnit(\"{SystemdManagerClient.KexecTarget}\", \"{SystemdManagerClient.KexecJobMode}\") over {manager.Address}): {error.Message}. " +
                "Fix: check that PID 1 answers (`systemctl status kexec.target`) and that luod may start units (root, no SELinux denial), " +
                "or set RebootBy=Luod to have luod call reboot(KEXEC) itself (systemd then does not carry its fd store across the kexec)");
        }
        log.LogInformation("luod: systemd queued {Job} for {Target}; waiting for systemd to stop luod and kexec", job, SystemdManagerClient.KexecTarget);
        try { await Task.Delay(Timeout.Infinite, stopping); }
        catch (OperationCanceledException) { }
    }
}

/// <summary>systemd refused or could not be asked to start kexec.target.</summary>
public sealed class SystemdKexecFailedException(string message) : Exception(message);
