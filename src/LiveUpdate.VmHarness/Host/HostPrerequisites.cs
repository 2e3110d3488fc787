// HostPrerequisites: checks up front that the host programs and files a step needs are there, so a
// fresh machine fails with one line naming each missing piece, the Debian package that provides it
// and the install script, not half-way through a kernel build. The lists come from tracing a cold
// run on a fresh machine (every execve of `luvm kernels`, a demo and the tests, mapped with
// `dpkg -S`; docs/vm-harness.md, "Host packages"): what the fresh image lacks is in
// vm/install-deps.sh, and every program the harness itself starts is named here.
using LiveUpdate.VmHarness.Benchmarks;
using LiveUpdate.VmHarness.GuestImage;

namespace LiveUpdate.VmHarness.Host;

/// <summary>A host program (searched in $PATH) or file, and the Debian package that installs it.</summary>
public sealed record HostRequirement(string Name, string Package)
{
    public bool IsFile => Name.StartsWith('/');

    public bool IsPresent => IsFile ? File.Exists(Name) : HostPrerequisites.FindInPath(Name) is not null;
}

public static class HostPrerequisites
{
    public const string InstallHint = "Install them with `sudo vm/install-deps.sh` (from the repo root).";

    /// <summary>Fetching and unpacking Debian packages through the private apt configuration (kernel sources, Debian's kernel image).</summary>
    public static readonly IReadOnlyList<HostRequirement> PackageFetch =
    [
        new("apt-get", "apt"), new("apt-cache", "apt"), new("dpkg-deb", "dpkg"), new("tar", "tar"), new("xz", "xz-utils"),
        new("/usr/share/keyrings/debian-archive-keyring.gpg", "debian-archive-keyring"),
    ];

    /// <summary>Building tinyconfig kernels, their uapi headers and the static LUO selftests.</summary>
    public static readonly IReadOnlyList<HostRequirement> KernelBuild =
    [
        new("make", "make"), new("gcc", "gcc"), new("ld", "binutils"), new("flex", "flex"), new("bison", "bison"),
        new("bc", "bc"), new("openssl", "openssl"), new("pkg-config", "pkgconf"), new("diff", "diffutils"), new("awk", "mawk"),
        // `make headers_install` copies the uapi headers with rsync (the fresh image has none).
        new("rsync", "rsync"),
        new("/usr/include/libelf.h", "libelf-dev"),
        new("/usr/include/openssl/ssl.h", "libssl-dev"),
        new("/usr/lib/x86_64-linux-gnu/libc.a", "libc6-dev"),
    ];

    /// <summary>
    /// Publishing the guest's NativeAOT binaries: the ILCompiler links with the system's C toolchain
    /// (clang when it is on $PATH, else gcc) against libc and zlib.
    /// </summary>
    public static readonly IReadOnlyList<HostRequirement> NativePublish =
    [
        new("gcc", "gcc"), new("ld", "binutils"),
        new("/usr/lib/x86_64-linux-gnu/libc.a", "libc6-dev"),
        new("/usr/include/zlib.h", "zlib1g-dev"),
    ];

    /// <summary>Booting a scenario: QEMU, the guest's busybox, ldd for the libraries of the guest binaries.</summary>
    public static readonly IReadOnlyList<HostRequirement> VmRun =
    [
        new("qemu-system-x86_64", "qemu-system-x86"), new("ldd", "libc-bin"),
        new("/bin/busybox", "busybox-static"),
    ];

    /// <summary>Every requirement of every step, and the programs single steps check for themselves (vm/install-deps.sh installs all of their packages).</summary>
    public static IEnumerable<HostRequirement> All =>
    [
        .. PackageFetch, .. KernelBuild, .. NativePublish, .. VmRun,
        InitramfsCompressor.Lz4Tool, BlackoutBenchmark.Mkfs, DebianRootTree.Mmdebstrap,
        PrometheusServer.Program,
        // The initramfs tests list archives with cpio -t.
        new("cpio", "cpio"),
    ];

    /// <summary>Throws naming every program and file of <paramref name="requirements"/> that is missing, with its package.</summary>
    public static void Require(string what, IEnumerable<HostRequirement> requirements)
    {
        var missing = requirements.Where(r => !r.IsPresent).ToArray();
        if (missing.Length > 0)
        {
            var names = string.Join(", ", missing.Select(r => $"{r.Name} (package {r.Package})"));
            var packages = string.Join(' ', missing.Select(r => r.Package).Distinct());
            throw new HarnessException($"{what} needs {names}, which {(missing.Length == 1 ? "is" : "are")} missing. {InstallHint} (or `apt-get install {packages}`)");
        }
    }

    /// <summary>The full path of <paramref name="tool"/> in $PATH, or null.</summary>
    public static string? FindInPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
