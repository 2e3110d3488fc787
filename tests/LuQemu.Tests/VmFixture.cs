// VmFixture: what luqemu's host tests boot — the harness's cached 7.3 guest kernel (test.sh builds
// it before the tests run) and an initramfs of busybox + vm/vm-guest-init.sh, made with cpio —
// and the host's own QEMU from Debian (qemu-system-x86, installed by vm/install-deps.sh).
using System.Diagnostics;
using LiveUpdate.Testing;

namespace LuQemu.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VmFixture : IDisposable
{
    public VmFixture()
    {
        var layout = KernelCacheLayout.FromEnvironment();
        Kernel = layout.Kernels("7.3").FirstOrDefault()?.BzImage
            ?? throw new InvalidOperationException($"no 7.3 guest kernel in {layout.KernelsDirectory}: run `dotnet run --project src/LiveUpdate.VmHarness -- kernels --series 7.3` (test.sh does) first");
        if (!File.Exists(LuQemu.VmDefinition.DebianQemu)) throw new InvalidOperationException($"{LuQemu.VmDefinition.DebianQemu} is missing: run vm/install-deps.sh");
        Directory = Path.Combine(Path.GetTempPath(), $"luqemu-tests-{Environment.ProcessId}");
        string root = Path.Combine(Directory, "root");
        System.IO.Directory.CreateDirectory(Path.Combine(root, "bin"));
        foreach (var dir in new[] { "proc", "dev", "tmp" }) System.IO.Directory.CreateDirectory(Path.Combine(root, dir));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
        File.Copy(Path.Combine(RepositoryRoot(), "vm", "vm-guest-init.sh"), Path.Combine(root, "init"));
        File.SetUnixFileMode(Path.Combine(root, "init"), (UnixFileMode)0x1ED);
        Initrd = Path.Combine(Directory, "vm-guest.cpio");
        var cpio = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"cd '{root}' && find . | cpio -o -H newc --quiet > '{Initrd}'"]))!;
        cpio.WaitForExit();
        if (cpio.ExitCode != 0) throw new InvalidOperationException("cpio failed to write the VM's initramfs (is cpio installed? vm/install-deps.sh)");
    }

    public string Kernel { get; }
    public string Initrd { get; }
    public string Directory { get; }

    public LuQemu.VmDefinition Vm(int ramMib) => new(ramMib, 1, Kernel, Initrd, "console=ttyS0 quiet");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "LiveUpdate.sln"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository (LiveUpdate.sln) above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
