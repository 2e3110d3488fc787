// InitramfsBuilder: lays out the guest's root filesystem as one newc archive: /init, busybox,
// the standard mount points, /opt/liveupdate (lu-guest, luoctl, luod, lucache), their shared
// libraries, /boot/<tag>/{bzImage,release} for every kernel in the chain, and the scenario's
// extras: /opt/selftests/<tag>/ (kernel-selftests) and host tools in /bin with their libraries (criu).
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public static class InitramfsBuilder
{
    private const int Executable = 0x1ED;     // 0755
    private const int Readable = 0x1A4;       // 0644
    private const int StickyWorld = 0x3FF;    // 01777

    /// <summary>Writes the archive to <paramref name="outputPath"/> and returns its size in bytes.</summary>
    public static async Task<long> BuildAsync(InitramfsContents contents, string outputPath, CancellationToken cancellationToken)
    {
        foreach (var required in new[] { contents.InitScript, contents.Busybox })
        {
            if (!File.Exists(required))
            {
                throw new HarnessException(
                    required == contents.Busybox
                        ? $"{required} is missing; the guest's shell comes from Debian's busybox-static. {HostPrerequisites.InstallHint}"
                        : $"{required} is missing; restore vm/guest-init.sh from git.");
            }
        }

        await using var writer = InitramfsWriter.Create(outputPath);
        foreach (var directory in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "run", "root", "etc", "mnt" })
        {
            await writer.AddDirectoryAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        await writer.AddDirectoryAsync("tmp", StickyWorld, cancellationToken).ConfigureAwait(false);
        // The kernel opens /dev/console for /init before anything is mounted.
        await writer.AddCharacterDeviceAsync("dev/console", 0x180 /* 0600 */, 5, 1, cancellationToken).ConfigureAwait(false);
        await writer.AddCharacterDeviceAsync("dev/null", 0x1B6 /* 0666 */, 1, 3, cancellationToken).ConfigureAwait(false);
        await writer.AddFileAsync("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"u8.ToArray(), Readable, cancellationToken).ConfigureAwait(false);
        await writer.AddFileAsync("etc/group", "root:x:0:\n"u8.ToArray(), Readable, cancellationToken).ConfigureAwait(false);

        await writer.AddFileFromHostAsync("init", contents.InitScript, Executable, cancellationToken).ConfigureAwait(false);
        await writer.AddFileFromHostAsync("bin/busybox", contents.Busybox, Executable, cancellationToken).ConfigureAwait(false);

        foreach (var (app, directory) in contents.Payload.Apps.Where(a => a.App.OnlyForScenario is null || a.App.OnlyForScenario == contents.Extras.Scenario))
        {
            await AddTreeAsync(writer, directory, $"{GuestPayload.GuestDirectory}/{app.Subdirectory}", executablesOnly: false, cancellationToken).ConfigureAwait(false);
            await writer.AddSymlinkAsync($"{GuestPayload.GuestDirectory}/{app.Executable}", $"{app.Subdirectory}/{app.Executable}", cancellationToken).ConfigureAwait(false);
        }
        foreach (var library in contents.Payload.Libraries.Concat(contents.Extras.ToolLibraries).DistinctBy(l => l.GuestPath))
        {
            await writer.AddFileFromHostAsync(library.GuestPath, library.HostPath, Executable, cancellationToken).ConfigureAwait(false);
        }
        // At /bin, ahead of busybox's applet of the same name (busybox --install keeps existing files).
        foreach (var tool in contents.Extras.Tools)
        {
            await writer.AddFileFromHostAsync($"bin/{Path.GetFileName(tool)}", tool, Executable, cancellationToken).ConfigureAwait(false);
        }

        foreach (var kernel in contents.Kernels.DistinctBy(k => k.Series))
        {
            await writer.AddFileFromHostAsync($"boot/{kernel.Series}/bzImage", kernel.BzImage, Readable, cancellationToken).ConfigureAwait(false);
            await writer.AddFileFromHostAsync($"boot/{kernel.Series}/release", kernel.ReleaseFile, Readable, cancellationToken).ConfigureAwait(false);
            if (contents.Extras.KernelSelftests && Directory.Exists(kernel.SelftestsDirectory))
            {
                await AddTreeAsync(writer, kernel.SelftestsDirectory, $"opt/selftests/{kernel.Series}", executablesOnly: true, cancellationToken).ConfigureAwait(false);
            }
        }

        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
        return writer.Length;
    }

    /// <summary>Copies a host directory tree; files keep execute permission if the host file has it (or all are 0755).</summary>
    private static async Task AddTreeAsync(InitramfsWriter writer, string hostDirectory, string guestDirectory, bool executablesOnly, CancellationToken cancellationToken)
    {
        await writer.AddDirectoryAsync(guestDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var file in Directory.EnumerateFiles(hostDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(hostDirectory, file);
            var mode = executablesOnly || (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0) ? Executable : Readable;
            await writer.AddFileFromHostAsync($"{guestDirectory}/{relative}", file, mode, cancellationToken).ConfigureAwait(false);
        }
    }
}
