// CachedKernel: one finished guest kernel build in the harness cache, as KernelCacheLayout finds it.
namespace LiveUpdate.Testing;

/// <summary>A finished guest kernel build of the harness: kernels/&lt;series&gt;-&lt;package-version&gt;-&lt;fragment-sha12&gt;/.</summary>
/// <param name="Series">The kernel series, e.g. "7.3".</param>
/// <param name="PackageVersion">The Debian linux-source package version it was built from.</param>
/// <param name="FragmentKey">The first 12 hex digits of the SHA-256 of the vm/kernel.fragment it was built with.</param>
/// <param name="Release">Its `uname -r`.</param>
/// <param name="Directory">The build's cache directory.</param>
public sealed record CachedKernel(string Series, string PackageVersion, string FragmentKey, string Release, string Directory)
{
    /// <summary>The bootable image.</summary>
    public string BzImage => Path.Combine(Directory, "bzImage");

    /// <summary>The kernel's .config.</summary>
    public string Config => Path.Combine(Directory, "config");
}
