// InitramfsBuilderTests: the guest root filesystem has the layout of docs/vm-harness.md: /init,
// busybox, mount points, /opt/liveupdate/<app> symlinks into per-app directories, the libraries,
// and /boot/<tag>/ for each distinct kernel of the chain; /opt/selftests/<tag>/ and host tools
// only when the scenario's extras ask for them (the luod path's image carries neither).
using System.Diagnostics;
using LiveUpdate.GuestContract;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Kernels;

namespace LiveUpdate.VmTests;

public sealed class InitramfsBuilderTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("luvm-initramfs-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task The_archive_has_the_contract_layout()
    {
        var init = Write("guest-init.sh", "#!/bin/busybox sh\n");
        var busybox = Write("busybox", "BB");
        var library = Write("libfake.so.1", "ELF");
        Write("publish/guest/lu-guest", "apphost");
        Write("publish/guest/lu-guest.dll", "il");
        Write("publish/cli/luoctl", "apphost");
        var kernels = new[] { Kernel("7.2"), Kernel("7.3"), Kernel("7.2") };
        var payload = new GuestPayload(
            [Published("lu-guest", "guest"), Published("luoctl", "cli")],
            [new GuestLibrary(library, "/lib/x86_64-linux-gnu/libfake.so.1")]);
        var archive = Path.Combine(directory, "initramfs.cpio");

        var tool = Write("tools/criu", "ELF tool");
        var toolLibrary = Write("libtool.so.2", "ELF");
        var extras = new GuestImageExtras(KernelSelftests: true, [tool], [new GuestLibrary(toolLibrary, "/lib/x86_64-linux-gnu/libtool.so.2")]);

        var size = await InitramfsBuilder.BuildAsync(new InitramfsContents(init, busybox, payload, kernels, extras), archive, CancellationToken.None);

        Assert.Equal(new FileInfo(archive).Length, size);
        var listing = (await ListAsync(archive)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] expected =
        [
            "init", "bin/busybox", "dev/console", "proc", "sys", "tmp", "run",
            "opt/liveupdate/guest/lu-guest", "opt/liveupdate/guest/lu-guest.dll", "opt/liveupdate/cli/luoctl",
            "lib/x86_64-linux-gnu/libfake.so.1",
            "boot/7.2/bzImage", "boot/7.2/release", "boot/7.3/bzImage", "boot/7.3/release",
            "opt/selftests/7.2/liveupdate", "opt/selftests/7.3/liveupdate",
            "bin/criu", "lib/x86_64-linux-gnu/libtool.so.2",
        ];
        foreach (var name in expected)
        {
            Assert.Contains(listing, l => l.EndsWith(" " + name, StringComparison.Ordinal));
        }
        Assert.Contains(listing, l => l.StartsWith("lrwxrwxrwx", StringComparison.Ordinal) && l.EndsWith("opt/liveupdate/lu-guest -> guest/lu-guest", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.StartsWith("lrwxrwxrwx", StringComparison.Ordinal) && l.EndsWith("opt/liveupdate/luoctl -> cli/luoctl", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" init", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" opt/selftests/7.3/liveupdate", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.StartsWith("drwxrwxrwt", StringComparison.Ordinal) && l.EndsWith(" tmp", StringComparison.Ordinal));
        Assert.Single(listing, l => l.EndsWith(" boot/7.2/bzImage", StringComparison.Ordinal));
        Assert.Single(listing, l => l.EndsWith(" opt/selftests/7.2/liveupdate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_extras_the_image_has_no_selftests_and_no_tools()
    {
        var init = Write("guest-init.sh", "#!/bin/busybox sh\n");
        var busybox = Write("busybox", "BB");
        Write("publish/guest/lu-guest", "native");
        var payload = new GuestPayload([Published("lu-guest", "guest")], []);
        var archive = Path.Combine(directory, "base.cpio");

        await InitramfsBuilder.BuildAsync(new InitramfsContents(init, busybox, payload, [Kernel("7.3")], GuestImageExtras.None), archive, CancellationToken.None);

        var listing = (await ListAsync(archive)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(listing, l => l.EndsWith(" boot/7.3/bzImage", StringComparison.Ordinal));
        Assert.Contains(listing, l => l.EndsWith(" opt/liveupdate/guest/lu-guest", StringComparison.Ordinal));
        Assert.DoesNotContain(listing, l => l.Contains("selftests", StringComparison.Ordinal));
        Assert.DoesNotContain(listing, l => l.EndsWith(" bin/criu", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ScenarioNames.KernelSelftests, true)]
    [InlineData(ScenarioNames.MemfdRoundTrip, false)]
    [InlineData(ScenarioNames.CacheDemo, false)]
    [InlineData(ScenarioNames.Bench, false)]
    public async Task Only_the_selftest_scenario_carries_the_selftests(string scenario, bool selftests)
    {
        var extras = await GuestImageExtras.ForScenarioAsync(scenario, RepositoryLayout.Locate(), new HarnessCache(Path.Combine(directory, "cache")), CancellationToken.None);
        Assert.Equal(selftests, extras.KernelSelftests);
        Assert.Empty(extras.Tools);
        Assert.Null(extras.PayloadDisk);
    }

    [Fact]
    public async Task Only_vm_update_carries_luqemu_and_a_payload_disk_with_QEMU_and_the_small_VM()
    {
        var cache = new HarnessCache(Path.Combine(directory, "cache"));
        var extras = await GuestImageExtras.ForScenarioAsync(ScenarioNames.VmUpdate, RepositoryLayout.Locate(), cache, CancellationToken.None);
        Assert.NotNull(extras.PayloadDisk);
        // The disk is ext4 with QEMU at its Debian path, its libraries and the small VM's initramfs (debugfs reads it without mounting).
        var listing = new ProcessStartInfo("/sbin/debugfs", ["-R", "ls -p /usr/bin", extras.PayloadDisk!]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using (var debugfs = Process.Start(listing)!)
        {
            string bin = await debugfs.StandardOutput.ReadToEndAsync();
            await debugfs.WaitForExitAsync();
            Assert.Contains("qemu-system-x86_64", bin);
        }
        var again = await GuestImageExtras.ForScenarioAsync(ScenarioNames.VmUpdate, RepositoryLayout.Locate(), cache, CancellationToken.None);
        Assert.Equal(extras.PayloadDisk, again.PayloadDisk); // cached by content

        // luqemu is published with the others but packed only into vm-update's image; nothing of QEMU is in any initramfs.
        Write("publish/guest/lu-guest", "apphost");
        Write("publish/qemu/luqemu", "apphost");
        var payload = new GuestPayload([Published("lu-guest", "guest"), Published("luqemu", "qemu") with { App = new GuestApp("luqemu", "qemu", "qemu.csproj", ScenarioNames.VmUpdate) }], []);
        var kernels = new[] { Kernel("7.3") };
        foreach (var (scenario, carries) in new[] { (ScenarioNames.VmUpdate, true), (ScenarioNames.CacheDemo, false) })
        {
            string archive = Path.Combine(directory, $"{scenario}.cpio");
            var forScenario = scenario == ScenarioNames.VmUpdate ? extras : GuestImageExtras.None with { Scenario = scenario };
            await InitramfsBuilder.BuildAsync(new InitramfsContents(Write("init", "#!/bin/sh\n"), Write("busybox", "bb"), payload, kernels, forScenario), archive, CancellationToken.None);
            string names = System.Text.Encoding.ASCII.GetString(await File.ReadAllBytesAsync(archive));
            Assert.Equal(carries, names.Contains("opt/liveupdate/luqemu", StringComparison.Ordinal));
            Assert.DoesNotContain("qemu-system-x86_64", names);
            Assert.Contains("opt/liveupdate/lu-guest", names);
        }
    }

    private PublishedApp Published(string executable, string subdirectory) =>
        new(new GuestApp(executable, subdirectory, subdirectory + ".csproj"), Path.Combine(directory, "publish", subdirectory));

    private PreparedKernel Kernel(string series)
    {
        var kernelDirectory = Path.Combine(directory, "kernels", series);
        Write($"kernels/{series}/bzImage", "kernel " + series);
        Write($"kernels/{series}/release", series + ".1\n");
        Write($"kernels/{series}/selftests/liveupdate", "static");
        return new PreparedKernel(series, series + ".1-1", series + ".1", kernelDirectory);
    }

    private string Write(string relative, string content)
    {
        var path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<string> ListAsync(string archive)
    {
        var startInfo = new ProcessStartInfo("cpio", ["-tv", "-F", archive]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        return await stdout;
    }
}
