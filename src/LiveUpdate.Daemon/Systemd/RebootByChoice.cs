// RebootByChoice: who performs an update's final kexec, decided once at start and logged with
// its reason. Under systemd (v261+, FileDescriptorStorePreserve=yes) PID 1 serializes every
// preserved fd store to systemd-shutdown, which at the very end opens /dev/liveupdate, puts the
// plain fds in LUO session "systemd", keeps session fds open (they survive by themselves) and
// kexecs; the next PID 1 hands them back. luod's own reboot(KEXEC) would skip that handover and
// the clean shutdown of every other unit, so there luod asks systemd instead (RebootBy=Auto →
// Systemd). Outside systemd, with an older one, or without an fd store, luod reboots itself.
using Microsoft.Extensions.Logging;

namespace LiveUpdate.Daemon.Systemd;

/// <summary>What luod sees of systemd at start: whether systemd started it and whether it has an fd store.</summary>
public sealed record SystemdEnvironment(bool StartedBySystemd, int FdStoreLimit)
{
    /// <summary>$NOTIFY_SOCKET or $INVOCATION_ID (set for every unit systemd starts) and $FDSTORE (FileDescriptorStoreMax=).</summary>
    public static SystemdEnvironment Current => new(
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("INVOCATION_ID")),
        int.TryParse(Environment.GetEnvironmentVariable("FDSTORE"), out int limit) ? limit : 0);
}

/// <summary>The decision: systemd performs the kexec (through <see cref="Manager"/>) or luod does; <see cref="Reason"/> says why.</summary>
public sealed record RebootByChoice(bool BySystemd, string Reason, SystemdDescription? Systemd)
{
    /// <summary>The pure rule, given what luod found (<paramref name="systemd"/> null: the manager could not be asked, <paramref name="unreachable"/> says why).</summary>
    public static RebootByChoice Decide(RebootBy option, SystemdEnvironment environment, SystemdDescription? systemd, string? unreachable)
    {
        switch (option)
        {
            case RebootBy.Luod:
                return new(false, "RebootBy=Luod: luod calls reboot(KEXEC) itself", systemd);
            case RebootBy.Systemd:
                return systemd is null
                    ? new(false, $"RebootBy=Systemd, but {unreachable ?? "systemd cannot be reached"}; luod calls reboot(KEXEC) itself", null)
                    : new(true, $"RebootBy=Systemd: luod asks {systemd} for kexec.target", systemd);
        }
        if (!environment.StartedBySystemd)
            return new(false, "RebootBy=Auto: not started by systemd ($NOTIFY_SOCKET and $INVOCATION_ID unset); luod calls reboot(KEXEC) itself", systemd);
        if (environment.FdStoreLimit <= 0)
            return new(false, "RebootBy=Auto: systemd gives luod no fd store ($FDSTORE unset; FileDescriptorStoreMax=), so it would carry no session across the kexec; luod calls reboot(KEXEC) itself", systemd);
        if (systemd is null)
            return new(false, $"RebootBy=Auto: {unreachable ?? "systemd cannot be reached"}; luod calls reboot(KEXEC) itself", null);
        if (!systemd.HandsFdStoresOverKexec)
            return new(false, $"RebootBy=Auto: {systemd} is older than {SystemdDescription.FirstLuoHandoverVersion} and does not carry fd stores across a kexec; luod calls reboot(KEXEC) itself", systemd);
        return new(true, $"RebootBy=Auto: started by {systemd} with an fd store of {environment.FdStoreLimit}; systemd performs the kexec (kexec.target) and carries the fd store through LUO", systemd);
    }

    /// <summary>
    /// Asks the manager only when the decision depends on it (nothing for RebootBy=Luod, nor for Auto
    /// outside systemd), logs the decision once, and returns it with the connection to use for
    /// the kexec (null when luod reboots itself and nothing else needs it).
    /// </summary>
    public static async Task<(RebootByChoice Choice, SystemdManagerClient? Manager)> ChooseAsync(RebootBy option, SystemdEnvironment environment,
        Func<CancellationToken, Task<SystemdManagerClient>> connect, ILogger log, CancellationToken cancellationToken)
    {
        SystemdManagerClient? manager = null;
        SystemdDescription? systemd = null;
        string? unreachable = null;
        bool ask = option == RebootBy.Systemd || (option == RebootBy.Auto && environment.StartedBySystemd && environment.FdStoreLimit > 0);
        if (ask)
        {
            try
            {
                manager = await connect(cancellationToken);
                systemd = await manager.DescribeAsync(cancellationToken);
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                unreachable = error.Message;
                manager?.Dispose();
                manager = null;
            }
        }
        var choice = Decide(option, environment, systemd, unreachable);
        log.LogInformation("luod: the final kexec of an update is performed by {Who}: {Reason}", choice.BySystemd ? "systemd" : "luod", choice.Reason);
        return (choice, manager);
    }
}
