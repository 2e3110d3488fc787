// ScenarioCommandLineTests: the kernel command line and the QEMU arguments follow the host ↔ guest
// contract of docs/vm-harness.md exactly.
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Qemu;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmTests;

public sealed class ScenarioCommandLineTests
{
    [Fact]
    public void Command_line_matches_the_contract()
    {
        Assert.Equal(
            "console=ttyS0 kho=on kho_scratch=128M,512M,256M liveupdate=on retain_initrd panic=-1 printk.time=1 no_timer_check "
            + "memmap=1M$0x6000000 ramoops.mem_address=0x6000000 ramoops.mem_size=0x100000 ramoops.console_size=0x40000 ramoops.record_size=0x20000 ramoops.max_reason=4 "
            + "lu.scenario=cross-version-chain lu.chain=7.2,7.3,7.2 lu.hop=0",
            ScenarioCommandLine.Compose(ScenarioNames.CrossVersionChain, ["7.2", "7.3", "7.2"]));
        Assert.EndsWith("lu.chain=7.3 lu.hop=0", ScenarioCommandLine.Compose(ScenarioNames.LuoRefusals, ["7.3"]));
    }

    [Fact]
    public void The_guest_reads_back_what_the_host_composed()
    {
        var composed = new LiveUpdate.Kernel.KernelCommandLine(ScenarioCommandLine.Compose(ScenarioNames.CacheDemo, ["7.2", "7.3"], 1,
            [GuestCommandLineKeys.Word(GuestCommandLineKeys.DemoMib, 16), GuestCommandLineKeys.Word(GuestCommandLineKeys.Cold, 1)]));
        Assert.Equal(ScenarioNames.CacheDemo, composed.Get(GuestCommandLineKeys.Scenario));
        Assert.Equal("7.2,7.3", composed.Get(GuestCommandLineKeys.Chain));
        Assert.Equal("1", composed.Get(GuestCommandLineKeys.Hop));
        Assert.Equal("16", composed.Get(GuestCommandLineKeys.DemoMib));
        Assert.Equal("1", composed.Get(GuestCommandLineKeys.Cold));
    }

    [Theory]
    [InlineData("s3", ScenarioNames.CrossVersionChain)]
    [InlineData("S7", ScenarioNames.OrphansAndOwners)]
    [InlineData("s11", ScenarioNames.CancelAndNoGo)]
    [InlineData(ScenarioNames.KernelSelftests, ScenarioNames.KernelSelftests)]
    [InlineData("demo", ScenarioNames.CacheDemo)]
    public void Old_scenario_numbers_resolve_to_their_names(string given, string expected)
    {
        Assert.Equal(expected, ScenarioNames.Resolve(given));
        Assert.Contains(expected, ScenarioNames.All);
    }

    [Theory]
    [InlineData("memfd roundtrip", "7.2")]
    [InlineData("", "7.2")]
    [InlineData("memfd-roundtrip", "7.2,7.3")]
    [InlineData("memfd-roundtrip", "")]
    public void Unusable_scenarios_and_tags_are_refused(string scenario, string tag)
    {
        var error = Assert.Throws<HarnessException>(() => ScenarioCommandLine.Compose(scenario, [tag]));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void An_empty_chain_is_refused()
    {
        Assert.Throws<HarnessException>(() => ScenarioCommandLine.Compose(ScenarioNames.MemfdRoundTrip, []));
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

    [Fact]
    public void Scenario_parameters_follow_the_hop_and_must_be_lu_words()
    {
        Assert.EndsWith("lu.hop=1 lu.demo.mib=16 lu.cold=1", ScenarioCommandLine.Compose("demo", ["7.2", "7.3"], 1, ["lu.demo.mib=16", "lu.cold=1"]));
        Assert.Throws<HarnessException>(() => ScenarioCommandLine.Compose("demo", ["7.2"], 0, ["mib=16"]));
        Assert.Contains(" ramoops.max_reason=4 quiet lu.scenario=demo ", ScenarioCommandLine.Compose("demo", ["7.2"], 0, [], quiet: true));
        Assert.DoesNotContain("quiet", ScenarioCommandLine.Compose("demo", ["7.2"]));
        Assert.Throws<HarnessException>(() => ScenarioCommandLine.Compose("demo", ["7.2"], 0, ["lu.x=a b"]));
    }

    [Fact]
    public void A_port_forward_adds_a_virtio_nic_and_a_disk_a_virtio_drive()
    {
        var plain = new QemuLaunch("/k/bzImage", "/r/i.cpio", "x", "/r/c.log", "/r/r.jsonl");
        Assert.DoesNotContain("-netdev", plain.Arguments);
        Assert.DoesNotContain("-drive", plain.Arguments);

        var launch = plain with { Forwards = [new PortForward(40000, 11211)], DiskImage = "/r/disk.img" };
        var arguments = launch.Arguments.ToList();
        Assert.Equal("user,id=net0,hostfwd=tcp:127.0.0.1:40000-10.0.2.15:11211", arguments[arguments.IndexOf("-netdev") + 1]);
        Assert.Equal("virtio-net-pci,netdev=net0", arguments[arguments.IndexOf("-device") + 1]);
        Assert.Equal("file=/r/disk.img,if=virtio,format=raw,cache=writeback", arguments[arguments.IndexOf("-drive") + 1]);
    }

    [Fact]
    public void A_free_host_port_is_picked_for_each_forward()
    {
        var forward = PortForward.ToGuest(11211);
        Assert.InRange(forward.HostPort, 1, 65535);
        Assert.Equal(11211, forward.GuestPort);
    }
}
