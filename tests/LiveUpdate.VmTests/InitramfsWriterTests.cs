// InitramfsWriterTests: writes small newc archives with InitramfsWriter and checks them with the
// system cpio (list + extract): names, bytes, permissions, symlinks, padding and the trailer.
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.GuestImage;

namespace LiveUpdate.VmTests;

[UnsupportedOSPlatform("windows")]
public sealed class InitramfsWriterTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("luvm-cpio-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Archive_extracts_with_system_cpio_to_the_same_bytes_and_modes()
    {
        var hostFile = Path.Combine(directory, "host.bin");
        var hostBytes = Enumerable.Range(0, 70_001).Select(i => (byte)(i * 31)).ToArray();
        await File.WriteAllBytesAsync(hostFile, hostBytes);
        var archive = Path.Combine(directory, "test.cpio");

        await using (var writer = InitramfsWriter.Create(archive))
        {
            await writer.AddDirectoryAsync("bin");
            await writer.AddDirectoryAsync("tmp", 0x3FF);
            await writer.AddFileAsync("init", Encoding.ASCII.GetBytes("#!/bin/sh\necho hi\n"), 0x1ED);
            await writer.AddFileAsync("etc/empty", ReadOnlyMemory<byte>.Empty, 0x1A4);
            await writer.AddFileFromHostAsync("/opt/deep/nested/host.bin", hostFile, 0x1A4);
            await writer.AddFileAsync("odd", "abc"u8.ToArray(), 0x180);
            await writer.AddSymlinkAsync("bin/sh", "busybox");
            await writer.FinishAsync();
            Assert.Equal(0, writer.Length % 4);
        }

        var listing = await CpioAsync(directory, archive, "-t");
        Assert.Equal(
            new[] { "bin", "tmp", "init", "etc", "etc/empty", "opt", "opt/deep", "opt/deep/nested", "opt/deep/nested/host.bin", "odd", "bin/sh" },
            listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var root = Path.Combine(directory, "root");
        Directory.CreateDirectory(root);
        await CpioAsync(root, archive, "-idv", "--no-absolute-filenames");

        Assert.Equal("#!/bin/sh\necho hi\n", await File.ReadAllTextAsync(Path.Combine(root, "init")));
        Assert.Equal(hostBytes, await File.ReadAllBytesAsync(Path.Combine(root, "opt/deep/nested/host.bin")));
        Assert.Equal("abc", await File.ReadAllTextAsync(Path.Combine(root, "odd")));
        Assert.Empty(await File.ReadAllBytesAsync(Path.Combine(root, "etc/empty")));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(root, "init")));
        Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(Path.Combine(root, "opt/deep/nested/host.bin")));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(root, "odd")));
        Assert.Equal((UnixFileMode)0x3FF, File.GetUnixFileMode(Path.Combine(root, "tmp")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(root, "bin/sh")).LinkTarget);
    }

    [Fact]
    public async Task Headers_are_newc_and_the_archive_ends_with_the_trailer()
    {
        using var stream = new MemoryStream();
        await using (var writer = new InitramfsWriter(stream))
        {
            await writer.AddFileAsync("a", "x"u8.ToArray(), 0x1A4);
            await writer.FinishAsync();
        }
        var text = Encoding.ASCII.GetString(stream.ToArray());
        Assert.StartsWith("070701", text);
        Assert.Contains("TRAILER!!!\0", text);
        Assert.Equal(0, stream.Length % 4);
        // First header: ino 1, mode 0100644, filesize 1, namesize 2 ("a\0").
        Assert.Equal("00000001" + "000081a4", text.Substring(6, 16));
        Assert.Equal("00000001", text.Substring(6 + 6 * 8, 8));
        Assert.Equal("00000002", text.Substring(6 + 11 * 8, 8));
    }

    [Fact]
    public async Task Character_devices_are_listed_as_such()
    {
        var archive = Path.Combine(directory, "dev.cpio");
        await using (var writer = InitramfsWriter.Create(archive))
        {
            await writer.AddCharacterDeviceAsync("dev/console", 0x180, 5, 1);
            await writer.FinishAsync();
        }
        var listing = await CpioAsync(directory, archive, "-tv");
        var line = listing.Split('\n').Single(l => l.EndsWith("dev/console", StringComparison.Ordinal));
        Assert.StartsWith("crw-------", line);
        Assert.Contains("5,", line);
    }

    [Fact]
    public async Task Adding_a_path_twice_or_with_dot_dot_is_refused()
    {
        using var stream = new MemoryStream();
        await using var writer = new InitramfsWriter(stream);
        await writer.AddFileAsync("a", "x"u8.ToArray(), 0x1A4);
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.AddFileAsync("/a", "y"u8.ToArray(), 0x1A4));
        await Assert.ThrowsAsync<ArgumentException>(() => writer.AddFileAsync("b/../c", "y"u8.ToArray(), 0x1A4));
    }

    private static async Task<string> CpioAsync(string workingDirectory, string archive, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("cpio")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await using (var input = File.OpenRead(archive))
        {
            await input.CopyToAsync(process.StandardInput.BaseStream);
        }
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"cpio {string.Join(' ', arguments)} failed: {await stderr}");
        return await stdout;
    }
}
