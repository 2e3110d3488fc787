// SystemdListenFds: sd_listen_fds_with_names(3) without libsystemd. systemd passes
// descriptors 3 .. 3+LISTEN_FDS-1 to the process whose pid is LISTEN_PID, named by
// LISTEN_FDNAMES (colon-separated): luod.socket's listening socket (socket activation)
// and, after a restart, what luod parked in its fd store. Each is adopted at once as a
// typed handle. The variables are unset afterwards (as sd_listen_fds(unset_environment=1)
// does) so nothing luod starts later believes the descriptors are meant for it.
using System.Globalization;
using LiveUpdate.Kernel;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Daemon;

/// <summary>A descriptor systemd passed, with its name (FileDescriptorName= or the FDNAME luod stored it under).</summary>
public sealed record ListenedDescriptor(InheritedFileDescriptor Handle, string? Name);

public static class SystemdListenFds
{
    /// <summary>SD_LISTEN_FDS_START: the first descriptor systemd passes.</summary>
    public const int ListenFdsStart = 3;

    /// <summary>
    /// The descriptors systemd passed to this process (empty when none, or when LISTEN_PID names
    /// another process — then <paramref name="problem"/> says so, for the log).
    /// </summary>
    public static List<ListenedDescriptor> Take(out string? problem)
    {
        problem = null;
        string? pidText = Environment.GetEnvironmentVariable("LISTEN_PID");
        string? countText = Environment.GetEnvironmentVariable("LISTEN_FDS");
        string? namesText = Environment.GetEnvironmentVariable("LISTEN_FDNAMES");
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);

        if (string.IsNullOrEmpty(countText)) return [];
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid != Environment.ProcessId)
        {
            problem = $"LISTEN_FDS is set but LISTEN_PID ({pidText ?? "unset"}) is not luod's pid {Environment.ProcessId}; the descriptors are not meant for luod";
            return [];
        }
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count <= 0)
        {
            problem = $"LISTEN_FDS is '{countText}', not a positive number of descriptors";
            return [];
        }

        string[] names = namesText?.Split(':') ?? [];
        var passed = new List<ListenedDescriptor>(count);
        var unusable = new List<string>();
        for (int i = 0; i < count; i++)
        {
            int number = ListenFdsStart + i;
            try
            {
                passed.Add(new ListenedDescriptor(InheritedFileDescriptor.Adopt(number), i < names.Length && names[i].Length > 0 ? names[i] : null));
            }
            catch (LiveUpdateException error)
            {
                unusable.Add($"fd {number}: {error.Message}");
            }
        }
        if (unusable.Count > 0) problem = $"systemd announced {count} descriptors but not all are open ({string.Join("; ", unusable)})";
        return passed;
    }
}
