// PreparedKernel: a finished, cached guest kernel build (bzImage, config, release, uapi headers
// and the statically linked LUO selftests) for one series, as found in cache/kernels/<key>/.
namespace LiveUpdate.VmHarness.Kernels;

public sealed record PreparedKernel(string Series, string PackageVersion, string Release, string Directory)
{
    public string BzImage => Path.Combine(Directory, "bzImage");

    public string Config => Path.Combine(Directory, "config");

    public string ReleaseFile => Path.Combine(Directory, "release");

    public string HeadersDirectory => Path.Combine(Directory, "headers");

    public string SelftestsDirectory => Path.Combine(Directory, "selftests");
}
