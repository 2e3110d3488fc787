// MemcachedTextSession: the memcached text protocol of one connection, without the socket —
// it parses the commands at the start of the bytes received so far (command lines, the data
// block of a set with its byte count, noreply), answers each from the CacheEngine into an
// IBufferWriter, and tells its caller what to do next (MemcachedTextStep). Split out of
// MemcachedTextServer's connection loop so the parser can be driven on plain bytes: the
// lucache-text fuzz target (fuzz/LiveUpdate.Fuzzing) feeds it reads of any size with no socket.
// Commands: get <key>*, gets <key>*, set <key> <flags> <exptime> <bytes> [noreply],
// delete <key> [0] [noreply], stats, version, quit; admin (not memcached): verify-seeded <mib>
// <seed> checks in process that the items `lucache load` would write are all there
// (SeededVerifier) and replies VERIFIED <items> <verified> <missing> <wrong> <ms>.
//
// Errors, as memcached words them: an unknown command or an empty line is ERROR; a malformed
// command line is CLIENT_ERROR bad command line format; a data block not followed by \r\n is
// CLIENT_ERROR bad data chunk; a value over the item limit is SERVER_ERROR object too large for
// cache; a full arena is SERVER_ERROR out of memory storing object; a write held longer than
// the pause timeout by a live update is SERVER_ERROR writes paused for a live update ...
// A line longer than MemcachedTextServer.MaxLineLength (2048) bytes gets CLIENT_ERROR line too
// long and Close. Unlike memcached, a set whose line is rejected but whose <bytes> parses has its
// data block skipped, so the data is never read as commands. Errors are sent even with noreply.
// Not thread-safe: one session per connection, called from that connection's loop only.
using System.Buffers;
using System.Buffers.Text;

namespace LuCache;

