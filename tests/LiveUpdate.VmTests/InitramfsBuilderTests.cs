// InitramfsBuilderTests: the guest root filesystem has the layout of docs/vm-harness.md: /init,
// busybox, mount points, /opt/liveupdate/<app> symlinks into per-app directories, the libraries,
// and /boot/<tag>/ plus /opt/selftests/<tag>/ for each distinct kernel of the chain.
using System.Diagnostics;
using LiveUpdate.VmHarness;

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
            Path.Combine(directory, "publish"),
            [new GuestApp("lu-guest", "guest", "g.csproj"), new GuestApp("luoctl", "cli", "c.csproj")],
            [new GuestLibrary(library, "/lib/x86_64-linux-gnu/libfake.so.1")]);
        var archive = Path.Combine(directory, "initramfs.cpio");

        var size = await InitramfsBuilder.BuildAsync(new InitramfsContents(init, busybox, payload, kernels), archive, CancellationToken.None);

        Assert.Equal(new FileInfo(archive).Length, size);
        var listing = (await ListAsync(archive)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] expected =
        [
            "init", "bin/busybox", "dev/console", "proc", "sys", "tmp", "run",
            "opt/liveupdate/guest/lu-guest", "opt/liveupdate/guest/lu-guest.dll", "opt/liveupdate/cli/luoctl",
            "lib/x86_64-linux-gnu/libfake.so.1",
            "boot/7.2/bzImage", "boot/7.2/release", "boot/7.3/bzImage", "boot/7.3/release",
            "opt/selftests/7.2/liveupdate", "opt/selftests/7.3/liveupdate",
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
