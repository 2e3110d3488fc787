// PortForward: one TCP port of the guest reachable from the host through QEMU's user-mode
// network (slirp hostfwd on 127.0.0.1). The host port is picked free at launch, so parallel
// runs on one machine never collide.
using System.Net;
using System.Net.Sockets;

namespace LiveUpdate.VmHarness.Qemu;

public sealed record PortForward(int HostPort, int GuestPort)
{
    /// <summary>The guest address QEMU's user-mode network gives the first NIC (vm/guest-init.sh configures it).</summary>
    public const string GuestAddress = "10.0.2.15";

    /// <summary>A forward of <paramref name="guestPort"/> from a TCP port that is free on the host's loopback now.</summary>
    public static PortForward ToGuest(int guestPort)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var hostPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new PortForward(hostPort, guestPort);
    }

    public string HostFwd => $"hostfwd=tcp:127.0.0.1:{HostPort}-{GuestAddress}:{GuestPort}";
}
