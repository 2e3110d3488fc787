// SeededVerifier and the server's verify-seeded command: an in-process check of the generated
// items finds nothing missing or wrong on a preloaded arena, and counts exactly one missing and
// one wrong item when one is deleted and one overwritten — both directly and over the protocol.
using System.Diagnostics;
using Xunit.Abstractions;

namespace LuCache.Tests;

public sealed class SeededVerifierTests(ITestOutputHelper output)
{
    private const ulong Seed = 77;

    [Fact]
    public void A_preloaded_arena_verifies_completely()
    {
        using var backing = ArenaBacking.Create("lucache-verify-ok", 6 << 20);
        using var engine = CacheEngine.Format(backing.Memory);
        var preload = ArenaPreload.Fill(engine, 2, Seed);

        var report = SeededVerifier.Verify(engine, 2, Seed);

        Assert.Equal(preload.Items, report.Items);
        Assert.Equal(report.Items, report.Verified);
        Assert.Equal(0, report.Missing);
        Assert.Equal(0, report.Wrong);
        Assert.True(report.AllVerified);
        Assert.Equal(0, engine.GetStats().Gets);
    }

    [Fact]
    public void A_deleted_item_is_missing_and_an_overwritten_one_is_wrong()
    {
        using var backing = ArenaBacking.Create("lucache-verify-bad", 6 << 20);
        using var engine = CacheEngine.Format(backing.Memory);
        var preload = ArenaPreload.Fill(engine, 2, Seed);
        Damage(engine);

        var report = SeededVerifier.Verify(engine, 2, Seed);

        Assert.Equal(preload.Items, report.Items);
        Assert.Equal(1, report.Missing);
        Assert.Equal(2, report.Wrong);
        Assert.Equal(report.Items - 3, report.Verified);
        Assert.False(report.AllVerified);
    }

    [Fact]
    public async Task The_server_answers_verify_seeded_with_one_line_of_counts()
    {
        using var backing = ArenaBacking.Create("lucache-verify-server", 6 << 20);
        using var engine = CacheEngine.Format(backing.Memory);
        var preload = ArenaPreload.Fill(engine, 2, Seed);
        await using var server = new MemcachedTextServer(engine, 0);
        server.Start();
        using var client = await TextClient.ConnectAsync("127.0.0.1", server.Port);

        await client.SendAsync($"verify-seeded 2 {Seed}\r\n");
        var ok = (await client.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))).Split(' ');
        Assert.Equal(["VERIFIED", $"{preload.Items}", $"{preload.Items}", "0", "0"], ok[..5]);
        Assert.True(long.TryParse(ok[5], out _));

        Damage(engine);
        await client.SendAsync($"verify-seeded 2 {Seed}\r\nverify-seeded 2\r\nverify-seeded 9999 1\r\nversion\r\n");
        var bad = (await client.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))).Split(' ');
        Assert.Equal(["VERIFIED", $"{preload.Items}", $"{preload.Items - 3}", "1", "2"], bad[..5]);
        Assert.StartsWith("CLIENT_ERROR bad command line format", await client.ReadLineAsync());
        Assert.StartsWith("CLIENT_ERROR verify-seeded", await client.ReadLineAsync());
        Assert.StartsWith("VERSION ", await client.ReadLineAsync());
    }

    [Fact]
    public void Sixty_four_MiB_verify_at_memory_speed()
    {
        using var backing = ArenaBacking.Create("lucache-verify-speed", 80 << 20);
        using var engine = CacheEngine.Format(backing.Memory);
        ArenaPreload.Fill(engine, 64, Seed);
        var clock = Stopwatch.StartNew();
        var report = SeededVerifier.Verify(engine, 64, Seed);
        clock.Stop();
        Assert.True(report.AllVerified);
        // Generous bound (the TCP verify needs ~30 s for this under TCG); the real figure is printed.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"64 MiB took {clock.Elapsed.TotalMilliseconds:0} ms");
        output.WriteLine($"verify-seeded: 64 MiB, {report.Items} items in {report.Elapsed.TotalMilliseconds:0.0} ms");
    }

    /// <summary>Deletes item 3, overwrites item 5's value (same flags) and item 8's flags (same value).</summary>
    private static void Damage(CacheEngine engine)
    {
        Assert.True(engine.Delete(ItemGenerator.Key(Seed, 3)));
        var value = ItemGenerator.Value(Seed, 5);
        value[^1] ^= 0xFF;
        Assert.Equal(StoreStatus.Stored, engine.Set(ItemGenerator.Key(Seed, 5), value, ItemGenerator.Flags(Seed, 5)));
        Assert.Equal(StoreStatus.Stored, engine.Set(ItemGenerator.Key(Seed, 8), ItemGenerator.Value(Seed, 8), ItemGenerator.Flags(Seed, 8) ^ 1));
    }
}
