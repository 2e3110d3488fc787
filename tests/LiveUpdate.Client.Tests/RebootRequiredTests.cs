// RebootRequiredTests: `luoctl reboot-required` (as its own process) on temporary boot
// directories holding the real 7.2 and 7.3 bzImages the VM harness builds (KernelCacheLayout;
// `luvm kernels` caches them), with --from standing in for the running kernel: the sentinel is
// written (the candidate's release first) only for a newer kernel whose check is GO, removed
// when the running kernel is the newest, when the candidate is NO-GO or cannot be read, and by
// --clear; each outcome has its documented exit code and leaves no temporary file behind.
using LiveUpdate.Testing;
using static LiveUpdate.Client.Tests.LuoctlProcess;

namespace LiveUpdate.Client.Tests;

public sealed class RebootRequiredTests : IDisposable
{
    private const string GoCommandLine = "console=ttyS0 kho=on liveupdate=on";

    private readonly CachedKernel kernel72;
    private readonly CachedKernel kernel73;
    private readonly string directory = Directory.CreateTempSubdirectory("reboot-required-tests-").FullName;

    public RebootRequiredTests()
    {
        var cache = KernelCacheLayout.FromEnvironment();
        string fragmentKey = KernelCacheLayout.FragmentKeyOf(Path.Combine(CheckoutRoot(), "vm", "kernel.fragment"));
        kernel72 = cache.Kernel("7.2", fragmentKey);
        kernel73 = cache.Kernel("7.3", fragmentKey);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Sentinel => Path.Combine(directory, "run", "reboot-required");

    /// <summary>A /boot with both kernels under their release names (and files that are not kernels).</summary>
    private string BootDirectory()
    {
        string boot = Directory.CreateDirectory(Path.Combine(directory, "boot")).FullName;
        File.Copy(kernel72.BzImage, Path.Combine(boot, $"vmlinuz-{kernel72.Release}"), overwrite: true);
        File.Copy(kernel73.BzImage, Path.Combine(boot, $"vmlinuz-{kernel73.Release}"), overwrite: true);
        File.WriteAllText(Path.Combine(boot, $"config-{kernel73.Release}"), "# not a kernel\n");
        File.WriteAllText(Path.Combine(boot, "vmlinuz.old"), "not matched by vmlinuz-*\n");
        return boot;
    }

    private string StaleSentinel()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Sentinel)!);
        File.WriteAllText(Sentinel, "*** System restart required ***\n");
        return Sentinel;
    }

    [Fact]
    public async Task A_newer_go_kernel_in_the_boot_directory_writes_the_sentinel_with_its_release()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Sentinel)!);
        var run = await RunAsync(TimeSpan.FromMinutes(2), "reboot-required", "--boot-dir", BootDirectory(), "--sentinel", Sentinel,
            "--from", kernel72.BzImage, "--append", GoCommandLine);

        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.StartsWith($"reboot required: wrote {Sentinel}: ", run.Stdout);
        string[] lines = File.ReadAllLines(Sentinel);
        Assert.Equal(kernel73.Release, lines[0]);
        Assert.Contains($"is newer than {kernel72.BzImage} ({kernel72.Release})", lines[1]);
        Assert.Contains("--reuse-cmdline", lines[1]);
        Assert.Equal(["reboot-required"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(Sentinel)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_running_kernel_being_the_newest_removes_the_sentinel()
    {
        string stale = StaleSentinel();
        var run = await RunAsync(TimeSpan.FromMinutes(2), "reboot-required", "--boot-dir", BootDirectory(), "--sentinel", stale,
            "--from", kernel73.BzImage, "--append", GoCommandLine);

        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.False(File.Exists(stale));
        Assert.Contains("no reboot required", run.Stdout);
        Assert.Contains("is already the newest", run.Stdout);
        Assert.Contains($"removed {stale}", run.Stdout);
    }

    [Fact]
    public async Task A_newer_but_no_go_kernel_exits_11_and_must_not_leave_a_sentinel_for_kured()
    {
        string stale = StaleSentinel();
        // Without kho=on liveupdate=on the next kernel would boot without the handover: NO-GO.
        var run = await RunAsync(TimeSpan.FromMinutes(2), "reboot-required", "--kernel", kernel73.BzImage, "--sentinel", stale,
            "--from", kernel72.BzImage, "--append", "console=ttyS0");

        Assert.Equal(11, run.ExitCode);
        Assert.False(File.Exists(stale));
        Assert.Contains("NO-GO, so kured must not reboot for it", run.Stderr);
        Assert.Contains("cmdline-kho", run.Stderr);
    }

    [Fact]
    public async Task An_unreadable_candidate_or_an_empty_boot_directory_exits_12()
    {
        string stale = StaleSentinel();
        string junk = Path.Combine(directory, "vmlinuz-9.9.9");
        await File.WriteAllTextAsync(junk, "not a kernel");
        var unreadable = await RunAsync("reboot-required", "--kernel", junk, "--sentinel", stale, "--from", kernel72.BzImage, "--append", GoCommandLine);
        Assert.Equal(12, unreadable.ExitCode);
        Assert.Contains("cannot read the kernel image", unreadable.Stderr);
        Assert.False(File.Exists(stale));

        string empty = Directory.CreateDirectory(Path.Combine(directory, "empty-boot")).FullName;
        var none = await RunAsync("reboot-required", "--boot-dir", empty, "--sentinel", Sentinel, "--from", kernel72.BzImage);
        Assert.Equal(12, none.ExitCode);
        Assert.Contains($"no vmlinuz-* in {empty}", none.Stderr);
    }

    [Fact]
    public async Task Clear_removes_the_sentinel_and_a_missing_directory_is_exit_1_naming_it()
    {
        string stale = StaleSentinel();
        var clear = await RunAsync("reboot-required", "--clear", "--sentinel", stale);
        Assert.Equal(0, clear.ExitCode);
        Assert.Equal($"removed {stale}\n", clear.Stdout);
        Assert.False(File.Exists(stale));
        var again = await RunAsync("reboot-required", "--clear", "--sentinel", stale);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal($"no {stale} to remove\n", again.Stdout);

        string nowhere = Path.Combine(directory, "no-such-dir", "reboot-required");
        var unwritable = await RunAsync(TimeSpan.FromMinutes(2), "reboot-required", "--kernel", kernel73.BzImage, "--sentinel", nowhere,
            "--from", kernel72.BzImage, "--append", GoCommandLine);
        Assert.Equal(1, unwritable.ExitCode);
        Assert.StartsWith($"luoctl: cannot write the reboot sentinel {nowhere}: ", unwritable.Stderr);
        Assert.Contains("exist", unwritable.Stderr);
    }
}
