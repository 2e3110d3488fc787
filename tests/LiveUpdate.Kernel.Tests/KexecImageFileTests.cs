// KexecImageFileTests: every way a kernel or initrd path can be wrong is refused before
// kexec_file_load, as a KexecLoadException carrying the errno the kernel would have given
// and a message that names the file and the fix — never .NET's "Could not find a part of
// the path". Real files, directories and FIFOs in a temporary directory.
using LiveUpdate.Kernel.Errors;
using static LiveUpdate.Kernel.Interop.Errno;

namespace LiveUpdate.Kernel.Tests;

public sealed class KexecImageFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kexec-image-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Image(string name = "vmlinuz", int size = 4096, bool header = true)
    {
        var bytes = new byte[size];
        if (header && size >= 0x206) "HdrS"u8.CopyTo(bytes.AsSpan(0x202));
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static KexecLoadException Refusal(string path, KexecFileRole role, int errno, string meminfo = "/proc/meminfo")
    {
        var error = Assert.Throws<KexecLoadException>(() => KexecImageFile.Open(path, role, meminfo).Dispose());
        Assert.Equal(KernelOperation.KexecLoad, error.Operation);
        Assert.Equal(errno, error.Errno);
        Assert.DoesNotContain("Could not find a part of the path", error.Message);
        return error;
    }

    [Fact]
    public void A_bzImage_with_the_boot_header_opens()
    {
        using var handle = KexecImageFile.Open(Image(), KexecFileRole.Kernel);
        Assert.False(handle.IsInvalid);
        KexecImageFile.Check(Image("k2"), Image("initrd", header: false));
    }

    [Fact]
    public void A_missing_file_and_a_missing_directory_name_the_path()
    {
        string missing = Path.Combine(_directory, "vmlinuz-7.9");
        Assert.Contains($"{missing} does not exist", Refusal(missing, KexecFileRole.Kernel, ENOENT).Message);
        string underMissingDirectory = Path.Combine(_directory, "no-such-dir", "vmlinuz");
        Assert.Contains(underMissingDirectory, Refusal(underMissingDirectory, KexecFileRole.Kernel, ENOENT).Message);
        string initrd = Path.Combine(_directory, "initrd.img");
        var error = Refusal(initrd, KexecFileRole.Initrd, ENOENT);
        Assert.Contains("initrd", error.Message);
        Assert.Contains("or none", error.Message);
    }

    [Fact]
    public void A_directory_a_fifo_and_a_path_through_a_file_are_refused()
    {
        Assert.Contains("is a directory", Refusal(_directory, KexecFileRole.Kernel, EISDIR).Message);
        string fifo = Path.Combine(_directory, "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.Contains("a FIFO", Refusal(fifo, KexecFileRole.Initrd, EINVAL).Message); // opened without blocking
        Refusal(Path.Combine(Image(), "x"), KexecFileRole.Kernel, ENOTDIR);
        Assert.Contains("character device", Refusal("/dev/null", KexecFileRole.Kernel, EINVAL).Message);
    }

    [Fact]
    public void Empty_relative_and_nul_paths_are_refused_before_any_open()
    {
        Assert.Contains("empty", Refusal("", KexecFileRole.Kernel, ENOENT).Message);
        Assert.Contains("relative", Refusal("boot/vmlinuz", KexecFileRole.Kernel, EINVAL).Message);
        Refusal("/boot/vm\0linuz", KexecFileRole.Kernel, EINVAL);
    }

    [Fact]
    public void An_empty_file_and_a_file_without_the_boot_header_are_not_kernels()
    {
        Assert.Contains("is empty", Refusal(Image("empty", size: 0), KexecFileRole.Kernel, ENOEXEC).Message);
        Assert.Contains("HdrS", Refusal(Image("vmlinux", header: false), KexecFileRole.Kernel, ENOEXEC).Message);
        Assert.Contains("HdrS", Refusal(Image("tiny", size: 100), KexecFileRole.Kernel, ENOEXEC).Message);
        // An initrd has no header to check.
        using (KexecImageFile.Open(Image("initrd", header: false), KexecFileRole.Initrd)) { }
    }

    [Fact]
    public void A_file_larger_than_the_memory_available_is_refused_with_both_sizes()
    {
        string meminfo = Path.Combine(_directory, "meminfo");
        File.WriteAllText(meminfo, "MemTotal:       16384 kB\nMemFree:            4 kB\nMemAvailable:       2 kB\n");
        var error = Refusal(Image("initrd", size: 8192, header: false), KexecFileRole.Initrd, ENOMEM, meminfo);
        Assert.Contains("is 8 KiB, more than the 2 KiB of memory available (MemAvailable)", error.Message);
        // Unknown MemAvailable leaves the decision to the kernel.
        File.WriteAllText(meminfo, "MemTotal: 1 kB\n");
        using (KexecImageFile.Open(Image("initrd2", size: 8192, header: false), KexecFileRole.Initrd, meminfo)) { }
    }
}
