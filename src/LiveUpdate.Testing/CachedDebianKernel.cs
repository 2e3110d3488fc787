// CachedDebianKernel: Debian's own kernel image of a series in the harness cache (`luvm debian-kernel`),
// as KernelCacheLayout finds it: a distribution kernel built without KHO/LUO.
namespace LiveUpdate.Testing;

/// <summary>Debian's own binary kernel of a series: debian-kernels/&lt;series&gt;-&lt;version&gt;/.</summary>
/// <param name="Series">The kernel series, e.g. "7.2".</param>
/// <param name="Package">The linux-image-&lt;abi&gt;-amd64 package it came from.</param>
/// <param name="PackageVersion">That package's version.</param>
/// <param name="Vmlinuz">The image.</param>
public sealed record CachedDebianKernel(string Series, string Package, string PackageVersion, string Vmlinuz);
