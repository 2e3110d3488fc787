// SystemdSocketActivation: sd_listen_fds(3) without libsystemd. When systemd starts luod
// through luod.socket it passes the listening socket as an inherited descriptor: fds 3 ..
// 3+LISTEN_FDS-1, meant for the process whose pid is LISTEN_PID, named by LISTEN_FDNAMES
// (colon-separated). luod adopts the first of them that is a listening AF_UNIX stream
// socket and serves io.liveupdate on it instead of binding its own path. The variables are
// unset afterwards (as sd_listen_fds(unset_environment=1) does) so nothing luod starts
// later believes the descriptors are meant for it. Descriptors luod does not adopt are
// left open and untouched.
using System.Globalization;
using System.Net.Sockets;

namespace LiveUpdate.Daemon;

public sealed class SystemdSocketActivation
{
    /// <summary>SD_LISTEN_FDS_START: the first descriptor systemd passes.</summary>
    public const int ListenFdsStart = 3;

    private const string ListenPidVariable = "LISTEN_PID";
    private const string ListenFdsVariable = "LISTEN_FDS";
    private const string ListenFdNamesVariable = "LISTEN_FDNAMES";

    private SystemdSocketActivation(Socket listener, string? name)
    {
        Listener = listener;
        Name = name;
    }

    /// <summary>The adopted listening socket; its owner disposes it.</summary>
    public Socket Listener { get; }

    /// <summary>The descriptor's name from LISTEN_FDNAMES (systemd's FileDescriptorName=, by default the socket unit's name), if given.</summary>
    public string? Name { get; }

    /// <summary>Where the adopted socket listens (its path), for log messages.</summary>
    public string Describe() => Listener.LocalEndPoint?.ToString() is { Length: > 0 } path ? path : Name ?? "a socket passed by systemd";

    /// <summary>
    /// The listening socket systemd passed to this process, or null when luod was not socket
    /// activated (no LISTEN_FDS, or LISTEN_PID names another process). The LISTEN_* variables
    /// are removed from the environment either way. <paramref name="problem"/> explains why
    /// passed descriptors were not usable, so the caller can log it.
    /// </summary>
    public static SystemdSocketActivation? TryAdopt(out string? problem)
    {
        problem = null;
        string? pidText = Environment.GetEnvironmentVariable(ListenPidVariable);
        string? countText = Environment.GetEnvironmentVariable(ListenFdsVariable);
        string? namesText = Environment.GetEnvironmentVariable(ListenFdNamesVariable);
        Environment.SetEnvironmentVariable(ListenPidVariable, null);
        Environment.SetEnvironmentVariable(ListenFdsVariable, null);
        Environment.SetEnvironmentVariable(ListenFdNamesVariable, null);

        if (string.IsNullOrEmpty(countText))
            return null;
        if (!int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid != Environment.ProcessId)
        {
            problem = $"LISTEN_FDS is set but LISTEN_PID ({pidText ?? "unset"}) is not luod's pid {Environment.ProcessId}; the descriptors are not meant for luod";
            return null;
        }
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count <= 0)
        {
            problem = $"LISTEN_FDS is '{countText}', not a positive number of descriptors";
            return null;
        }

        string[] names = namesText?.Split(':') ?? [];
        var refused = new List<string>();
        for (int i = 0; i < count; i++)
        {
            int descriptor = ListenFdsStart + i;
            string? name = i < names.Length && names[i].Length > 0 ? names[i] : null;
            if (Inspect(descriptor) is { } why)
            {
                refused.Add($"fd {descriptor}{(name is null ? "" : $" ({name})")}: {why}");
                continue;
            }
            // Adopt it: from now on the Socket owns (and will close) the descriptor.
            var listener = new Socket(new SafeSocketHandle((IntPtr)descriptor, ownsHandle: true));
            return new SystemdSocketActivation(listener, name);
        }
        problem = $"systemd passed {count} descriptor(s) but none is a listening Unix stream socket ({string.Join("; ", refused)})";
        return null;
    }

    /// <summary>Null when <paramref name="descriptor"/> is a listening AF_UNIX stream socket, else why not. Never closes it.</summary>
    private static string? Inspect(int descriptor)
    {
        try
        {
            using var probe = new Socket(new SafeSocketHandle((IntPtr)descriptor, ownsHandle: false));
            if (probe.AddressFamily != AddressFamily.Unix) return $"an {probe.AddressFamily} socket, not AF_UNIX";
            if (probe.SocketType != SocketType.Stream) return $"a {probe.SocketType} socket, not SOCK_STREAM";
            if (probe.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is not int listening || listening == 0)
                return "not listening";
            return null;
        }
        catch (SocketException error)
        {
            return $"not a usable socket ({error.Message})";
        }
    }
}
