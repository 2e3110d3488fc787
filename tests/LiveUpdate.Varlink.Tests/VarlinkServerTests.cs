// VarlinkServerTests: a real server on a temporary socket path and real clients — the
// org.varlink.service methods, the standard errors, memfds both ways, streaming, oneway
// calls, peer credentials, concurrency across connections, order within one, protocol
// violations, and shutdown.
using System.IO.Pipes;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;

namespace LiveUpdate.Varlink.Tests;

public sealed class VarlinkServerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GetInfo_describes_the_service_and_lists_its_interfaces()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var info = await client.CallAsync("org.varlink.service.GetInfo").WaitAsync(Timeout);
        Assert.Equal("LiveUpdate", (string?)info.Parameters["vendor"]);
        Assert.Equal("test service", (string?)info.Parameters["product"]);
        Assert.Equal("1.2.3", (string?)info.Parameters["version"]);
        Assert.Equal("https://example.invalid/liveupdate", (string?)info.Parameters["url"]);
        Assert.Equal(["org.varlink.service", "io.liveupdate.Test"],
            info.Parameters["interfaces"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public async Task GetInterfaceDescription_returns_the_registered_text()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using (var own = await client.CallAsync("org.varlink.service.GetInterfaceDescription", new JsonObject { ["interface"] = "io.liveupdate.Test" }))
            Assert.Equal(TestService.Description, (string?)own.Parameters["description"]);
        using (var standard = await client.CallAsync("org.varlink.service.GetInterfaceDescription", new JsonObject { ["interface"] = "org.varlink.service" }))
            Assert.Contains("method GetInterfaceDescription(interface: string) -> (description: string)", (string?)standard.Parameters["description"]);

        var unknown = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("org.varlink.service.GetInterfaceDescription", new JsonObject { ["interface"] = "io.nowhere" }));
        Assert.Equal(VarlinkServiceErrors.InterfaceNotFound, unknown.ErrorName);
        Assert.Equal("io.nowhere", (string?)unknown.Parameters["interface"]);

        var missing = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync("org.varlink.service.GetInterfaceDescription"));
        Assert.Equal(VarlinkServiceErrors.InvalidParameter, missing.ErrorName);
        Assert.Equal("interface", (string?)missing.Parameters["parameter"]);
    }

    [Theory]
    [InlineData("io.nowhere.Method", VarlinkServiceErrors.InterfaceNotFound, "interface", "io.nowhere")]
    [InlineData("io.liveupdate.Test.Nope", VarlinkServiceErrors.MethodNotFound, "method", "io.liveupdate.Test.Nope")]
    [InlineData("io.liveupdate.Test.Unimplemented", VarlinkServiceErrors.MethodNotImplemented, "method", "io.liveupdate.Test.Unimplemented")]
    [InlineData("NoDots", VarlinkServiceErrors.MethodNotFound, "method", "NoDots")]
    public async Task Unknown_targets_get_the_standard_errors(string method, string error, string parameter, string value)
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        var failure = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync(method).WaitAsync(Timeout));
        Assert.Equal(error, failure.ErrorName);
        Assert.Equal(value, (string?)failure.Parameters[parameter]);
        Assert.Contains(error, failure.Message);
        using var after = await client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "still connected" });
        Assert.Equal("still connected", (string?)after.Parameters["text"]);
    }

    [Fact]
    public async Task A_call_is_answered_with_its_parameters()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var reply = await client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "héllo \u0001 wörld" }).WaitAsync(Timeout);
        Assert.Equal("héllo \u0001 wörld", (string?)reply.Parameters["text"]);
        Assert.False(reply.Continues);
        Assert.Equal(0, reply.FileDescriptors.Count);
    }

    [Fact]
    public async Task The_handler_sees_the_callers_credentials()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var reply = await client.CallAsync("io.liveupdate.Test.Peer").WaitAsync(Timeout);
        var own = client.Connection.PeerCredentials; // the server is this process too
        Assert.Equal(Environment.ProcessId, (int?)reply.Parameters["pid"]);
        Assert.Equal(own.UserId, (uint?)reply.Parameters["uid"]);
        Assert.Equal(own.GroupId, (uint?)reply.Parameters["gid"]);
    }

    [Fact]
    public async Task Memfds_travel_with_the_call_and_with_the_reply()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var memfd = MemFd.Create("call");
        memfd.SetSize(12345);
        using var reply = await client.CallAsync("io.liveupdate.Test.SwapMemfd", fileDescriptors: [memfd]).WaitAsync(Timeout);
        Assert.Equal(12345, (long?)reply.Parameters["size"]);
        Assert.Equal(1, reply.FileDescriptors.Count);
        Assert.Equal(FileDescriptorKind.Memfd, reply.FileDescriptors[0].Kind);
        using var returned = reply.FileDescriptors.TakeMemFd(0);
        var buffer = new byte[5];
        returned.Read(buffer, 0);
        Assert.Equal("reply"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task Descriptors_for_a_method_that_takes_none_are_closed_and_refused()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        var failure = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "x" }, [pipe.ClientSafePipeHandle]).WaitAsync(Timeout));
        Assert.Equal(VarlinkServiceErrors.InvalidParameter, failure.ErrorName);
        Assert.Equal(VarlinkServiceErrors.FileDescriptorsParameter, (string?)failure.Parameters["parameter"]);
        Assert.Contains(service.Log, line => line.Contains("it brought 1 file descriptor(s), the method accepts 0"));

        // The server closed its copy of the pipe's write end: with ours closed too, the reader sees end of file.
        pipe.DisposeLocalCopyOfClientHandle();
        Assert.Equal(0, await pipe.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_non_memfd_for_a_memfd_method_is_answered_with_an_error_that_names_it()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        using var pipe = new AnonymousPipeServerStream(PipeDirection.In);
        var failure = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.Test.SwapMemfd", fileDescriptors: [pipe.ClientSafePipeHandle]).WaitAsync(Timeout));
        Assert.Equal(VarlinkServiceErrors.InternalError, failure.ErrorName);
        Assert.Contains("is a pipe, not a memfd", (string?)failure.Parameters["message"]);
    }

    [Fact]
    public async Task A_streaming_call_yields_every_reply_with_its_own_memfd()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        int expected = 0;
        await foreach (var reply in client.CallMoreAsync("io.liveupdate.Test.Count", new JsonObject { ["n"] = 6 }).WithCancellation(CancellationToken.None))
        {
            using (reply)
            {
                Assert.Equal(expected, (int?)reply.Parameters["i"]);
                Assert.Equal(expected < 5, reply.Continues);
                Assert.Equal(1, reply.FileDescriptors.Count);
                using var memfd = reply.FileDescriptors.TakeMemFd(0);
                Assert.Equal(expected, memfd.Size); // the memfd that came with reply i has size i
                expected++;
            }
        }
        Assert.Equal(6, expected);
        using var after = await client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "next" });
        Assert.Equal("next", (string?)after.Parameters["text"]);
    }

    [Fact]
    public async Task A_streaming_method_called_without_more_answers_ExpectedMore()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        var failure = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.Test.Count", new JsonObject { ["n"] = 2 }).WaitAsync(Timeout));
        Assert.Equal(VarlinkServiceErrors.ExpectedMore, failure.ErrorName);
    }

    [Fact]
    public async Task A_oneway_call_runs_and_gets_no_reply()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        await client.SendOnewayAsync("io.liveupdate.Test.Notice", new JsonObject { ["text"] = "fire and forget" });
        Assert.True(await service.NoticeArrived.WaitAsync(Timeout));
        Assert.Equal(["fire and forget"], service.Notices);
        // Had the handler's reply been sent, it would be taken for this call's.
        using var reply = await client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "mine" }).WaitAsync(Timeout);
        Assert.Equal("mine", (string?)reply.Parameters["text"]);
    }

    [Fact]
    public async Task Handler_failures_become_error_replies()
    {
        await using var service = TestService.Start();
        await using var client = await service.ConnectAsync();

        var typed = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync("io.liveupdate.Test.Fail", new JsonObject { ["kind"] = "error" }));
        Assert.Equal("io.liveupdate.Test.Broken", typed.ErrorName);
        Assert.Equal("on purpose", (string?)typed.Parameters["reason"]);
        Assert.Equal("io.liveupdate.Test.Fail", typed.Method);

        var crash = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync("io.liveupdate.Test.Fail", new JsonObject { ["kind"] = "exception" }));
        Assert.Equal(VarlinkServiceErrors.InternalError, crash.ErrorName);
        Assert.Equal("the handler crashed", (string?)crash.Parameters["message"]);

        var silent = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync("io.liveupdate.Test.Fail", new JsonObject { ["kind"] = "silent" }));
        Assert.Equal(VarlinkServiceErrors.InternalError, silent.ErrorName);
        Assert.Contains("returned without replying", (string?)silent.Parameters["message"]);

        var invalid = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync("io.liveupdate.Test.Echo"));
        Assert.Equal(VarlinkServiceErrors.InvalidParameter, invalid.ErrorName);
        Assert.Equal("text", (string?)invalid.Parameters["parameter"]);

        Assert.Contains(service.Log, line => line.Contains("the handler crashed"));
    }

    [Fact]
    public async Task Connections_are_served_concurrently()
    {
        await using var service = TestService.Start();
        await using var blocked = await service.ConnectAsync();
        await using var other = await service.ConnectAsync();
        var blocking = blocked.CallAsync("io.liveupdate.Test.Block");
        await service.BlockEntered.Task.WaitAsync(Timeout);
        using (var reply = await other.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "not blocked" }).WaitAsync(Timeout))
            Assert.Equal("not blocked", (string?)reply.Parameters["text"]);
        Assert.False(blocking.IsCompleted);
        service.ReleaseBlock.SetResult();
        (await blocking.WaitAsync(Timeout)).Dispose();
    }

    [Fact]
    public async Task Calls_on_one_connection_are_answered_one_at_a_time_in_order()
    {
        await using var service = TestService.Start();
        await using var connection = await VarlinkConnection.ConnectAsync(service.SocketPath);
        // Pipelined without waiting: the second call is not even read before the first is answered.
        await connection.SendAsync(new VarlinkCall("io.liveupdate.Test.Block"));
        await connection.SendAsync(new VarlinkCall("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "second" }));
        await service.BlockEntered.Task.WaitAsync(Timeout);
        var next = connection.ReceiveAsync();
        await Task.Delay(100);
        Assert.False(next.IsCompleted);
        service.ReleaseBlock.SetResult();
        using (var first = await next.WaitAsync(Timeout))
            Assert.Empty(VarlinkReply.FromMessage(first!.Body).Parameters);
        using var second = await connection.ReceiveAsync().WaitAsync(Timeout);
        Assert.Equal("second", (string?)VarlinkReply.FromMessage(second!.Body).Parameters["text"]);
    }

    [Fact]
    public async Task A_peer_that_breaks_the_protocol_loses_only_its_own_connection()
    {
        await using var service = TestService.Start();
        using var rogue = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await rogue.ConnectAsync(new UnixDomainSocketEndPoint(service.SocketPath));
        await using var good = await service.ConnectAsync();

        await rogue.SendAsync(Encoding.UTF8.GetBytes("{\"method\": oops}\0"));
        Assert.Equal(0, await rogue.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(Timeout)); // closed by the server
        Assert.Contains(service.Log, line => line.Contains("not valid JSON"));

        using var reply = await good.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = "fine" }).WaitAsync(Timeout);
        Assert.Equal("fine", (string?)reply.Parameters["text"]);
    }

    [Theory]
    [InlineData("{\"parameters\":{}}")]
    [InlineData("{\"method\":42}")]
    [InlineData("{\"method\":\"a.b.C\",\"parameters\":[1]}")]
    [InlineData("{\"method\":\"a.b.C\",\"oneway\":true,\"more\":true}")]
    [InlineData("{\"method\":\"a.b.C\",\"more\":\"yes\"}")]
    public async Task A_message_that_is_not_a_call_closes_the_connection(string text)
    {
        await using var service = TestService.Start();
        using var rogue = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await rogue.ConnectAsync(new UnixDomainSocketEndPoint(service.SocketPath));
        await rogue.SendAsync(Encoding.UTF8.GetBytes(text + "\0"));
        Assert.Equal(0, await rogue.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(Timeout));
        Assert.Contains(service.Log, line => line.Contains("not a Varlink call"));
    }

    // A member name with an unpaired surrogate escape, anywhere in the message, is a wire-format
    // violation (VarlinkWireFormat.Decode): the connection closes without a reply, logged as such.
    // It used to escape the decoder as InvalidOperationException ("unexpected failure").
    [Theory]
    [InlineData("{\"method\":\"io.liveupdate.Test.Echo\",\"parameters\":{\"text\":\"x\",\"\\ud800\":1}}")]
    [InlineData("{\"method\":\"io.liveupdate.Test.Echo\",\"parameters\":{\"text\":\"x\",\"deep\":[{\"a\\udc00\":1}]}}")]
    [InlineData("{\"method\":\"io.liveupdate.Test.Echo\",\"\\ud800\":true,\"parameters\":{\"text\":\"x\"}}")]
    public async Task A_member_name_with_an_unpaired_surrogate_closes_the_connection_as_a_protocol_violation(string text)
    {
        await using var service = TestService.Start();
        using var rogue = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await rogue.ConnectAsync(new UnixDomainSocketEndPoint(service.SocketPath));
        await rogue.SendAsync(Encoding.UTF8.GetBytes(text + "\0"));
        Assert.Equal(0, await rogue.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(Timeout));
        Assert.Contains(service.Log, line => line.Contains("member name that is no Unicode text"));
        Assert.DoesNotContain(service.Log, line => line.Contains("unexpected failure"));
    }

    private static async Task<JsonObject> RawCallAsync(TestService service, string text)
    {
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(service.SocketPath));
        await raw.SendAsync(Encoding.UTF8.GetBytes(text + "\0"));
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (!received.Contains(0))
        {
            int n = await raw.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(Timeout);
            Assert.True(n > 0, "the server closed the connection instead of answering");
            received.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        return (JsonObject)JsonNode.Parse(received.GetRange(0, received.IndexOf(0)).ToArray())!;
    }

    [Fact]
    public async Task An_empty_method_is_answered_MethodNotFound_and_the_connection_stays()
    {
        await using var service = TestService.Start();
        var reply = await RawCallAsync(service, "{\"method\":\"\",\"parameters\":{}}");
        Assert.Equal(VarlinkServiceErrors.MethodNotFound, (string?)reply["error"]);
        Assert.Equal("", (string?)reply["parameters"]!["method"]);
    }

    [Theory]
    [InlineData("io.liveupdate.Test.Echo", "{\"text\":\"a\\ud800b\"}", "text")]
    [InlineData("io.liveupdate.Test.Echo", "{\"text\":\"\\udc00\"}", "text")]
    [InlineData("io.liveupdate.Test.Echo", "{\"text\":\"ok\",\"deep\":{\"list\":[\"\\ud800\"]}}", "deep")]
    [InlineData("org.varlink.service.GetInterfaceDescription", "{\"interface\":\"\\ud800\"}", "interface")]
    public async Task An_unpaired_surrogate_in_any_string_parameter_is_InvalidParameter_naming_it(string method, string parameters, string expected)
    {
        await using var service = TestService.Start();
        var reply = await RawCallAsync(service, $"{{\"method\":\"{method}\",\"parameters\":{parameters}}}");
        Assert.Equal(VarlinkServiceErrors.InvalidParameter, (string?)reply["error"]);
        Assert.Equal(expected, (string?)reply["parameters"]!["parameter"]);
        Assert.Contains("surrogate", (string?)reply["parameters"]!["reason"]);
    }

    [Fact]
    public async Task Null_parameters_are_taken_as_an_empty_object()
    {
        await using var service = TestService.Start();
        var reply = await RawCallAsync(service, "{\"method\":\"org.varlink.service.GetInfo\",\"parameters\":null}");
        Assert.Null(reply["error"]);
        Assert.NotNull(reply["parameters"]!["interfaces"]);
    }

    // The depth limit counts the whole message: the message object is level 1, "parameters"
    // level 2, so a parameter can hold 62 nested containers and no more.
    [Theory]
    [InlineData(62, true)]
    [InlineData(63, false)]
    public async Task Nesting_counts_from_the_message_object_up_to_64(int containers, bool answered)
    {
        await using var service = TestService.Start();
        string deep = new string('[', containers) + new string(']', containers);
        string text = $"{{\"method\":\"io.liveupdate.Test.Echo\",\"parameters\":{{\"text\":\"x\",\"deep\":{deep}}}}}";
        using var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(service.SocketPath));
        await raw.SendAsync(Encoding.UTF8.GetBytes(text + "\0"));
        int n = await raw.ReceiveAsync(new byte[4096].AsMemory()).AsTask().WaitAsync(Timeout);
        Assert.Equal(answered, n > 0);
    }

    [Fact]
    public async Task A_paired_surrogate_escape_is_text_and_passes()
    {
        await using var service = TestService.Start();
        var reply = await RawCallAsync(service, "{\"method\":\"io.liveupdate.Test.Echo\",\"parameters\":{\"text\":\"\\ud83d\\ude00\"}}");
        Assert.Null(reply["error"]);
        Assert.Equal("\U0001F600", (string?)reply["parameters"]!["text"]);
    }

    [Fact]
    public async Task An_oversized_call_closes_the_connection()
    {
        await using var service = TestService.Start(new VarlinkServerOptions { Connection = new VarlinkConnectionOptions { MaxMessageSize = 1024 } });
        await using var client = await service.ConnectAsync();
        await Assert.ThrowsAsync<VarlinkDisconnectedException>(() =>
            client.CallAsync("io.liveupdate.Test.Echo", new JsonObject { ["text"] = new string('x', 4096) }).WaitAsync(Timeout));
        Assert.Contains(service.Log, line => line.Contains("over this connection's limit of 1024 bytes"));
    }

    [Fact]
    public async Task Shutdown_cancels_handlers_closes_connections_and_removes_the_socket()
    {
        var service = TestService.Start();
        await using var client = await service.ConnectAsync();
        var blocking = client.CallAsync("io.liveupdate.Test.Block");
        await service.BlockEntered.Task.WaitAsync(Timeout);
        Assert.True(File.Exists(service.SocketPath));

        await service.StopAsync();
        Assert.True(await service.BlockObservedCancellation.Task.WaitAsync(Timeout));
        var failure = await Assert.ThrowsAnyAsync<VarlinkException>(() => blocking.WaitAsync(Timeout));
        Assert.True(failure is VarlinkDisconnectedException
            || (failure is VarlinkErrorException e && e.ErrorName == "io.liveupdate.Test.Broken"));
        Assert.False(File.Exists(service.SocketPath));
        await Assert.ThrowsAsync<VarlinkConnectException>(() => VarlinkClient.ConnectAsync(service.SocketPath));
        await service.DisposeAsync();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_socket_file_gets_the_configured_mode_in_a_created_directory()
    {
        await using var restricted = TestService.Start();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(restricted.SocketPath));
        Assert.Equal(FileDescriptorKind.Socket, FileDescriptorInspector.DescribePath(restricted.SocketPath));

        var groupMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        await using var shared = TestService.Start(new VarlinkServerOptions { SocketFileMode = groupMode });
        Assert.Equal(groupMode, File.GetUnixFileMode(shared.SocketPath));
    }

    [Fact]
    public async Task A_stale_socket_file_is_replaced()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lu-vl-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "stale.sock");
        try
        {
            // A socket file nobody listens on any more, as a crashed server leaves behind. (.NET
            // unlinks the path it bound when the socket is disposed, so bind elsewhere and move it.)
            string bound = path + ".tmp";
            using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                dead.Bind(new UnixDomainSocketEndPoint(bound));
                File.Move(bound, path);
            }
            Assert.Equal(FileDescriptorKind.Socket, FileDescriptorInspector.DescribePath(path));

            var server = new VarlinkServer(new VarlinkServiceInfo("v", "p", "1", "u"));
            using var stop = new CancellationTokenSource();
            var running = server.RunAsync(path, stop.Token);
            await using (var client = await VarlinkClient.ConnectAsync(path))
            using (var info = await client.CallAsync("org.varlink.service.GetInfo").WaitAsync(Timeout))
                Assert.Equal("p", (string?)info.Parameters["product"]);
            stop.Cancel();
            await running.WaitAsync(Timeout);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_live_socket_or_a_non_socket_is_never_replaced()
    {
        await using var service = TestService.Start();
        var second = new VarlinkServer(new VarlinkServiceInfo("v", "p", "1", "u"));
        var busy = Assert.Throws<VarlinkListenException>(() => { _ = second.RunAsync(service.SocketPath, CancellationToken.None); });
        Assert.Contains("already listening", busy.Message);

        string file = Path.Combine(service.Directory, "not-a-socket");
        File.WriteAllText(file, "keep me");
        var wrongKind = Assert.Throws<VarlinkListenException>(() => { _ = second.RunAsync(file, CancellationToken.None); });
        Assert.Contains("is not a socket", wrongKind.Message);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public async Task An_adopted_listening_socket_is_served_and_left_open()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"lu-vl-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "adopted.sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            var server = new VarlinkServer(new VarlinkServiceInfo("v", "adopted", "1", "u"));
            using var stop = new CancellationTokenSource();
            var running = server.RunAsync(listener, stop.Token);
            await using (var client = await VarlinkClient.ConnectAsync(path))
            using (var info = await client.CallAsync("org.varlink.service.GetInfo").WaitAsync(Timeout))
                Assert.Equal("adopted", (string?)info.Parameters["product"]);
            stop.Cancel();
            await running.WaitAsync(Timeout);
            Assert.True(File.Exists(path));
            listener.Listen(); // still open: the caller owns it
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_connection_can_be_served_directly_over_a_socketpair()
    {
        var server = new VarlinkServer(new VarlinkServiceInfo("v", "pair", "1", "u"));
        var (a, b) = UnixSocketPair.Create();
        using var stop = new CancellationTokenSource();
        var serving = server.ServeConnectionAsync(new VarlinkConnection(b), stop.Token);
        await using (var client = new VarlinkClient(new VarlinkConnection(a)))
        using (var info = await client.CallAsync("org.varlink.service.GetInfo").WaitAsync(Timeout))
            Assert.Equal("pair", (string?)info.Parameters["product"]);
        await serving.WaitAsync(Timeout); // the client closed: the server side ends
    }

    [Fact]
    public async Task Interfaces_are_registered_once()
    {
        var server = new VarlinkServer(new VarlinkServiceInfo("v", "p", "1", "u"));
        server.AddInterface(new VarlinkInterface(TestService.Description));
        Assert.Throws<ArgumentException>(() => server.AddInterface(new VarlinkInterface(TestService.Description)));
        Assert.Throws<ArgumentException>(() => server.AddInterface(new VarlinkInterface("interface org.varlink.service\nmethod GetInfo() -> ()")));
        await Task.CompletedTask;
    }
}
