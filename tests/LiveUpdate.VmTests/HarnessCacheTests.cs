// HarnessCacheTests: the cache layout matches docs/vm-harness.md, run directories are unique,
// and the cache lock keeps a second holder waiting until the first lets go.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmTests;

public sealed class HarnessCacheTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("luvm-cache-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Layout_matches_the_contract()
    {
        var cache = new HarnessCache(root);
        Assert.Equal(Path.Combine(root, "apt"), cache.AptDirectory);
        Assert.Equal(Path.Combine(root, "src", "7.2.13-1", "linux-source-7.2"), cache.ExtractedSourceTree("7.2.13-1", "7.2"));
        Assert.Equal(Path.Combine(root, "kernels", "7.3-7.3.4-1~bpo13+1-0123456789ab"), cache.KernelDirectory("7.3", "7.3.4-1~bpo13+1", "0123456789ab"));
        Assert.Equal(Path.Combine(root, "guest", "daemon-abcdefabcdef"), cache.GuestAppDirectory("daemon", "abcdefabcdef"));
    }

    [Fact]
    public void Run_directories_are_unique_and_named_after_time_and_scenario()
    {
        var cache = new HarnessCache(root);
        var at = new DateTimeOffset(2026, 11, 22, 3, 4, 5, TimeSpan.Zero);
        var first = cache.CreateRunDirectory("memfd-roundtrip", at);
        var second = cache.CreateRunDirectory("memfd-roundtrip", at);
        Assert.Equal(Path.Combine(root, "runs", "20261122-030405-memfd-roundtrip"), first);
        Assert.NotEqual(first, second);
        Assert.True(Directory.Exists(second));
    }

    [Fact]
    public void Pruning_keeps_the_newest_entries_and_the_protected_one()
    {
        var parent = Path.Combine(root, "guest");
        var names = new[] { "a", "b", "c", "d", ".artifacts" };
        for (var i = 0; i < names.Length; i++)
        {
            var entry = Directory.CreateDirectory(Path.Combine(parent, names[i]));
            File.WriteAllText(entry.FullName + ".log", "log");
            entry.LastWriteTimeUtc = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(i);
        }

        HarnessCache.PruneOldest(parent, 2, name => !name.StartsWith('.'), protect: Path.Combine(parent, "a"));

        Assert.Equal(new[] { ".artifacts", "a", "c", "d" }, Directory.GetDirectories(parent).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(parent, "b.log")));
    }

    [Fact]
    public async Task The_lock_waits_for_the_holder()
    {
        var path = Path.Combine(root, "locks", "test.lock");
        var first = await CacheLock.AcquireAsync(path, "test", null, CancellationToken.None);
        var second = CacheLock.AcquireAsync(path, "test", null, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(second.IsCompleted);
        first.Dispose();
        using var acquired = await second.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void The_fragment_hash_is_twelve_hex_digits()
    {
        var file = Path.Combine(root, "fragment");
        File.WriteAllText(file, "CONFIG_X=y\n");
        var hash = ContentHash.OfFile(file);
        Assert.Matches("^[0-9a-f]{12}$", hash);
        File.WriteAllText(file, "CONFIG_X=n\n");
        Assert.NotEqual(hash, ContentHash.OfFile(file));
    }
}
