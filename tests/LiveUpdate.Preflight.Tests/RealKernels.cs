// RealKernels: the xunit collection fixture "kernels" — the 7.2 and 7.3 kernels our VM harness
// builds with this checkout's vm/kernel.fragment (found through LiveUpdate.Testing's
// KernelCacheLayout, so $LIVEUPDATE_CACHE is respected; cached by `luvm kernels`), their
// extracted source trees (for scripts/xz_wrap.sh), Debian's own 7.2 vmlinuz
// (`luvm debian-kernel`), and scratch space for fixtures built from them. Nothing is built
// here: a kernel that is not cached fails the fixture with the luvm command that makes it.
using LiveUpdate.Testing;

namespace LiveUpdate.Preflight.Tests;

public sealed class RealKernels : IDisposable
{
    public const string CollectionName = "kernels";

    private readonly Lazy<byte[]> _decompressed73;
    private readonly Lazy<byte[]> _xzWrapped73;

    public RealKernels()
    {
        Cache = KernelCacheLayout.FromEnvironment();
        string fragmentKey = KernelCacheLayout.FragmentKeyOf(KernelFragment());
        Kernel72 = Cache.Kernel("7.2", fragmentKey);
        Kernel73 = Cache.Kernel("7.3", fragmentKey);
        Debian72 = Cache.DebianKernel("7.2");
        WorkDirectory = Directory.CreateTempSubdirectory("preflight-tests-").FullName;
        _decompressed73 = new(() => PayloadDecompressor.Decompress(BzImage.Read(Kernel73.BzImage).Payload).Kernel
            ?? throw new InvalidOperationException("the 7.3 payload did not decompress"));
        _xzWrapped73 = new(() => KernelCompressor.Compress(PayloadCompression.Xz, Decompressed73, XzWrap));
    }

    public KernelCacheLayout Cache { get; }

    public CachedKernel Kernel72 { get; }

    public CachedKernel Kernel73 { get; }

    public CachedDebianKernel Debian72 { get; }

    public string WorkDirectory { get; }

    /// <summary>The decompressed payload (vmlinux.bin + relocs) of the 7.3 bzImage.</summary>
    public byte[] Decompressed73 => _decompressed73.Value;

    /// <summary>The 7.3 payload recompressed as the kernel build does for CONFIG_KERNEL_XZ (with the size trailer); made once, it is slow.</summary>
    public byte[] XzWrapped73 => _xzWrapped73.Value;

    /// <summary>scripts/xz_wrap.sh of the 7.3 source tree the harness built from.</summary>
    public string XzWrap => Path.Combine(Cache.ExtractedSourceTree(Kernel73.PackageVersion, Kernel73.Series), "scripts", "xz_wrap.sh");

    public string NewPath(string name) => Path.Combine(WorkDirectory, $"{Guid.NewGuid():N}-{name}");

    /// <summary>vm/kernel.fragment of the checkout these tests were built from.</summary>
    private static string KernelFragment()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string fragment = Path.Combine(directory.FullName, "vm", "kernel.fragment");
            if (File.Exists(Path.Combine(directory.FullName, "LiveUpdate.sln")) && File.Exists(fragment)) return fragment;
        }
        throw new FileNotFoundException($"No LiveUpdate checkout (LiveUpdate.sln and vm/kernel.fragment) above {AppContext.BaseDirectory}.");
    }

    public void Dispose() => Directory.Delete(WorkDirectory, recursive: true);
}

[CollectionDefinition(RealKernels.CollectionName)]
public sealed class RealKernelsCollection : ICollectionFixture<RealKernels>
{
}
