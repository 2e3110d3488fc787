// KernelSource: an extracted Debian linux-source tree ready to build (series "7.2", the Debian
// package version it came from, and the tree's path in the cache).
namespace LiveUpdate.VmHarness.Kernels;

public sealed record KernelSource(string Series, string PackageVersion, string TreePath);
