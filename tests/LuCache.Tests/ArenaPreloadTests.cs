// ArenaPreload: the in-process fill `lucache serve --preload-mib` uses holds exactly the items
// `lucache load` would send (so `lucache verify` passes), survives an attach as after a kexec,
// and refuses an arena that is too small instead of storing part of the items.
using LiveUpdate.Kernel;

namespace LuCache.Tests;

public sealed class ArenaPreloadTests
{
    [Fact]
    public void A_preload_holds_every_generated_item_and_an_attached_engine_serves_them()
    {
        const ulong Seed = 4242;
        using var memfd = MemFd.Create("lucache-preload-test");
        memfd.SetSize(6 << 20);
        PreloadReport report;
        using (var backing = ArenaBacking.Open(memfd))
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            report = ArenaPreload.Fill(engine, 2, Seed);
            engine.FlushForFreeze();
        }
        Assert.Equal(ItemGenerator.CountFor(2, Seed), report.Items);
        Assert.True(report.ValueBytes >= 2 << 20);
        Assert.True(report.WriteOffset > report.ValueBytes);

        using var again = ArenaBacking.Open(memfd);
        using var attached = CacheEngine.Attach(again.Memory);
        Assert.Equal(report.Items, attached.AttachReport!.Items);
        for (int i = 0; i < report.Items; i++)
        {
            var value = attached.Get(ItemGenerator.Key(Seed, i), out var meta);
            Assert.NotNull(value);
            Assert.True(value.AsSpan().SequenceEqual(ItemGenerator.Value(Seed, i)), $"item {i} differs");
            Assert.Equal(ItemGenerator.Flags(Seed, i), meta.Flags);
        }
    }

    [Fact]
    public void A_preload_that_does_not_fit_fails_and_names_the_option()
    {
        using var backing = ArenaBacking.Create("lucache-preload-small", 1 << 20);
        using var engine = CacheEngine.Format(backing.Memory);
        var error = Assert.Throws<InvalidOperationException>(() => ArenaPreload.Fill(engine, 2, 1));
        Assert.Contains("--arena-mib", error.Message);
    }
}