public sealed class MemcachedTextSession(
    CacheEngine engine,
    IBufferWriter<byte> output,
    DateTimeOffset started,
    Func<int> currentConnections,
    Func<long> totalConnections,
    TextWriter? log = null)
{
    private const int MaxTokens = MemcachedTextServer.MaxLineLength / 2 + 1;
    private readonly CacheEngine _engine = engine;
    private readonly IBufferWriter<byte> _output = output;
    private readonly DateTimeOffset _started = started;
    private readonly Func<int> _currentConnections = currentConnections;
    private readonly Func<long> _totalConnections = totalConnections;
    private readonly TextWriter? _log = log;
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private long _swallow;

    /// <summary>Handles at most one command at the start of <paramref name="buffer"/>, slicing off what it consumed.</summary>
    public MemcachedTextStep Process(ref ReadOnlySequence<byte> buffer, bool pausedTimedOut)
    {
        if (_swallow > 0)
        {
            long skip = Math.Min(_swallow, buffer.Length);
            buffer = buffer.Slice(skip);
            _swallow -= skip;
            return _swallow > 0 ? MemcachedTextStep.NeedMore : MemcachedTextStep.Continue;
        }
        if (buffer.IsEmpty) return MemcachedTextStep.NeedMore;
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            if (buffer.Length <= MemcachedTextServer.MaxLineLength) return MemcachedTextStep.NeedMore;
            WriteLine("CLIENT_ERROR line too long"u8);
            return MemcachedTextStep.Close;
        }
        var lineSequence = buffer.Slice(0, newline.Value);
        if (lineSequence.Length > MemcachedTextServer.MaxLineLength)
        {
            WriteLine("CLIENT_ERROR line too long"u8);
            return MemcachedTextStep.Close;
        }
        Span<byte> lineBuffer = stackalloc byte[MemcachedTextServer.MaxLineLength];
        lineSequence.CopyTo(lineBuffer);
        ReadOnlySpan<byte> line = lineBuffer[..(int)lineSequence.Length];
        if (!line.IsEmpty && line[^1] == (byte)'\r') line = line[..^1];
        var rest = buffer.Slice(buffer.GetPosition(1, newline.Value));

        Span<Range> tokens = stackalloc Range[MaxTokens];
        int count = Tokenize(line, tokens);
        if (count == 0)
        {
            WriteLine("ERROR"u8);
            buffer = rest;
            return MemcachedTextStep.Continue;
        }
        var command = line[tokens[0]];
        if (command.SequenceEqual("get"u8) || command.SequenceEqual("gets"u8))
        {
            Get(line, tokens[1..count], withCas: command.Length == 4);
            buffer = rest;
            return MemcachedTextStep.Continue;
        }
        if (command.SequenceEqual("set"u8))
            return Set(line, tokens[..count], ref buffer, rest, pausedTimedOut);
        if (command.SequenceEqual("delete"u8))
        {
            var step = Delete(line, tokens[..count], pausedTimedOut);
            if (step != MemcachedTextStep.WritePaused) buffer = rest;
            return step;
        }
        buffer = rest;
        if (command.SequenceEqual("stats"u8))
        {
            if (count == 1) Stats();
            else WriteLine("ERROR"u8);
            return MemcachedTextStep.Continue;
        }
        if (command.SequenceEqual("version"u8) && count == 1)
        {
            Write("VERSION "u8);
            WriteLine(System.Text.Encoding.ASCII.GetBytes(MemcachedTextServer.Version));
            return MemcachedTextStep.Continue;
        }
        if (command.SequenceEqual("quit"u8) && count == 1) return MemcachedTextStep.Close;
        if (command.SequenceEqual("verify-seeded"u8))
        {
            VerifySeeded(line, tokens[..count]);
            return MemcachedTextStep.Continue;
        }
        WriteLine("ERROR"u8);
        return MemcachedTextStep.Continue;
    }

    private void Get(ReadOnlySpan<byte> line, ReadOnlySpan<Range> keys, bool withCas)
    {
        if (keys.IsEmpty)
        {
            WriteLine("ERROR"u8);
            return;
        }
        foreach (var range in keys)
        {
            if (line[range].Length > Arena.MaxKeyLength)
            {
                WriteLine("CLIENT_ERROR bad command line format"u8);
                return;
            }
        }
        foreach (var range in keys)
        {
            var key = line[range];
            _scratch.ResetWrittenCount();
            if (!_engine.TryGet(key, _scratch, out var meta)) continue;
            Write("VALUE "u8);
            Write(key);
            Write(" "u8);
            WriteNumber(meta.Flags);
            Write(" "u8);
            WriteNumber((ulong)meta.ValueLength);
            if (withCas)
            {
                Write(" "u8);
                WriteNumber(meta.Cas);
            }
            Write("\r\n"u8);
            Write(_scratch.WrittenSpan);
            Write("\r\n"u8);
        }
        WriteLine("END"u8);
    }

    private MemcachedTextStep Set(ReadOnlySpan<byte> line, ReadOnlySpan<Range> tokens, ref ReadOnlySequence<byte> buffer, ReadOnlySequence<byte> rest, bool pausedTimedOut)
    {
        // set <key> <flags> <exptime> <bytes> [noreply]
        if (tokens.Length is not (5 or 6) || !Utf8Parser.TryParse(line[tokens[4]], out int bytes, out int used) || used != line[tokens[4]].Length || bytes < 0)
        {
            WriteLine("CLIENT_ERROR bad command line format"u8);
            buffer = rest;
            return MemcachedTextStep.Continue;
        }
        var key = line[tokens[1]];
        bool noreply = tokens.Length == 6 && line[tokens[5]].SequenceEqual("noreply"u8);
        bool lineOk = key.Length <= Arena.MaxKeyLength
            && (tokens.Length == 5 || noreply)
            && Utf8Parser.TryParse(line[tokens[2]], out uint flags, out used) && used == line[tokens[2]].Length
            && Utf8Parser.TryParse(line[tokens[3]], out long exptime, out used) && used == line[tokens[3]].Length;
        if (!lineOk)
        {
            WriteLine("CLIENT_ERROR bad command line format"u8);
            return SkipData(ref buffer, rest, bytes);
        }
        if (bytes > _engine.Options.MaxValueBytes)
        {
            WriteLine("SERVER_ERROR object too large for cache"u8);
            return SkipData(ref buffer, rest, bytes);
        }
        if (rest.Length < bytes + 2L) return MemcachedTextStep.NeedMore;
        var data = rest.Slice(0, bytes);
        Span<byte> terminator = stackalloc byte[2];
        rest.Slice(bytes, 2).CopyTo(terminator);
        var after = rest.Slice(bytes + 2L);
        if (!terminator.SequenceEqual("\r\n"u8))
        {
            WriteLine("CLIENT_ERROR bad data chunk"u8);
            buffer = after;
            return MemcachedTextStep.Continue;
        }
        if (pausedTimedOut)
        {
            WritePausedError();
            buffer = after;
            return MemcachedTextStep.Continue;
        }
        Utf8Parser.TryParse(line[tokens[2]], out flags, out _);
        Utf8Parser.TryParse(line[tokens[3]], out exptime, out _);
        if (!_engine.TrySet(key, data, flags, exptime, out var status)) return MemcachedTextStep.WritePaused;
        buffer = after;
        switch (status)
        {
            case StoreStatus.Stored:
                if (!noreply) WriteLine("STORED"u8);
                break;
            case StoreStatus.OutOfMemory:
                WriteLine("SERVER_ERROR out of memory storing object"u8);
                break;
            default:
                WriteLine("SERVER_ERROR object too large for cache"u8);
                break;
        }
        return MemcachedTextStep.Continue;
    }

    private MemcachedTextStep SkipData(ref ReadOnlySequence<byte> buffer, ReadOnlySequence<byte> rest, int bytes)
    {
        _swallow = bytes + 2L;
        buffer = rest;
        return MemcachedTextStep.Continue;
    }

    private MemcachedTextStep Delete(ReadOnlySpan<byte> line, ReadOnlySpan<Range> tokens, bool pausedTimedOut)
    {
        // delete <key> [0] [noreply]
        bool noreply = tokens.Length > 2 && line[tokens[^1]].SequenceEqual("noreply"u8);
        int extra = tokens.Length - 2 - (noreply ? 1 : 0);
        if (tokens.Length < 2 || extra > 1 || (extra == 1 && !line[tokens[2]].SequenceEqual("0"u8)))
        {
            WriteLine("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"u8);
            return MemcachedTextStep.Continue;
        }
        var key = line[tokens[1]];
        if (key.Length > Arena.MaxKeyLength)
        {
            WriteLine("CLIENT_ERROR bad command line format"u8);
            return MemcachedTextStep.Continue;
        }
        if (pausedTimedOut)
        {
            WritePausedError();
            return MemcachedTextStep.Continue;
        }
        switch (_engine.TryDelete(key))
        {
            case null:
                return MemcachedTextStep.WritePaused;
            case true:
                if (!noreply) WriteLine("DELETED"u8);
                break;
            case false:
                if (!noreply) WriteLine("NOT_FOUND"u8);
                break;
        }
        return MemcachedTextStep.Continue;
    }

    private void VerifySeeded(ReadOnlySpan<byte> line, ReadOnlySpan<Range> tokens)
    {
        // verify-seeded <mib> <seed>; more MiB than the arena holds cannot all be there (and
        // bounds the walk).
        if (tokens.Length != 3
            || !Utf8Parser.TryParse(line[tokens[1]], out long mib, out int used) || used != line[tokens[1]].Length
            || !Utf8Parser.TryParse(line[tokens[2]], out ulong seed, out used) || used != line[tokens[2]].Length
            || mib < 0)
        {
            WriteLine("CLIENT_ERROR bad command line format.  Usage: verify-seeded <mib> <seed>"u8);
            return;
        }
        if (mib > _engine.GetStats().ArenaBytes >> 20)
        {
            WriteLine("CLIENT_ERROR verify-seeded: more MiB than the arena holds"u8);
            return;
        }
        var report = SeededVerifier.Verify(_engine, mib, seed, _log);
        Write("VERIFIED "u8);
        WriteNumber((ulong)report.Items);
        Write(" "u8);
        WriteNumber((ulong)report.Verified);
        Write(" "u8);
        WriteNumber((ulong)report.Missing);
        Write(" "u8);
        WriteNumber((ulong)report.Wrong);
        Write(" "u8);
        WriteNumber((ulong)report.Elapsed.TotalMilliseconds);
        Write("\r\n"u8);
    }

    private void WritePausedError()
    {
        Write("SERVER_ERROR writes paused for a live update for more than "u8);
        WriteNumber((ulong)_engine.Options.WritePauseTimeout.TotalMilliseconds);
        WriteLine(" ms; not stored, retry"u8);
    }

    private void Stats()
    {
        var s = _engine.GetStats();
        Stat("pid"u8, (ulong)Environment.ProcessId);
        Stat("uptime"u8, (ulong)Math.Max(0, (DateTimeOffset.UtcNow - _started).TotalSeconds));
        Stat("time"u8, (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Write("STAT version "u8);
        WriteLine(System.Text.Encoding.ASCII.GetBytes(MemcachedTextServer.Version));
        Stat("curr_connections"u8, (ulong)_currentConnections());
        Stat("total_connections"u8, (ulong)_totalConnections());
        Stat("cmd_get"u8, (ulong)s.Gets);
        Stat("cmd_set"u8, (ulong)s.Sets);
        Stat("get_hits"u8, (ulong)s.GetHits);
        Stat("get_misses"u8, (ulong)s.GetMisses);
        Stat("delete_hits"u8, (ulong)s.DeleteHits);
        Stat("delete_misses"u8, (ulong)s.DeleteMisses);
        Stat("curr_items"u8, (ulong)s.Items);
        Stat("total_items"u8, (ulong)s.TotalItems);
        Stat("bytes"u8, (ulong)s.LiveBytes);
        Stat("limit_maxbytes"u8, (ulong)s.ArenaBytes);
        Stat("arena_free_bytes"u8, (ulong)s.FreeBytes);
        Stat("arena_dead_bytes"u8, (ulong)s.DeadBytes);
        Stat("arena_write_offset"u8, (ulong)s.WriteOffset);
        Stat("arena_generation"u8, (ulong)s.Generation);
        Stat("arena_compactions"u8, (ulong)s.Compactions);
        Stat("set_failures"u8, (ulong)s.SetFailures);
        Stat("writes_paused"u8, s.WritesPaused ? 1UL : 0UL);
        Stat("corrupt_dropped_on_get"u8, (ulong)s.CorruptDroppedOnUse);
        if (s.Attach is { } attach)
        {
            Stat("attach_items"u8, (ulong)attach.Items);
            Stat("attach_corrupt_dropped"u8, (ulong)attach.CorruptDropped);
            Stat("attach_scan_us"u8, (ulong)(attach.ScanTime.Ticks / 10));
            Stat("attach_from_snapshot"u8, attach.FromSnapshot ? 1UL : 0UL);
        }
        WriteLine("END"u8);
    }

    private void Stat(ReadOnlySpan<byte> name, ulong value)
    {
        Write("STAT "u8);
        Write(name);
        Write(" "u8);
        WriteNumber(value);
        Write("\r\n"u8);
    }

    private static int Tokenize(ReadOnlySpan<byte> line, Span<Range> tokens)
    {
        int count = 0, i = 0;
        while (i < line.Length && count < tokens.Length)
        {
            while (i < line.Length && line[i] == (byte)' ') i++;
            if (i == line.Length) break;
            int start = i;
            while (i < line.Length && line[i] != (byte)' ') i++;
            tokens[count++] = new Range(start, i);
        }
        return count;
    }

    private void Write(ReadOnlySpan<byte> bytes) => _output.Write(bytes);

    private void WriteLine(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _output.Write("\r\n"u8);
    }

    private void WriteNumber(ulong value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out int written);
        _output.Write(digits[..written]);
    }
}
