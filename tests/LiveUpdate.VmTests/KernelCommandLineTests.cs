// KernelCommandLineTests: the kernel command line and the QEMU arguments follow the host ↔ guest
// contract of docs/vm-harness.md exactly.
using LiveUpdate.VmHarness;

namespace LiveUpdate.VmTests;

public sealed class KernelCommandLineTests
{
    [Fact]
    public void Command_line_matches_the_contract()
    {
        Assert.Equal(
            "console=ttyS0 kho=on liveupdate=on retain_initrd panic=-1 printk.time=1 lu.scenario=s3 lu.chain=7.2,7.3,7.2 lu.hop=0",
            KernelCommandLine.Compose("s3", ["7.2", "7.3", "7.2"]));
        Assert.EndsWith("lu.chain=7.3 lu.hop=0", KernelCommandLine.Compose("s2", ["7.3"]));
    }

    [Theory]
    [InlineData("s 1", "7.2")]
    [InlineData("", "7.2")]
    [InlineData("s1", "7.2,7.3")]
    [InlineData("s1", "")]
    public void Unusable_scenarios_and_tags_are_refused(string scenario, string tag)
    {
        var error = Assert.Throws<HarnessException>(() => KernelCommandLine.Compose(scenario, [tag]));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void An_empty_chain_is_refused()
    {
        Assert.Throws<HarnessException>(() => KernelCommandLine.Compose("s1", []));
    }

    [Fact]
    public void Qemu_maps_ttyS0_to_the_console_log_and_ttyS1_to_the_results()
    {
        var launch = new QemuLaunch("/k/bzImage", "/r/initramfs.cpio", "console=ttyS0 x", "/r/console.log", "/r/results.jsonl") { MemoryMiB = 2048 };
        var arguments = launch.Arguments.ToList();

        var serials = arguments.Select((a, i) => (a, i)).Where(p => p.a == "-serial").Select(p => arguments[p.i + 1]).ToList();
        Assert.Equal(new[] { "file:/r/console.log", "file:/r/results.jsonl" }, serials);
        Assert.Contains("-no-reboot", arguments);
        Assert.Equal("2048", arguments[arguments.IndexOf("-m") + 1]);
        Assert.Equal("/k/bzImage", arguments[arguments.IndexOf("-kernel") + 1]);
        Assert.Equal("/r/initramfs.cpio", arguments[arguments.IndexOf("-initrd") + 1]);
        Assert.Equal("console=ttyS0 x", arguments[arguments.IndexOf("-append") + 1]);
        Assert.Equal("tcg,thread=multi", arguments[arguments.IndexOf("-accel") + 1]);
        Assert.Equal("none", arguments[arguments.IndexOf("-monitor") + 1]);
    }
}
