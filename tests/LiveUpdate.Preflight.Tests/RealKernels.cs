// RealKernels: the xunit collection fixture "kernels" — the 7.2 and 7.3 kernels our VM harness
// builds (found through ScenarioHarness/HarnessCache, so $LIVEUPDATE_CACHE is respected; cached after
// `luvm kernels`), their extracted source trees (for scripts/xz_wrap.sh), Debian's own 7.2
// vmlinuz (`luvm debian-kernel`), and scratch space for fixtures built from them.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Kernels;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.Preflight.Tests;

public sealed class RealKernels : IDisposable
{
    public const string CollectionName = "kernels";

    private readonly Lazy<byte[]> _decompressed73;

    public RealKernels()
    {
        var harness = ScenarioHarness.FromEnvironment();
        Cache = harness.Cache;
        Kernel72 = harness.EnsureKernelAsync("7.2", packageVersion: null, progress: null, CancellationToken.None).GetAwaiter().GetResult();
        Kernel73 = harness.EnsureKernelAsync("7.3", packageVersion: null, progress: null, CancellationToken.None).GetAwaiter().GetResult();
        Debian72 = new DebianKernelImageFetcher(Cache, null).FetchAsync("7.2", CancellationToken.None).GetAwaiter().GetResult();
        WorkDirectory = Directory.CreateTempSubdirectory("preflight-tests-").FullName;
        _decompressed73 = new(() => PayloadDecompressor.Decompress(BzImage.Read(Kernel73.BzImage).Payload).Kernel
            ?? throw new InvalidOperationException("the 7.3 payload did not decompress"));
    }

    public HarnessCache Cache { get; }

    public PreparedKernel Kernel72 { get; }

    public PreparedKernel Kernel73 { get; }

    public DebianKernelImage Debian72 { get; }

    public string WorkDirectory { get; }

    /// <summary>The decompressed payload (vmlinux.bin + relocs) of the 7.3 bzImage.</summary>
    public byte[] Decompressed73 => _decompressed73.Value;

    /// <summary>scripts/xz_wrap.sh of the 7.3 source tree the harness built from.</summary>
    public string XzWrap => Path.Combine(Cache.ExtractedSourceTree(Kernel73.PackageVersion, Kernel73.Series), "scripts", "xz_wrap.sh");

    public string NewPath(string name) => Path.Combine(WorkDirectory, $"{Guid.NewGuid():N}-{name}");

    public void Dispose() => Directory.Delete(WorkDirectory, recursive: true);
}

[CollectionDefinition(RealKernels.CollectionName)]
public sealed class RealKernelsCollection : ICollectionFixture<RealKernels>
{
}
