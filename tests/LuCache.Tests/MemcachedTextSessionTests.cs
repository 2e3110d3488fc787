// MemcachedTextSessionTests: the text protocol's parser without a socket, driven as
// MemcachedTextServer's loop and the lucache-text fuzz target drive it — the same commands
// answered the same whether the bytes come in one read or one byte at a time (lines, numbers
// and data blocks split anywhere), a write held by a live update's pause keeps its bytes and
// is answered SERVER_ERROR after the timeout, and a line over the limit closes.
using System.Buffers;
using System.Text;

namespace LuCache.Tests;

public sealed class MemcachedTextSessionTests
{
    private const string Commands =
        "set k 5 0 3\r\nabc\r\nget k nothing\r\nset bad x 0 2\r\nzz\r\nset k 0 0 2\r\nabcd\r\n" +
        "delete k noreply\r\ngets k\r\nbogus\r\n\r\nversion\r\n";

    private const string Replies =
        "STORED\r\nVALUE k 5 3\r\nabc\r\nEND\r\nCLIENT_ERROR bad command line format\r\n" +
        "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\nERROR\r\nERROR\r\nVERSION " + MemcachedTextServer.Version + "\r\n";

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(7)]
    [InlineData(1)]
    public void Commands_are_answered_the_same_whatever_the_reads_they_come_in(int readSize)
    {
        using var engine = CacheEngine.Format(new byte[64 * 1024]);
        var output = new ArrayBufferWriter<byte>();
        var session = new MemcachedTextSession(engine, output, DateTimeOffset.UtcNow, () => 1, () => 1);
        byte[] input = Encoding.ASCII.GetBytes(Commands);
        var pending = new List<byte>();
        for (int at = 0; at < input.Length; at += readSize)
        {
            pending.AddRange(input.AsSpan(at, Math.Min(readSize, input.Length - at)));
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            MemcachedTextStep step;
            do step = session.Process(ref buffer, pausedTimedOut: false);
            while (step == MemcachedTextStep.Continue);
            Assert.Equal(MemcachedTextStep.NeedMore, step);
            pending.RemoveRange(0, pending.Count - (int)buffer.Length);
        }
        Assert.Empty(pending);
        Assert.Equal(Replies, Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void A_write_held_by_a_pause_keeps_its_bytes_and_after_the_timeout_is_refused_and_consumed()
    {
        using var engine = CacheEngine.Format(new byte[64 * 1024], new CacheEngineOptions { WritePauseTimeout = TimeSpan.FromSeconds(2) });
        engine.PauseWrites();
        var output = new ArrayBufferWriter<byte>();
        var session = new MemcachedTextSession(engine, output, DateTimeOffset.UtcNow, () => 1, () => 1);
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("set k 0 0 2\r\nhi\r\nget k\r\n"));
        long length = buffer.Length;
        Assert.Equal(MemcachedTextStep.WritePaused, session.Process(ref buffer, pausedTimedOut: false));
        Assert.Equal(length, buffer.Length);
        Assert.Equal(MemcachedTextStep.Continue, session.Process(ref buffer, pausedTimedOut: true));
        Assert.Equal(MemcachedTextStep.Continue, session.Process(ref buffer, pausedTimedOut: false));
        Assert.True(buffer.IsEmpty);
        Assert.Equal("SERVER_ERROR writes paused for a live update for more than 2000 ms; not stored, retry\r\nEND\r\n",
            Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void A_line_over_the_limit_is_refused_and_closes()
    {
        using var engine = CacheEngine.Format(new byte[64 * 1024]);
        var output = new ArrayBufferWriter<byte>();
        var session = new MemcachedTextSession(engine, output, DateTimeOffset.UtcNow, () => 1, () => 1);
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(new string('x', MemcachedTextServer.MaxLineLength + 1)));
        Assert.Equal(MemcachedTextStep.Close, session.Process(ref buffer, pausedTimedOut: false));
        Assert.Equal("CLIENT_ERROR line too long\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }
}
