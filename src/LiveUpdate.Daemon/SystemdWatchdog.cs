// SystemdWatchdog: the watchdog interval systemd asked luod for (WATCHDOG_USEC, set with
// WatchdogSec=), which luod's housekeeping loop pings at least twice per. The only part of
// sd_notify(3) luod keeps by hand: Microsoft.Extensions.Hosting.Systemd sends the messages
// (its SystemdNotifier: READY=1, STATUS=, WATCHDOG=1, STOPPING=1 to $NOTIFY_SOCKET, abstract
// "@" addresses included) but does not read the watchdog interval. luod uses that notifier
// without the package's UseSystemd/AddSystemd lifetime, which would say READY=1 as soon as the
// host started — before luod has adopted the previous kernel's sessions and is serving — and
// only when its parent is systemd; luod says READY=1 itself once serving, whenever
// $NOTIFY_SOCKET is set (as lu-guest's stand-in systemd sets it). The fd store (FDSTORE=1 with
// SCM_RIGHTS) is SystemdFileDescriptorStore's, not the package's.
namespace LiveUpdate.Daemon;

public static class SystemdWatchdog
{
    /// <summary>The watchdog interval systemd asked for (WATCHDOG_USEC), or null.</summary>
    public static TimeSpan? Interval =>
        long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), out long usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
}
