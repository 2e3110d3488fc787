// DeviceTests: what the device wrapper does where the host has no LUO kernel — a missing
// device is a typed error that says how to boot, and the holder of a busy device is named.
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Kernel.Tests;

public class DeviceTests
{
    [Fact]
    public void Missing_device_raises_unavailable_with_the_fix()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-liveupdate-{Guid.NewGuid():N}");
        var error = Assert.Throws<LiveUpdateUnavailableException>(() => LiveUpdateDevice.Open(path));
        Assert.Equal(KernelOperation.OpenDevice, error.Operation);
        Assert.Contains(path, error.Message);
        Assert.Contains("liveupdate=on", error.Message);
    }

    [Fact]
    public void Holder_lookup_finds_the_process_holding_a_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"holder-{Guid.NewGuid():N}");
        File.WriteAllText(path, "x");
        try
        {
            using var held = File.OpenHandle(path);
            var holder = DeviceHolderLookup.Find(path);
            Assert.NotNull(holder);
            Assert.Equal(Environment.ProcessId, holder.Value.Pid);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Holder_lookup_returns_null_when_nobody_holds_it() =>
        Assert.Null(DeviceHolderLookup.Find($"/nonexistent/{Guid.NewGuid():N}"));
}
