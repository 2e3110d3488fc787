// KernelCacheLayoutTests: LiveUpdate.Testing's read-only KernelCacheLayout (what the preflight
// tests find kernels with) names the same directories and fragment key the harness writes,
// and finds only finished builds of the wanted series and fragment.
using LiveUpdate.Testing;
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Kernels;

namespace LiveUpdate.VmTests;

public sealed class KernelCacheLayoutTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("luvm-layout-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Names_the_directories_the_harness_writes()
    {
        var harness = new HarnessCache(root);
        var layout = new KernelCacheLayout(root);
        Assert.Equal(harness.KernelsDirectory, layout.KernelsDirectory);
        Assert.Equal(harness.SourceDirectory, layout.SourceDirectory);
        Assert.Equal(harness.KernelDirectory("7.3", "7.3.4-1~bpo13+1", "0123456789ab"), layout.KernelDirectory("7.3", "7.3.4-1~bpo13+1", "0123456789ab"));
        Assert.Equal(harness.ExtractedSourceTree("7.2.13-1", "7.2"), layout.ExtractedSourceTree("7.2.13-1", "7.2"));
        Assert.Equal(new DebianKernelImageFetcher(harness, null).Directory, layout.DebianKernelsDirectory);
        Assert.Equal(HarnessCache.CacheEnvironmentVariable, KernelCacheLayout.CacheEnvironmentVariable);

        string fragment = Path.Combine(root, "kernel.fragment");
        File.WriteAllText(fragment, "CONFIG_KEXEC_HANDOVER=y\n");
        Assert.Equal(ContentHash.OfFile(fragment), KernelCacheLayout.FragmentKeyOf(fragment));
    }

    [Fact]
    public void Finds_only_finished_builds_of_the_series_and_fragment()
    {
        var layout = new KernelCacheLayout(root);
        Build(layout.KernelDirectory("7.3", "7.3.4-1~bpo13+1", "0123456789ab"), "7.3.4+lu", complete: true);
        Build(layout.KernelDirectory("7.3", "7.3.5-1", "0123456789ab"), "7.3.5+lu", complete: false);
        Build(layout.KernelDirectory("7.3", "7.3.4-1~bpo13+1", "ba9876543210"), "7.3.4+other", complete: true);
        Build(layout.KernelDirectory("7.2", "7.2.13-1", "0123456789ab"), "7.2.13+lu", complete: true);

        var kernel = layout.Kernel("7.3", "0123456789ab");
        Assert.Equal(("7.3", "7.3.4-1~bpo13+1", "0123456789ab", "7.3.4+lu"), (kernel.Series, kernel.PackageVersion, kernel.FragmentKey, kernel.Release));
        Assert.Equal(Path.Combine(kernel.Directory, "bzImage"), kernel.BzImage);
        Assert.Equal(2, layout.Kernels("7.3").Count);
        Assert.Throws<FileNotFoundException>(() => layout.Kernel("7.4"));
        Assert.Throws<FileNotFoundException>(() => layout.DebianKernel("7.2"));
    }

    private static void Build(string directory, string release, bool complete)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "release"), release + "\n");
        if (complete) File.WriteAllText(Path.Combine(directory, KernelCacheLayout.CompleteMarkerName), "done");
    }
}
