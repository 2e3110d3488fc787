// DebianKernelImage: a Debian binary kernel image (vmlinuz) of one series, as fetched by
// DebianKernelImageFetcher — the package it came from and where its vmlinuz lies in the cache.
namespace LiveUpdate.VmHarness.Kernels;

public sealed record DebianKernelImage(string Series, string Package, string PackageVersion, string Vmlinuz);
