// SystemdSocketActivation: luod started through luod.socket gets its listening socket among
// the descriptors systemd passes (SystemdListenFds). luod adopts the first of them that is a
// listening AF_UNIX stream socket and serves io.liveupdate on it instead of binding its own
// path; the others (its fd store) stay in the list for the registry.
using System.Net.Sockets;

namespace LiveUpdate.Daemon;

public sealed class SystemdSocketActivation
{
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
    /// Takes the listening socket out of <paramref name="passed"/>, or returns null when there
    /// is none (luod was not socket activated). Descriptors luod stored itself are never
    /// considered. <paramref name="problem"/> explains why passed sockets were not usable.
    /// </summary>
    public static SystemdSocketActivation? TryAdopt(List<ListenedDescriptor> passed, out string? problem)
    {
        problem = null;
        var refused = new List<string>();
        foreach (var candidate in passed)
        {
            if (StoredDescriptorNames.Parse(candidate.Name) is not null) continue;
            if (Inspect(candidate.Handle.DangerousGetHandle()) is { } why)
            {
                refused.Add($"{candidate.Name ?? "unnamed"}: {why}");
                continue;
            }
            passed.Remove(candidate);
            // From now on the Socket owns (and will close) the descriptor.
            var raw = candidate.Handle.DangerousGetHandle();
            candidate.Handle.SetHandleAsInvalid();
            return new SystemdSocketActivation(new Socket(new SafeSocketHandle(raw, ownsHandle: true)), candidate.Name);
        }
        if (refused.Count > 0) problem = $"none of the sockets systemd passed is a listening Unix stream socket ({string.Join("; ", refused)})";
        return null;
    }

    /// <summary>Null when <paramref name="descriptor"/> is a listening AF_UNIX stream socket, else why not. Never closes it.</summary>
    private static string? Inspect(IntPtr descriptor)
    {
        try
        {
            using var probe = new Socket(new SafeSocketHandle(descriptor, ownsHandle: false));
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
