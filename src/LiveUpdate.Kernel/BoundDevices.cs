// BoundDevices: the devices a driver is bound to, from /sys/bus/<bus>/devices/<device>/driver
// (a symlink to /sys/bus/<bus>/drivers/<driver>). After a kexec the next kernel probes each of
// them again before it can serve: the devices list is what the blackout's "probe" part is made of.
namespace LiveUpdate.Kernel;

public sealed record BoundDevice(string Bus, string Device, string Driver);

public static class BoundDevices
{
    public const string SysfsBusDirectory = "/sys/bus";

    /// <summary>Every bound device under <paramref name="busDirectory"/>, by bus then device; empty when none can be read.</summary>
    public static IReadOnlyList<BoundDevice> ReadRunning(string busDirectory = SysfsBusDirectory)
    {
        var devices = new List<BoundDevice>();
        try
        {
            if (!Directory.Exists(busDirectory)) return devices;
            foreach (string bus in Directory.EnumerateDirectories(busDirectory).Order(StringComparer.Ordinal))
            {
                string devicesDirectory = Path.Combine(bus, "devices");
                if (!Directory.Exists(devicesDirectory)) continue;
                foreach (string device in Directory.EnumerateFileSystemEntries(devicesDirectory).Order(StringComparer.Ordinal))
                {
                    var driverLink = new FileInfo(Path.Combine(device, "driver"));
                    if (driverLink.LinkTarget is not { } target) continue;
                    devices.Add(new BoundDevice(Path.GetFileName(bus), Path.GetFileName(device), Path.GetFileName(target.TrimEnd('/'))));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // What was read so far is what can be told.
        }
        return devices;
    }
}
