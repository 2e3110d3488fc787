// LuCacheTextTarget: lucache's memcached text protocol (MemcachedTextSession, the parser and
// command handling of one connection) on the bytes of a connection, with no socket. The first
// byte drives the harness: its low 6 bits + 1 are the read size (the rest of the input arrives
// in reads of that many bytes, each its own segment, so lines and data blocks split across
// reads); bit 6 pauses the engine's writes before the first command, and each write held
// (WritePaused) is then fed again as after the pause timed out, as MemcachedTextServer does.
// The session runs as the server's loop runs it: Process until NeedMore or Close, then the
// next read; after the last read, what is left stays unanswered (the client went away).
// A crash is any exception (the server would answer SERVER_ERROR internal error and drop the
// client), a step that consumes nothing and asks to go on (a hang of the connection), a
// WritePaused that consumed bytes or came back after the timeout, or a reply that is not a
// memcached answer: every line ends \r\n and is ERROR, CLIENT_ERROR …, SERVER_ERROR … (never
// "internal error"), STORED, DELETED, NOT_FOUND, END, VERSION …, STAT …, VERIFIED …, or a
// VALUE <key> <flags> <bytes> [<cas>] header followed by exactly <bytes> bytes and \r\n.
using System.Buffers;
using System.Buffers.Text;
using LuCache;

namespace LiveUpdate.Fuzzing;

public static class LuCacheTextTarget
{
    // Small, so a fuzzed set can fill it (SERVER_ERROR out of memory) and a value can be over the
    // item limit (SERVER_ERROR object too large); under 1 MiB, so verify-seeded walks at most 0 MiB.
    private const int ArenaBytes = 8 * 1024;
    private static readonly byte[] ArenaMemory = new byte[ArenaBytes];
    private static readonly CacheEngineOptions Options = new() { MaxValueBytes = 2 * 1024, WritePauseTimeout = TimeSpan.Zero };

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        int readSize = (input[0] & 0x3f) + 1;
        bool paused = (input[0] & 0x40) != 0;
        using var engine = CacheEngine.Format(ArenaMemory, Options);
        if (paused) engine.PauseWrites();
        var output = new ArrayBufferWriter<byte>();
        var session = new MemcachedTextSession(engine, output, DateTimeOffset.UtcNow, () => 1, () => 1);
        var received = new ReadSequence();
        bool closed = false;
        for (int at = 1; at < input.Length && !closed;)
        {
            int count = Math.Min(readSize, input.Length - at);
            received.Append(input.AsMemory(at, count));
            at += count;
            closed = ProcessAll(session, received);
        }
        CheckReplies(output.WrittenSpan);
    }

    /// <summary>Process until NeedMore (false) or Close (true), checking that every step moves on.</summary>
    private static bool ProcessAll(MemcachedTextSession session, ReadSequence received)
    {
        while (true)
        {
            var buffer = received.Buffer;
            long before = buffer.Length;
            var step = session.Process(ref buffer, pausedTimedOut: false);
            if (step == MemcachedTextStep.WritePaused)
            {
                if (buffer.Length != before)
                    throw new FuzzInvariantException($"WritePaused consumed {before - buffer.Length} bytes; a held write must keep them");
                step = session.Process(ref buffer, pausedTimedOut: true);
                if (step == MemcachedTextStep.WritePaused)
                    throw new FuzzInvariantException("WritePaused again after the pause timed out");
            }
            received.Consumed(buffer);
            switch (step)
            {
                case MemcachedTextStep.NeedMore:
                    return false;
                case MemcachedTextStep.Close:
                    return true;
                case MemcachedTextStep.Continue when buffer.Length >= before:
                    throw new FuzzInvariantException($"Continue without consuming anything ({before} bytes buffered): the connection would spin");
            }
        }
    }

    private static readonly byte[][] PlainReplies =
        ["ERROR"u8.ToArray(), "STORED"u8.ToArray(), "DELETED"u8.ToArray(), "NOT_FOUND"u8.ToArray(), "END"u8.ToArray()];

    private static readonly byte[][] ReplyPrefixes =
        ["CLIENT_ERROR "u8.ToArray(), "SERVER_ERROR "u8.ToArray(), "VERSION "u8.ToArray(), "STAT "u8.ToArray(), "VERIFIED "u8.ToArray()];

    private static void CheckReplies(ReadOnlySpan<byte> replies)
    {
        while (!replies.IsEmpty)
        {
            int end = replies.IndexOf("\r\n"u8);
            if (end < 0) throw new FuzzInvariantException($"a reply without \\r\\n: {Show(replies)}");
            var line = replies[..end];
            replies = replies[(end + 2)..];
            if (line.StartsWith("VALUE "u8))
            {
                long bytes = ValueLength(line);
                if (replies.Length < bytes + 2 || !replies.Slice((int)bytes, 2).SequenceEqual("\r\n"u8))
                    throw new FuzzInvariantException($"{Show(line)} not followed by its {bytes} bytes and \\r\\n");
                replies = replies[((int)bytes + 2)..];
                continue;
            }
            if (line.SequenceEqual("SERVER_ERROR internal error"u8))
                throw new FuzzInvariantException("SERVER_ERROR internal error");
            bool known = false;
            foreach (var plain in PlainReplies) known |= line.SequenceEqual(plain);
            foreach (var prefix in ReplyPrefixes) known |= line.StartsWith(prefix) && line.Length > prefix.Length;
            if (!known) throw new FuzzInvariantException($"not a memcached reply: {Show(line)}");
        }
    }

    /// <summary>The &lt;bytes&gt; of VALUE &lt;key&gt; &lt;flags&gt; &lt;bytes&gt; [&lt;cas&gt;].</summary>
    private static long ValueLength(ReadOnlySpan<byte> line)
    {
        Span<Range> fields = stackalloc Range[6];
        int count = 0, start = 0;
        for (int i = 0; i <= line.Length && count < fields.Length; i++)
        {
            if (i < line.Length && line[i] != (byte)' ') continue;
            fields[count++] = new Range(start, i);
            start = i + 1;
        }
        if (start <= line.Length && count == fields.Length) count++; // more fields than a VALUE line has
        if (count is not (4 or 5)
            || !Utf8Parser.TryParse(line[fields[2]], out uint _, out int used) || used != line[fields[2]].Length
            || !Utf8Parser.TryParse(line[fields[3]], out long bytes, out used) || used != line[fields[3]].Length
            || (count == 5 && (!Utf8Parser.TryParse(line[fields[4]], out ulong _, out used) || used != line[fields[4]].Length)))
            throw new FuzzInvariantException($"a malformed VALUE line: {Show(line)}");
        return bytes;
    }

    private static string Show(ReadOnlySpan<byte> bytes) =>
        System.Text.Encoding.ASCII.GetString(bytes[..Math.Min(bytes.Length, 120)]).ReplaceLineEndings("⏎");
}
