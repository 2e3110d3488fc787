// PeerCredentialsTests: SO_PEERCRED of a socketpair names this very process.
namespace LiveUpdate.Kernel.Tests;

public class PeerCredentialsTests
{
    [Fact]
    public void The_peer_of_a_socketpair_is_this_process()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            var credentials = PeerCredentials.Of(a.SafeHandle);
            Assert.Equal(Environment.ProcessId, credentials.ProcessId);
            Assert.Equal(Interop.LibC.Geteuid(), credentials.UserId);
            Assert.Equal(EffectiveGroupId(), credentials.GroupId);
            Assert.Equal(credentials, PeerCredentials.Of(b.SafeHandle));
            Assert.Contains($"pid {Environment.ProcessId}", credentials.ToString());
        }
    }

    [Fact]
    public void A_non_socket_is_refused_with_a_clear_message()
    {
        using var memfd = MemFd.Create("not-a-socket");
        var error = Assert.Throws<Errors.InvalidLiveUpdateArgumentException>(() => PeerCredentials.Of(memfd));
        Assert.Contains("not an open socket", error.Message);
    }

    private static uint EffectiveGroupId()
    {
        // /proc/self/status: "Gid:\treal\teffective\tsaved\tfs"
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Gid:", StringComparison.Ordinal));
        return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2]);
    }
}
