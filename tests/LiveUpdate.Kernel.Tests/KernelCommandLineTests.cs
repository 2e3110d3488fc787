// KernelCommandLineTests: parameters are read the way the kernel's parser sees them (the
// last occurrence wins) and a next-kernel command line can replace one parameter.
namespace LiveUpdate.Kernel.Tests;

public class KernelCommandLineTests
{
    [Fact]
    public void Reads_values_switches_and_the_last_occurrence()
    {
        var cmdline = new KernelCommandLine("console=ttyS0 kho=on quiet liveupdate=off liveupdate=on\n");
        Assert.Equal("ttyS0", cmdline.Get("console"));
        Assert.Equal("", cmdline.Get("quiet"));
        Assert.Null(cmdline.Get("absent"));
        Assert.True(cmdline.IsEnabled("kho"));
        Assert.True(cmdline.IsEnabled("liveupdate"));
        Assert.False(new KernelCommandLine("kho=off").IsEnabled("kho"));
    }

    [Fact]
    public void With_replaces_a_parameter_and_keeps_the_rest()
    {
        var next = new KernelCommandLine("console=ttyS0 lu.hop=0 kho=on").With("lu.hop", "1");
        Assert.Equal("console=ttyS0 kho=on lu.hop=1", next.ToString());
    }

    [Fact]
    public void Prefix_of_another_key_does_not_match() =>
        Assert.Null(new KernelCommandLine("khoscratch=1").Get("kho"));
}
