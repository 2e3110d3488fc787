// TextClient: a minimal memcached text-protocol client for the load/verify/probe commands and
// the tests — pipelined sets and multi-key gets over one TCP connection.
using System.Net.Sockets;
using System.Text;

namespace LuCache;

public sealed class TextClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start, _end;

    private TextClient(TcpClient tcp)
    {
        _tcp = tcp;
        _tcp.NoDelay = true;
        _stream = tcp.GetStream();
    }

    public static async Task<TextClient> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new TextClient(tcp);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    public Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        _stream.WriteAsync(bytes, cancellationToken).AsTask();

    public Task SendAsync(string text, CancellationToken cancellationToken = default) =>
        SendAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    /// <summary>Appends "set key flags 0 len\r\nvalue\r\n" to <paramref name="output"/>.</summary>
    public static void AppendSet(MemoryStream output, ReadOnlySpan<byte> key, uint flags, ReadOnlySpan<byte> value, bool noreply = false)
    {
        output.Write("set "u8);
        output.Write(key);
        output.Write(Encoding.ASCII.GetBytes($" {flags} 0 {value.Length}{(noreply ? " noreply" : "")}\r\n"));
        output.Write(value);
        output.Write("\r\n"u8);
    }

    /// <summary>Reads one reply line, without its \r\n.</summary>
    public async Task<string> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                int length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == (byte)'\r') length--;
                string line = Encoding.ASCII.GetString(_buffer, _start, length);
                _start = newline + 1;
                return line;
            }
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes and the \r\n after them.</summary>
    public async Task<byte[]> ReadBlockAsync(int count, CancellationToken cancellationToken = default)
    {
        var data = new byte[count];
        int done = 0;
        while (done < count)
        {
            if (_start == _end) await FillAsync(cancellationToken).ConfigureAwait(false);
            int n = Math.Min(count - done, _end - _start);
            Buffer.BlockCopy(_buffer, _start, data, done, n);
            _start += n;
            done += n;
        }
        string terminator = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (terminator.Length != 0) throw new InvalidDataException($"A data block was followed by '{terminator}', not \\r\\n.");
        return data;
    }

    /// <summary>Sends "get k1 k2 ..." and returns the values found (key -> (flags, value)).</summary>
    public async Task<Dictionary<string, (uint Flags, byte[] Value)>> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        await SendAsync($"get {string.Join(' ', keys)}\r\n", cancellationToken).ConfigureAwait(false);
        var found = new Dictionary<string, (uint, byte[])>(StringComparer.Ordinal);
        while (true)
        {
            string line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line == "END") return found;
            var parts = line.Split(' ');
            if (parts.Length < 4 || parts[0] != "VALUE") throw new InvalidDataException($"Unexpected reply to get: '{line}'.");
            var value = await ReadBlockAsync(int.Parse(parts[3]), cancellationToken).ConfigureAwait(false);
            found[parts[1]] = (uint.Parse(parts[2]), value);
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end) _start = _end = 0;
        if (_end == _buffer.Length)
        {
            if (_start == 0) throw new InvalidDataException("A reply line is longer than the client's buffer.");
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0) throw new EndOfStreamException("The server closed the connection.");
        _end += read;
    }

    public void Dispose() => _tcp.Dispose();
}
