// HostPrerequisites: checks up front that the host tools a step needs are installed, so a fresh
// machine fails with one line naming the missing pieces and the install script, not mid-build.
namespace LiveUpdate.VmHarness;

public static class HostPrerequisites
{
    public const string InstallHint = "Install them with `sudo vm/install-deps.sh` (from the repo root).";

    public static readonly IReadOnlyList<string> KernelBuildTools = ["make", "gcc", "flex", "bison", "bc", "tar", "xz", "dpkg-deb", "apt-get", "apt-cache"];

    public static readonly IReadOnlyList<string> KernelBuildFiles =
    [
        "/usr/include/libelf.h",
        "/usr/include/openssl/ssl.h",
        "/usr/lib/x86_64-linux-gnu/libc.a",
    ];

    public static readonly IReadOnlyList<string> VmRunTools = ["qemu-system-x86_64", "ldd"];

    public static readonly IReadOnlyList<string> VmRunFiles = ["/bin/busybox"];

    /// <summary>Throws naming every tool (searched in $PATH) and file that is missing.</summary>
    public static void Require(string what, IEnumerable<string> tools, IEnumerable<string> files)
    {
        var missing = tools.Where(t => FindInPath(t) is null)
            .Concat(files.Where(f => !File.Exists(f)))
            .ToArray();
        if (missing.Length > 0)
        {
            throw new HarnessException($"{what} needs {string.Join(", ", missing)}, which are missing. {InstallHint}");
        }
    }

    /// <summary>The full path of <paramref name="tool"/> in $PATH, or null.</summary>
    public static string? FindInPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
}
