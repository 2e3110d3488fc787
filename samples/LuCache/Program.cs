// lucache: a memcached-like cache whose items live in one memfd arena that luod preserves
// across a kernel live update. Commands:
//   lucache serve  [--listen ADDRESS] --port P --arena-mib N [--luod-session NAME] [--luod-socket PATH] [--luod-replace]
//                  [--max-value-kib K] [--write-pause-timeout-ms T] [--preload-mib M --seed S]
//   lucache load   --port P --mib N --seed S [--connections C]
//   lucache verify --port P --mib N --seed S [--connections C] [--in-server]
//   lucache probe  [--host H] --port P [--interval-ms 10] [--timeout-ms 1000] [--duration-s D]
//   lucache bench  --arena-mib N --fill-mib M      (in process: fill, drop the engine, attach anew over the same memfd)
using System.Diagnostics;
using System.Runtime.InteropServices;
using LiveUpdate.Client;
using LiveUpdate.Client.Errors;
using LuCache;

return await Cli.RunAsync(args);

internal static class Cli
{
    private const string ArenaFileName = "arena";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var options = Options.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "serve" => await ServeAsync(options),
                "load" => await LoadAsync(options),
                "verify" => await VerifyAsync(options),
                "probe" => await ProbeAsync(options),
                "bench" => Bench(options),
                _ => Fail($"unknown command '{args[0]}'\n{Usage}"),
            };
        }
        catch (UsageException e)
        {
            return Fail($"{e.Message}\n{Usage}");
        }
        catch (ArenaLayoutException e)
        {
            return Fail($"cannot attach the arena: {e.Message}", 3);
        }
        catch (LiveUpdateClientException e)
        {
            return Fail($"luod: {e.Message}", 4);
        }
    }

    private const string Usage = """
        usage:
          lucache serve  [--listen ADDRESS] --port P --arena-mib N [--luod-session NAME] [--luod-socket PATH] [--luod-replace]
                         [--max-value-kib K] [--write-pause-timeout-ms T] [--preload-mib M --seed S]
          lucache load   --port P --mib N --seed S [--connections C]
          lucache verify --port P --mib N --seed S [--connections C] [--in-server]
          lucache probe  [--host H] --port P [--interval-ms 10] [--timeout-ms 1000] [--duration-s D]
          lucache bench  --arena-mib N --fill-mib M
        """;

    /// <summary>How an attach rebuilt its index, appended to the attach lines (after every field the guest's parsers read).</summary>
    private static string AttachPath(AttachReport r) =>
        r.FromSnapshot
            ? $"index snapshot ({r.Items} entries, {r.ScanTime.TotalMilliseconds:0.0} ms)"
            : $"full scan ({r.SnapshotNote})";

    private static string FrozenLine(FreezeReport f) =>
        f.Snapshot is { Written: true } s
            ? $"frozen with {f.Items} items, index snapshot {s.Entries} entries ({s.Bytes} bytes) written in {s.WriteTime.TotalMilliseconds:0.00} ms"
            : $"frozen with {f.Items} items, no index snapshot (no room after the write offset)";

    private static int Fail(string message, int code = 2)
    {
        Console.Error.WriteLine($"lucache: {message}");
        return code;
    }

    // ---------------------------------------------------------------- serve

    private static async Task<int> ServeAsync(Options o)
    {
        int port = o.Int("port", 11211);
        long arenaBytes = o.Long("arena-mib", 64) << 20;
        var engineOptions = new CacheEngineOptions
        {
            MaxValueBytes = o.Int("max-value-kib", 1024) * 1024,
            WritePauseTimeout = TimeSpan.FromMilliseconds(o.Int("write-pause-timeout-ms", 30_000)),
        };
        string? sessionName = o.String("luod-session");

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

        LiveUpdateClient? luod = null;
        ClaimedManagedSession? claimed = null;
        ArenaBacking backing;
        CacheEngine engine;
        try
        {
            if (sessionName is null)
            {
                backing = ArenaBacking.Create("lucache-arena", arenaBytes);
                engine = CacheEngine.Format(backing.Memory, engineOptions);
                Console.WriteLine($"lucache: standalone arena of {arenaBytes >> 20} MiB in a plain memfd (not preserved across a kexec)");
            }
            else
            {
                luod = await LiveUpdateClient.ConnectAsync(o.String("luod-socket"), stop.Token);
                (backing, engine, claimed) = await OpenThroughLuodAsync(luod, sessionName, arenaBytes, engineOptions, o.Flag("luod-replace"), stop.Token);
            }
        }
        catch
        {
            claimed?.Dispose();
            if (luod is not null) await luod.DisposeAsync();
            throw;
        }

        if (o.String("preload-mib") is not null)
        {
            // Only into a new arena: a restored one already holds its items.
            if (claimed is not null)
            {
                Console.WriteLine("lucache: note: --preload-mib ignored, the restored arena keeps its items");
            }
            else
            {
                var preload = ArenaPreload.Fill(engine, o.Long("preload-mib", 0), (ulong)o.Long("seed", 1));
                Console.WriteLine($"lucache: preloaded {preload.Items} items, {preload.ValueBytes / 1048576.0:0.0} MiB of values, " +
                    $"write offset {preload.WriteOffset}, in {preload.Elapsed.TotalMilliseconds:0} ms");
            }
        }

        var listen = System.Net.IPAddress.TryParse(o.String("listen") ?? "127.0.0.1", out var address)
            ? address : throw new UsageException($"--listen {o.String("listen")} is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
        await using var server = new MemcachedTextServer(engine, port, listen, log: Console.Error);
        server.Start();
        Console.WriteLine($"lucache: serving on {listen}:{server.Port} (generation {engine.GetStats().Generation}, {engine.GetStats().Items} items)");
        // luod's update hooks drive the cache: prepare -> PauseWrites, freeze -> FlushForFreeze,
        // a cancelled update -> ResumeWrites (CacheUpdateParticipant).
        ICacheLifecycle lifecycle = engine;
        UpdateSubscription? subscription = null;
        if (luod is not null)
        {
            subscription = await luod.SubscribeAsync(sessionName!, new CacheUpdateParticipant(lifecycle, Console.Out), stop.Token);
            Console.WriteLine($"lucache: taking part in live updates as participant '{sessionName}'");
            if (claimed is not null)
            {
                try
                {
                    await luod.ResumedAsync(sessionName!, stop.Token);
                    Console.WriteLine("lucache: told luod the cache serves again (blackout ends)");
                }
                catch (LuodNoUpdateInProgressException)
                {
                    // Restored by a plain kexec, not an orchestrated update: nothing to report.
                }
                // Off the blackout: clients are served already while the arena is made ready for the next update.
                await CarryArenaForwardAsync(luod, sessionName!, claimed, stop.Token);
            }
        }
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException) { }
        if (subscription is not null) await subscription.DisposeAsync();

        // A clean stop leaves the arena frozen (consistent header) for whoever attaches next.
        var frozen = lifecycle.FlushForFreeze();
        Console.WriteLine($"lucache: stopping; arena frozen with {frozen.Items} items, write offset {frozen.WriteOffset}, header CRC 0x{frozen.HeaderCrc:x8}");
        await server.DisposeAsync();
        engine.Dispose();
        backing.Dispose();
        claimed?.Dispose();
        if (luod is not null) await luod.DisposeAsync();
        return 0;
    }

    /// <summary>What luod shows as the session's metadata: which arena layout the memfd holds.</summary>
    private static readonly byte[] SessionMetadata = System.Text.Encoding.UTF8.GetBytes($"lucache arena layout {Arena.LayoutVersion}");

    /// <summary>
    /// Claim first: if luod restored a session of this name after a kexec, attach its arena
    /// memfd (no copy); the caller serves and then carries it into a new session
    /// (<see cref="CarryArenaForwardAsync"/>). Otherwise format a new arena and preserve it.
    /// </summary>
    private static async Task<(ArenaBacking, CacheEngine, ClaimedManagedSession?)> OpenThroughLuodAsync(
        LiveUpdateClient luod, string name, long arenaBytes, CacheEngineOptions engineOptions, bool replace, CancellationToken cancellationToken)
    {
        ClaimedManagedSession? claimed = null;
        try
        {
            claimed = await luod.ClaimManagedAsync(name, cancellationToken);
            // Written the moment luod hands the session back (the benchmark marks it).
            Console.WriteLine($"lucache: claimed session '{name}' from luod ({claimed.Files.Count} file(s))");
        }
        catch (LuodSessionNotFoundException)
        {
        }
        catch (LuodWrongStateException) when (replace)
        {
            Console.WriteLine($"lucache: session '{name}' is open in this boot; --luod-replace: releasing it (its arena is dropped)");
            await luod.ReleaseAsync(name, cancellationToken);
        }
        catch (LuodWrongStateException e)
        {
            throw new UsageException(
                $"luod session '{name}' already exists in this boot ({e.Message}). A managed session hands its memfd back only " +
                "after a kexec, so this process cannot attach it now. Use --luod-replace to release it and start with an empty arena, or another session name.");
        }

        if (claimed is not null)
        {
            var stopwatch = Stopwatch.StartNew();
            if (!claimed.Files.TryGetValue(ArenaFileName, out var memfd))
            {
                claimed.Dispose();
                throw new ArenaLayoutException($"the restored session '{name}' has no file named '{ArenaFileName}'.");
            }
            ArenaBacking backing;
            CacheEngine engine;
            try
            {
                backing = ArenaBacking.Open(memfd);
                engine = CacheEngine.Attach(backing.Memory, engineOptions);
            }
            catch
            {
                // Leave the session claimed and unfinished: the arena stays for an operator to inspect.
                claimed.Dispose();
                throw;
            }
            var report = engine.AttachReport!;
            Console.WriteLine(
                $"lucache: attached restored arena of {backing.Length >> 20} MiB from session '{name}': {report.Items} items, " +
                $"{report.CorruptDropped} corrupt dropped, {report.DuplicatesDropped} duplicates, {report.ExpiredDropped} expired, " +
                $"scan {report.ScanTime.TotalMilliseconds:0.0} ms, generation {report.Generation}, previous state {report.PreviousState}, " +
                AttachPath(report));
            if (backing.Length != arenaBytes)
                Console.WriteLine($"lucache: note: --arena-mib ignored, the restored arena keeps its size ({backing.Length >> 20} MiB)");
            Console.WriteLine($"lucache: arena attached {stopwatch.Elapsed.TotalMilliseconds:0.0} ms after the claim");
            return (backing, engine, claimed);
        }

        var created = ArenaBacking.Create("lucache-arena", arenaBytes);
        try
        {
            var engine = CacheEngine.Format(created.Memory, engineOptions);
            var session = await luod.CreateManagedSessionAsync(name, SessionMetadata, cancellationToken);
            await session.PreserveAsync(ArenaFileName, created.MemFd, cancellationToken);
            Console.WriteLine($"lucache: new arena of {arenaBytes >> 20} MiB preserved in luod session '{name}'");
            return (created, engine, null);
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>
    /// After a kexec: Finish the restored session and preserve the same arena memfd in a new
    /// session of the same name, ready for the next update (an incoming session cannot be
    /// re-preserved in Linux 7.2/7.3). Runs after the cache serves, so it is not in the blackout.
    /// </summary>
    private static async Task CarryArenaForwardAsync(LiveUpdateClient luod, string name, ClaimedManagedSession claimed, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var memfd = claimed.Files[ArenaFileName];
        await claimed.FinishAsync(cancellationToken);
        var session = await luod.CreateManagedSessionAsync(name, SessionMetadata, cancellationToken);
        await session.PreserveAsync(ArenaFileName, memfd, cancellationToken);
        Console.WriteLine($"lucache: arena re-preserved in a new session '{name}' ({stopwatch.Elapsed.TotalMilliseconds:0.0} ms, while serving)");
    }

    // ---------------------------------------------------------------- load / verify

    private static async Task<int> LoadAsync(Options o)
    {
        int port = o.Int("port", 11211);
        long mib = o.Long("mib", 16);
        ulong seed = (ulong)o.Long("seed", 1);
        int count = ItemGenerator.CountFor(mib, seed);
        long items = 0, sent = 0;
        var stopwatch = Stopwatch.StartNew();
        using var progress = new Timer(_ =>
        {
            double s = stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine($"load: {Interlocked.Read(ref items)}/{count} items, {Interlocked.Read(ref sent) / 1048576.0:0.0} MiB, {Interlocked.Read(ref sent) / 1048576.0 / s:0.0} MiB/s");
        }, null, 1000, 1000);
        var result = await SeededItemsClient.LoadAsync("127.0.0.1", port, mib, seed, o.Int("connections", 4), Console.Error,
            (i, b) => { Interlocked.Exchange(ref items, i); Interlocked.Exchange(ref sent, b); });
        Console.WriteLine(result.Describe());
        return result.Failures == 0 ? 0 : 1;
    }

    private static async Task<int> VerifyAsync(Options o)
    {
        if (o.Flag("in-server")) return await VerifyInServerAsync(o);
        var result = await SeededItemsClient.VerifyAsync("127.0.0.1", o.Int("port", 11211), o.Long("mib", 16), (ulong)o.Long("seed", 1), o.Int("connections", 4), Console.Error);
        Console.WriteLine(result.Describe());
        return result.Missing == 0 && result.Wrong == 0 ? 0 : 1;
    }

    /// <summary>
    /// `verify --in-server`: the server walks the items itself (verify-seeded, SeededVerifier) at memory
    /// speed; prints the same summary line as the TCP verify, with the server's own time.
    /// </summary>
    private static async Task<int> VerifyInServerAsync(Options o)
    {
        int port = o.Int("port", 11211);
        long mib = o.Long("mib", 16);
        ulong seed = (ulong)o.Long("seed", 1);
        using var client = await TextClient.ConnectAsync("127.0.0.1", port);
        await client.SendAsync($"verify-seeded {mib} {seed}\r\n");
        string reply = await client.ReadLineAsync();
        var parts = reply.Split(' ');
        if (parts.Length != 6 || parts[0] != "VERIFIED"
            || !int.TryParse(parts[1], out int count) || !int.TryParse(parts[2], out int verified) || !int.TryParse(parts[3], out int missing)
            || !int.TryParse(parts[4], out int wrong) || !long.TryParse(parts[5], out long ms))
        {
            Console.Error.WriteLine($"verify: the server's reply to verify-seeded is not understood: {reply}");
            return 1;
        }
        Console.WriteLine($"verify: {count} items: {verified} verified, {missing} missing, {wrong} wrong ({ms / 1000.0:0.00} s)");
        return missing == 0 && wrong == 0 && verified == count ? 0 : 1;
    }

    // ---------------------------------------------------------------- probe

    private static async Task<int> ProbeAsync(Options o)
    {
        var probe = new CacheProbe(o.String("host") ?? "127.0.0.1", o.Int("port", 11211),
            TimeSpan.FromMilliseconds(o.Int("interval-ms", 10)), TimeSpan.FromMilliseconds(o.Int("timeout-ms", 1000)));
        double durationS = o.Double("duration-s", 0);
        using var stop = new CancellationTokenSource();
        if (durationS > 0) stop.CancelAfter(TimeSpan.FromSeconds(durationS));
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });

        var running = probe.RunAsync(stop.Token);
        while (await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(1))) != running)
            Console.WriteLine($"probe: {probe.Snapshot().Describe()}");
        var result = await running;
        Console.WriteLine($"probe: done: {result.Describe()}");
        return result.Replies > 0 ? 0 : 1;
    }

    // ---------------------------------------------------------------- bench

    private static int Bench(Options o)
    {
        long arenaMib = o.Long("arena-mib", 300);
        long fillMib = o.Long("fill-mib", 256);
        ulong seed = (ulong)o.Long("seed", 1);
        int count = ItemGenerator.CountFor(fillMib, seed);
        using var backing = ArenaBacking.Create("lucache-bench", arenaMib << 20);
        var stopwatch = Stopwatch.StartNew();
        long bytes = 0;
        using (var engine = CacheEngine.Format(backing.Memory))
        {
            var value = new byte[ItemGenerator.MaxValue];
            for (int i = 0; i < count; i++)
            {
                int length = ItemGenerator.ValueLength(seed, i);
                ItemGenerator.FillValue(seed, i, value.AsSpan(0, length));
                if (engine.Set(ItemGenerator.Key(seed, i), value.AsSpan(0, length), ItemGenerator.Flags(seed, i)) != StoreStatus.Stored)
                    return Fail($"bench: item {i} did not fit; give --arena-mib more room than --fill-mib", 1);
                bytes += length;
            }
            stopwatch.Stop();
            Console.WriteLine($"bench: filled {count} items, {bytes / 1048576.0:0.0} MiB of values ({engine.GetStats().WriteOffset / 1048576.0:0.0} MiB of arena) in {stopwatch.Elapsed.TotalMilliseconds:0} ms = {bytes / 1048576.0 / stopwatch.Elapsed.TotalSeconds:0} MiB/s (engine, in process, incl. value generation)");
            Console.WriteLine($"bench: {FrozenLine(engine.FlushForFreeze())}");
        }
        // Rounds 1 and 3 attach from the index snapshot, round 2 scans every record (asked to).
        for (int round = 1; round <= 3; round++)
        {
            stopwatch.Restart();
            using var attached = CacheEngine.Attach(backing.Memory, new CacheEngineOptions { UseIndexSnapshot = round != 2 });
            stopwatch.Stop();
            var r = attached.AttachReport!;
            Console.WriteLine($"bench: attach #{round}: {r.Items} items, {r.BytesScanned / 1048576.0:0.0} MiB scanned, scan {r.ScanTime.TotalMilliseconds:0.0} ms, attach total {stopwatch.Elapsed.TotalMilliseconds:0.0} ms, {r.CorruptDropped} corrupt, {AttachPath(r)}");
            if (round == 3)
            {
                stopwatch.Restart();
                long ok = 0;
                for (int i = 0; i < count; i++)
                    if (attached.Get(ItemGenerator.Key(seed, i)) is { } v && v.AsSpan().SequenceEqual(ItemGenerator.Value(seed, i))) ok++;
                Console.WriteLine($"bench: verified {ok}/{count} items byte for byte in {stopwatch.Elapsed.TotalMilliseconds:0} ms");
                if (ok != count) return 1;
            }
            else
            {
                Console.WriteLine($"bench: {FrozenLine(attached.FlushForFreeze())}");
            }
        }
        return 0;
    }
}

internal sealed class UsageException(string message) : Exception(message);

internal sealed class Options
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public static Options Parse(ReadOnlySpan<string> args)
    {
        var options = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unexpected argument '{args[i]}'");
            string name = args[i][2..];
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) options._values[name] = args[++i];
            else options._values[name] = null;
        }
        return options;
    }

    public string? String(string name) => _values.TryGetValue(name, out var v) ? v ?? throw new UsageException($"--{name} needs a value") : null;

    public bool Flag(string name) => _values.ContainsKey(name);

    public long Long(string name, long fallback) =>
        String(name) is { } v ? long.TryParse(v, out long n) && n >= 0 ? n : throw new UsageException($"--{name} wants a non-negative integer, not '{v}'") : fallback;

    public int Int(string name, int fallback) => checked((int)Long(name, fallback));

    public double Double(string name, double fallback) =>
        String(name) is { } v ? double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out double d) ? d : throw new UsageException($"--{name} wants a number, not '{v}'") : fallback;
}
