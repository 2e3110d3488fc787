// LiveUpdateInterfaceTests: luod's io.liveupdate against the interface file — every method
// io.liveupdate.varlink declares has a handler in LiveUpdateInterface, and what luod serves
// as its description is that file (LiveUpdate.Protocol's embedded copy).
using LiveUpdate.Protocol;

namespace LiveUpdate.Daemon.Tests;

public sealed class LiveUpdateInterfaceTests
{
    [Fact]
    public void Every_declared_method_is_registered_by_luod()
    {
        using var bed = new LuodTestbed();
        var registry = bed.StartRegistry();
        var kexec = new RecordingKexec();
        var built = new LiveUpdateInterface(registry, bed.Options, kexec,
            new UpdateCoordinator(registry, kexec, FixedPreflight.Go, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "7.2.0-test")).Build();

        Assert.Equal(LiveUpdateProtocol.InterfaceName, built.Name);
        Assert.Equal(LiveUpdateProtocol.Description, built.Description);
        var missing = built.DeclaredMethods.Except(built.ImplementedMethods).ToList();
        Assert.True(missing.Count == 0, $"io.liveupdate.varlink declares methods luod does not register: {string.Join(", ", missing)}");
        Assert.Equal(LiveUpdateProtocol.Methods.All.Select(m => m[(LiveUpdateProtocol.InterfaceName.Length + 1)..]).Order(), built.ImplementedMethods.Order());
    }
}
