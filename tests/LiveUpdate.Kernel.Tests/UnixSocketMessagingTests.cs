// UnixSocketMessagingTests: sendmsg/recvmsg with SCM_RIGHTS over a real socketpair — bytes
// and memfds arrive intact and share their contents with the sender's, waits are
// asynchronous and cancellable, and the kernel facts the Varlink framing relies on hold.
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using LiveUpdate.Kernel.Errors;

namespace LiveUpdate.Kernel.Tests;

public class UnixSocketMessagingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Bytes_without_descriptors_round_trip()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "hello"u8.ToArray());
            var buffer = new byte[64];
            var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal(5, result.BytesReceived);
            Assert.Empty(result.FileDescriptors);
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, 5));
        }
    }

    [Fact]
    public async Task A_memfd_arrives_and_shares_its_contents_with_the_sender()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var original = MemFd.Create("shared"))
        {
            original.Write("before"u8, 0);
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "x"u8.ToArray(), [original]);

            var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16]).AsTask().WaitAsync(Timeout);
            Assert.Equal(1, result.BytesReceived);
            var received = Assert.Single(result.FileDescriptors);
            Assert.Equal(FileDescriptorKind.Memfd, received.Kind);
            using var memfd = received.TakeMemFd();
            Assert.True(received.IsClosed);

            var buffer = new byte[6];
            memfd.Read(buffer, 0);
            Assert.Equal("before"u8.ToArray(), buffer);

            memfd.Write("after!"u8, 100);
            Assert.Equal(106, original.Size);
            original.Read(buffer, 100);
            Assert.Equal("after!"u8.ToArray(), buffer);
        }
    }

    [Fact]
    public async Task Several_memfds_arrive_in_order()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            var originals = Enumerable.Range(0, 5).Select(i => MemFd.Create($"m{i}")).ToArray();
            try
            {
                for (int i = 0; i < originals.Length; i++)
                    originals[i].Write([(byte)(i + 1)], i);
                await UnixSocketMessaging.SendAsync(a.SafeHandle, "five"u8.ToArray(), originals);
                var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16]).AsTask().WaitAsync(Timeout);
                Assert.Equal(5, result.FileDescriptors.Count);
                for (int i = 0; i < originals.Length; i++)
                {
                    using var memfd = result.FileDescriptors[i].TakeMemFd();
                    Assert.Equal(i + 1, memfd.Size);
                    var one = new byte[1];
                    memfd.Read(one, i);
                    Assert.Equal(i + 1, one[0]);
                }
            }
            finally
            {
                foreach (var memfd in originals) memfd.Dispose();
            }
        }
    }

    [Fact]
    public async Task The_sender_keeps_its_handles_open()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var memfd = MemFd.Create("kept"))
        {
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "x"u8.ToArray(), [memfd]);
            Assert.False(memfd.IsClosed);
            memfd.Write("still usable"u8, 0);
            var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[4]).AsTask().WaitAsync(Timeout);
            foreach (var fd in result.FileDescriptors) fd.Dispose();
        }
    }

    [Fact]
    public async Task More_descriptors_than_the_receiver_accepts_fail_with_MSG_CTRUNC()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            var memfds = Enumerable.Range(0, 3).Select(i => MemFd.Create($"t{i}")).ToArray();
            try
            {
                await UnixSocketMessaging.SendAsync(a.SafeHandle, "abc"u8.ToArray(), memfds);
                var error = await Assert.ThrowsAsync<ControlMessageTruncatedException>(
                    () => UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16], maxFileDescriptors: 1).AsTask().WaitAsync(Timeout));
                Assert.Contains("more than the 1 file descriptors", error.Message);
                Assert.Contains("close it", error.Message);
            }
            finally
            {
                foreach (var memfd in memfds) memfd.Dispose();
            }
        }
    }

    [Fact]
    public async Task The_limit_is_exact_even_where_the_control_buffer_has_room_for_one_more()
    {
        // CMSG_SPACE(1 fd) is 24 bytes, which holds 2 descriptors: the kernel would not truncate.
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var first = MemFd.Create("1"))
        using (var second = MemFd.Create("2"))
        {
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "ab"u8.ToArray(), [first, second]);
            await Assert.ThrowsAsync<ControlMessageTruncatedException>(
                () => UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16], maxFileDescriptors: 1).AsTask().WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task Descriptors_where_none_are_accepted_fail_with_MSG_CTRUNC()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var memfd = MemFd.Create("unwanted"))
        {
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "abc"u8.ToArray(), [memfd]);
            var error = await Assert.ThrowsAsync<ControlMessageTruncatedException>(
                () => UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16], maxFileDescriptors: 0).AsTask().WaitAsync(Timeout));
            Assert.Contains("none are accepted", error.Message);
        }
    }

    [Fact]
    public async Task Receive_waits_asynchronously_until_data_arrives()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            var pending = UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16]).AsTask();
            await Task.Delay(100);
            Assert.False(pending.IsCompleted);
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "late"u8.ToArray());
            var result = await pending.WaitAsync(Timeout);
            Assert.Equal(4, result.BytesReceived);
        }
    }

    [Fact]
    public async Task A_cancelled_receive_loses_nothing()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            using var cancellation = new CancellationTokenSource();
            var pending = UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16], cancellationToken: cancellation.Token).AsTask();
            await Task.Delay(50);
            cancellation.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Timeout));

            await UnixSocketMessaging.SendAsync(a.SafeHandle, "next"u8.ToArray());
            var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16]).AsTask().WaitAsync(Timeout);
            Assert.Equal(4, result.BytesReceived);
        }
    }

    [Fact]
    public async Task A_large_send_waits_for_the_reader_and_its_descriptors_come_with_the_first_bytes()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var memfd = MemFd.Create("big"))
        {
            var data = new byte[8 << 20];
            new Random(7).NextBytes(data);
            var sending = UnixSocketMessaging.SendAsync(a.SafeHandle, data, [memfd]).AsTask();
            await Task.Delay(100);
            Assert.False(sending.IsCompleted); // the socket buffer is far smaller than 8 MiB

            var received = new byte[data.Length];
            int total = 0, reads = 0;
            while (total < data.Length)
            {
                var result = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, received.AsMemory(total)).AsTask().WaitAsync(Timeout);
                Assert.False(result.EndOfStream);
                Assert.Equal(reads == 0 ? 1 : 0, result.FileDescriptors.Count);
                foreach (var fd in result.FileDescriptors) fd.Dispose();
                total += result.BytesReceived;
                reads++;
            }
            await sending.WaitAsync(Timeout);
            Assert.Equal(data, received);
        }
    }

    [Fact]
    public async Task A_read_stops_right_after_the_bytes_that_carried_descriptors()
    {
        // The kernel behaviour VarlinkConnection's fd-association rule rests on: earlier bytes
        // without descriptors are glued in front of the ones that carry descriptors, but a
        // read never continues past them.
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        using (var memfd = MemFd.Create("boundary"))
        {
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "AAAA"u8.ToArray());
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "BB"u8.ToArray(), [memfd]);
            await UnixSocketMessaging.SendAsync(a.SafeHandle, "CCC"u8.ToArray());

            var buffer = new byte[64];
            var first = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal("AAAABB", Encoding.ASCII.GetString(buffer, 0, first.BytesReceived));
            Assert.Single(first.FileDescriptors).Dispose();

            var second = await UnixSocketMessaging.ReceiveAsync(b.SafeHandle, buffer).AsTask().WaitAsync(Timeout);
            Assert.Equal("CCC", Encoding.ASCII.GetString(buffer, 0, second.BytesReceived));
            Assert.Empty(second.FileDescriptors);
        }
    }

    [Fact]
    public async Task End_of_stream_is_reported_when_the_peer_closes()
    {
        var (a, b) = UnixSocketPair.Create();
        using (b)
        {
            var pending = UnixSocketMessaging.ReceiveAsync(b.SafeHandle, new byte[16]).AsTask();
            a.Dispose();
            var result = await pending.WaitAsync(Timeout);
            Assert.True(result.EndOfStream);
        }
    }

    [Fact]
    public async Task Sending_to_a_closed_peer_names_the_disconnect()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a)
        {
            b.Dispose();
            var error = await Assert.ThrowsAsync<PeerDisconnectedException>(
                () => UnixSocketMessaging.SendAsync(a.SafeHandle, "x"u8.ToArray()).AsTask());
            Assert.Contains("peer closed the connection", error.Message);
        }
    }

    [Fact]
    public async Task Works_with_sockets_connected_through_a_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lu-kernel-{Guid.NewGuid():N}.sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            using var server = await listener.AcceptAsync();
            using var memfd = MemFd.Create("via-path");

            await UnixSocketMessaging.SendAsync(client.SafeHandle, "hi"u8.ToArray(), [memfd]);
            var result = await UnixSocketMessaging.ReceiveAsync(server.SafeHandle, new byte[8]).AsTask().WaitAsync(Timeout);
            Assert.Equal(2, result.BytesReceived);
            Assert.Equal(FileDescriptorKind.Memfd, Assert.Single(result.FileDescriptors).Kind);
            result.FileDescriptors[0].Dispose();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Misuse_is_refused_before_any_system_call()
    {
        var (a, b) = UnixSocketPair.Create();
        using (a) using (b)
        {
            using var memfd = MemFd.Create("m");
            await Assert.ThrowsAsync<ArgumentException>(() => UnixSocketMessaging.ReceiveAsync(b.SafeHandle, Memory<byte>.Empty).AsTask());
            await Assert.ThrowsAsync<ArgumentException>(() => UnixSocketMessaging.SendAsync(a.SafeHandle, ReadOnlyMemory<byte>.Empty, [memfd]).AsTask());
            var tooMany = Enumerable.Repeat<SafeHandle>(memfd, UnixSocketMessaging.MaxFileDescriptorsPerMessage + 1).ToArray();
            await Assert.ThrowsAsync<ArgumentException>(() => UnixSocketMessaging.SendAsync(a.SafeHandle, "x"u8.ToArray(), tooMany).AsTask());

            var closed = MemFd.Create("closed");
            closed.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => UnixSocketMessaging.SendAsync(a.SafeHandle, "x"u8.ToArray(), [closed]).AsTask());
        }
    }
}
