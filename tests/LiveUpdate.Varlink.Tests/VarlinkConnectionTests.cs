// VarlinkConnectionTests: framing and descriptor passing of one connection over a real
// socketpair — messages split over many reads or packed into one, descriptors credited to
// the right message, and every way a peer can break the protocol closing the connection
// with a typed error.
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink.Tests;

public sealed class VarlinkConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_message_round_trips()
    {
        var (a, b) = Pair();
        using (a) using (b)
        {
            await a.SendAsync(new JsonObject { ["hello"] = "world", ["n"] = 42 });
            using var message = await Receive(b);
            Assert.Equal("world", (string?)message.Body["hello"]);
            Assert.Equal(42, (int?)message.Body["n"]);
            Assert.Equal(0, message.FileDescriptors.Count);
        }
    }

    [Fact]
    public async Task The_wire_format_is_json_followed_by_one_NUL()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        {
            await connection.SendAsync(new VarlinkCall("org.example.Ping", new JsonObject { ["x"] = 1 }, more: true));
            var buffer = new byte[256];
            int count = await raw.ReceiveAsync(buffer);
            Assert.Equal("{\"method\":\"org.example.Ping\",\"parameters\":{\"x\":1},\"more\":true}\0", Encoding.UTF8.GetString(buffer, 0, count));
        }
    }

    [Fact]
    public async Task A_message_fed_one_byte_at_a_time_is_reassembled()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        {
            byte[] bytes = Encoding.UTF8.GetBytes("{\"method\":\"a.b.C\",\"parameters\":{\"text\":\"byte by byte\"}}\0");
            var receiving = connection.ReceiveAsync();
            foreach (byte b in bytes)
            {
                await raw.SendAsync(new[] { b });
                await Task.Delay(1);
            }
            using var message = await receiving.WaitAsync(Timeout);
            Assert.NotNull(message);
            Assert.Equal("byte by byte", (string?)message.Body["parameters"]?["text"]);
        }
    }

    [Fact]
    public async Task Several_messages_in_one_write_come_out_one_by_one()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        {
            await raw.SendAsync(Encoding.UTF8.GetBytes("{\"a\":1}\0{\"b\":2}\0{\"c\":3}\0{\"d\":"));
            for (int i = 0; i < 3; i++)
            {
                using var message = await Receive(connection);
                Assert.Equal(i + 1, (int?)message.Body.Single().Value);
            }
            var fourth = connection.ReceiveAsync();
            await Task.Delay(50);
            Assert.False(fourth.IsCompleted); // only part of the fourth has come
            await raw.SendAsync(Encoding.UTF8.GetBytes("4}\0"));
            using var last = await fourth.WaitAsync(Timeout);
            Assert.Equal(4, (int?)last!.Body["d"]);
        }
    }

    [Fact]
    public async Task A_memfd_sent_with_a_message_arrives_with_it_and_shares_its_bytes()
    {
        var (a, b) = Pair();
        using (a) using (b)
        using (var memfd = MemFd.Create("varlink"))
        {
            memfd.Write("payload"u8, 0);
            await a.SendAsync(new JsonObject { ["fd"] = 0 }, [memfd]);
            using var message = await Receive(b);
            Assert.Equal(1, message.FileDescriptors.Count);
            using var received = message.FileDescriptors.TakeMemFd(0);
            var buffer = new byte[7];
            received.Read(buffer, 0);
            Assert.Equal("payload"u8.ToArray(), buffer);
            received.Write("!"u8, 7);
            Assert.Equal(8, memfd.Size);
        }
    }

    [Fact]
    public async Task Descriptors_go_to_their_message_when_an_earlier_message_is_read_with_them()
    {
        // B (no fds) and M (fds) are both queued before the reader looks: one recvmsg
        // returns B's and M's bytes together, and the fds must go to M, not to B.
        var (a, b) = Pair();
        using (a) using (b)
        using (var memfd = MemFd.Create("m"))
        {
            await a.SendAsync(new JsonObject { ["name"] = "B" });
            await a.SendAsync(new JsonObject { ["name"] = "M" }, [memfd]);
            await a.SendAsync(new JsonObject { ["name"] = "C" });
            using var first = await Receive(b);
            using var second = await Receive(b);
            using var third = await Receive(b);
            Assert.Equal(("B", 0), ((string?)first.Body["name"], first.FileDescriptors.Count));
            Assert.Equal(("M", 1), ((string?)second.Body["name"], second.FileDescriptors.Count));
            Assert.Equal(("C", 0), ((string?)third.Body["name"], third.FileDescriptors.Count));
        }
    }

    [Fact]
    public async Task Descriptors_go_to_their_message_when_it_arrives_behind_the_tail_of_a_half_read_one()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        using (var memfd = MemFd.Create("m"))
        {
            await raw.SendAsync(Encoding.UTF8.GetBytes("{\"name\":"));
            await ConsumePartial(connection);
            await raw.SendAsync(Encoding.UTF8.GetBytes("\"A\"}\0"));
            await UnixSocketMessaging.SendAsync(raw.SafeHandle, Encoding.UTF8.GetBytes("{\"name\":\"M\"}\0"), [memfd]);

            using var first = await Receive(connection);
            using var second = await Receive(connection);
            Assert.Equal(("A", 0), ((string?)first.Body["name"], first.FileDescriptors.Count));
            Assert.Equal(("M", 1), ((string?)second.Body["name"], second.FileDescriptors.Count));
        }
    }

    [Fact]
    public async Task Descriptors_attached_to_the_middle_of_a_message_close_the_connection()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        using (var memfd = MemFd.Create("stray"))
        {
            await raw.SendAsync(Encoding.UTF8.GetBytes("{\"name\":"));
            await ConsumePartial(connection);
            await UnixSocketMessaging.SendAsync(raw.SafeHandle, Encoding.UTF8.GetBytes("\"A\"}\0"), [memfd]);
            var error = await Assert.ThrowsAsync<VarlinkProtocolException>(() => connection.ReceiveAsync().WaitAsync(Timeout));
            Assert.Contains("middle of a message", error.Message);
            Assert.True(connection.IsClosed);
        }
    }

    [Fact]
    public async Task More_descriptors_than_allowed_close_the_connection()
    {
        var (a, b) = Pair(receiverOptions: new VarlinkConnectionOptions { MaxFileDescriptorsPerMessage = 1 });
        using (a) using (b)
        using (var one = MemFd.Create("1"))
        using (var two = MemFd.Create("2"))
        {
            await a.SendAsync(new JsonObject(), [one, two]);
            var error = await Assert.ThrowsAsync<VarlinkProtocolException>(() => b.ReceiveAsync().WaitAsync(Timeout));
            Assert.Contains("MaxFileDescriptorsPerMessage", error.Message);
            Assert.True(b.IsClosed);
        }
    }

    [Fact]
    public async Task A_message_at_the_limit_passes_and_one_byte_more_closes_the_connection()
    {
        var options = new VarlinkConnectionOptions { MaxMessageSize = 64 };
        var (raw, connection) = RawAndConnection(options);
        using (raw) using (connection)
        {
            string fits = "{\"p\":\"" + new string('x', 64 - 8) + "\"}";
            Assert.Equal(64, fits.Length);
            await raw.SendAsync(Encoding.UTF8.GetBytes(fits + "\0"));
            using (var message = await Receive(connection))
                Assert.Equal(56, ((string?)message.Body["p"])!.Length);

            await raw.SendAsync(Encoding.UTF8.GetBytes("{\"p\":\"" + new string('x', 64 - 7) + "\"}\0"));
            var error = await Assert.ThrowsAsync<VarlinkMessageTooLargeException>(() => connection.ReceiveAsync().WaitAsync(Timeout));
            Assert.Equal(64, error.Limit);
            Assert.Contains("MaxMessageSize", error.Message);
            Assert.True(connection.IsClosed);
            await AssertPeerSeesTheEnd(raw);
        }
    }

    [Fact]
    public async Task An_endless_message_is_cut_off_before_its_end_arrives()
    {
        var (raw, connection) = RawAndConnection(new VarlinkConnectionOptions { MaxMessageSize = 100_000 });
        using (raw) using (connection)
        {
            var receiving = connection.ReceiveAsync();
            var chunk = Encoding.ASCII.GetBytes(new string(' ', 30_000));
            await raw.SendAsync(Encoding.ASCII.GetBytes("{\"p\":\""));
            for (int i = 0; i < 4; i++)
                await raw.SendAsync(chunk);
            await Assert.ThrowsAsync<VarlinkMessageTooLargeException>(() => receiving.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task An_oversized_message_is_not_sent_and_the_connection_stays_usable()
    {
        var (a, b) = Pair(senderOptions: new VarlinkConnectionOptions { MaxMessageSize = 32 });
        using (a) using (b)
        {
            await Assert.ThrowsAsync<VarlinkMessageTooLargeException>(() => a.SendAsync(new JsonObject { ["p"] = new string('x', 40) }));
            Assert.False(a.IsClosed);
            await a.SendAsync(new JsonObject { ["ok"] = true });
            using var message = await Receive(b);
            Assert.True((bool?)message.Body["ok"]);
        }
    }

    [Theory]
    [InlineData("{not json}", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"a\":1,\"a\":2}", "not valid JSON")]
    [InlineData("{\"a\":\"\\xff\"}", "not valid JSON")]
    [InlineData("{\"parameters\":{\"\\ud800\":1}}", "member name that is no Unicode text")]
    public async Task Invalid_json_closes_the_connection(string text, string expected)
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        {
            await raw.SendAsync(Encoding.UTF8.GetBytes(text + "\0"));
            var error = await Assert.ThrowsAsync<VarlinkProtocolException>(() => connection.ReceiveAsync().WaitAsync(Timeout));
            Assert.Contains(expected, error.Message);
            Assert.True(connection.IsClosed);
        }
    }

    [Fact]
    public async Task Invalid_utf8_closes_the_connection()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        {
            await raw.SendAsync(new byte[] { (byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}', 0 });
            var error = await Assert.ThrowsAsync<VarlinkProtocolException>(() => connection.ReceiveAsync().WaitAsync(Timeout));
            Assert.Contains("not valid UTF-8", error.Message);
        }
    }

    [Fact]
    public async Task End_of_stream_between_messages_is_null_and_inside_one_is_an_error()
    {
        var (raw, connection) = RawAndConnection();
        using (connection)
        {
            await raw.SendAsync(Encoding.UTF8.GetBytes("{}\0"));
            raw.Dispose();
            using (var message = await Receive(connection)) { }
            Assert.Null(await connection.ReceiveAsync().WaitAsync(Timeout));
        }

        var (raw2, connection2) = RawAndConnection();
        using (connection2)
        {
            await raw2.SendAsync(Encoding.UTF8.GetBytes("{\"half\":"));
            raw2.Dispose();
            var error = await Assert.ThrowsAsync<VarlinkProtocolException>(() => connection2.ReceiveAsync().WaitAsync(Timeout));
            Assert.Contains("middle of a message", error.Message);
        }
    }

    [Fact]
    public async Task A_cancelled_receive_keeps_the_connection_and_its_bytes()
    {
        var (raw, connection) = RawAndConnection();
        using (raw) using (connection)
        {
            await raw.SendAsync(Encoding.UTF8.GetBytes("{\"a\":"));
            await ConsumePartial(connection);
            Assert.False(connection.IsClosed);
            await raw.SendAsync(Encoding.UTF8.GetBytes("1}\0"));
            using var message = await Receive(connection);
            Assert.Equal(1, (int?)message.Body["a"]);
        }
    }

    [Fact]
    public async Task Disposing_ends_a_pending_receive_with_a_disconnect()
    {
        var (a, b) = Pair();
        using (a)
        {
            var receiving = b.ReceiveAsync();
            await Task.Delay(50);
            b.Dispose();
            await Assert.ThrowsAsync<VarlinkDisconnectedException>(() => receiving.WaitAsync(Timeout));
            await Assert.ThrowsAsync<VarlinkDisconnectedException>(() => b.SendAsync(new JsonObject()));
        }
    }

    [Fact]
    public async Task Sending_to_a_closed_peer_is_a_disconnect()
    {
        var (a, b) = Pair();
        using (a)
        {
            b.Dispose();
            await Assert.ThrowsAsync<VarlinkDisconnectedException>(() => a.SendAsync(new JsonObject()));
            Assert.True(a.IsClosed);
        }
    }

    [Fact]
    public void Peer_credentials_name_this_process()
    {
        var (a, b) = Pair();
        using (a) using (b)
            Assert.Equal(Environment.ProcessId, a.PeerCredentials.ProcessId);
    }

    [Fact]
    public void Only_unix_stream_sockets_are_accepted()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        Assert.Throws<ArgumentException>(() => new VarlinkConnection(udp));
    }

    /// <summary>The raw peer sees end of file, or ECONNRESET when the connection was closed with its bytes unread.</summary>
    private static async Task AssertPeerSeesTheEnd(Socket raw)
    {
        try
        {
            Assert.Equal(0, await raw.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Timeout));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { }
    }

    private static (VarlinkConnection Sender, VarlinkConnection Receiver) Pair(
        VarlinkConnectionOptions? senderOptions = null, VarlinkConnectionOptions? receiverOptions = null)
    {
        var (a, b) = UnixSocketPair.Create();
        return (new VarlinkConnection(a, senderOptions), new VarlinkConnection(b, receiverOptions));
    }

    private static (Socket Raw, VarlinkConnection Connection) RawAndConnection(VarlinkConnectionOptions? options = null)
    {
        var (a, b) = UnixSocketPair.Create();
        return (a, new VarlinkConnection(b, options));
    }

    private static async Task<VarlinkReceivedMessage> Receive(VarlinkConnection connection)
    {
        var message = await connection.ReceiveAsync().WaitAsync(Timeout);
        Assert.NotNull(message);
        return message;
    }

    /// <summary>Lets the connection read the partial message already sent, then stops it waiting for the rest.</summary>
    private static async Task ConsumePartial(VarlinkConnection connection)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.ReceiveAsync(cancellation.Token));
    }
}
