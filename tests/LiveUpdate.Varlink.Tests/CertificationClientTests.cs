// CertificationClientTests: our VarlinkClient against the Varlink project's reference
// certification server (Debian's varlink-go: `varlink-go-certification -varlink unix:PATH`
// serves org.varlink.certification). The client drives the whole sequence the Go client
// does — Start, Test01..Test09 (each reply is the next call's argument), Test10 with
// "more" (ten replies), Test11 "oneway", End — so every type the Varlink IDL has (bool, int,
// float, string, struct, map, set, object, enum, nullable, nested optionals) crosses the
// wire between our encoder/decoder and an independent implementation.
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink.Tests;

public sealed class CertificationClientTests
{
    private const string Tool = "/usr/bin/varlink-go-certification";
    private const string Interface = "org.varlink.certification";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Our_client_passes_the_varlink_go_certification_sequence()
    {
        await using var server = await ReferenceServer.StartAsync();
        await using var client = await VarlinkClient.ConnectAsync(server.SocketPath).WaitAsync(Timeout);

        using var start = await Call(client, "Start", []);
        string clientId = (string)start.Parameters["client_id"]!;
        Assert.False(string.IsNullOrEmpty(clientId));

        using var test01 = await Call(client, "Test01", new JsonObject { ["client_id"] = clientId });
        Assert.True((bool)test01.Parameters["bool"]!);

        using var test02 = await Call(client, "Test02", new JsonObject { ["client_id"] = clientId, ["bool"] = (bool)test01.Parameters["bool"]! });
        Assert.Equal(1L, (long)test02.Parameters["int"]!);

        using var test03 = await Call(client, "Test03", new JsonObject { ["client_id"] = clientId, ["int"] = (long)test02.Parameters["int"]! });
        Assert.Equal(1.0, (double)test03.Parameters["float"]!);

        using var test04 = await Call(client, "Test04", new JsonObject { ["client_id"] = clientId, ["float"] = (double)test03.Parameters["float"]! });
        Assert.Equal("ping", (string)test04.Parameters["string"]!);

        using var test05 = await Call(client, "Test05", new JsonObject { ["client_id"] = clientId, ["string"] = (string)test04.Parameters["string"]! });
        Assert.False((bool)test05.Parameters["bool"]!);
        Assert.Equal(2L, (long)test05.Parameters["int"]!);
        Assert.Equal(Math.PI, (double)test05.Parameters["float"]!);
        Assert.Equal("a lot of string", (string)test05.Parameters["string"]!);

        var test06Parameters = test05.Parameters.DeepClone().AsObject();
        test06Parameters["client_id"] = clientId;
        using var test06 = await Call(client, "Test06", test06Parameters);
        var structure = test06.Parameters["struct"]!.AsObject();
        Assert.False((bool)structure["bool"]!);
        Assert.Equal(2L, (long)structure["int"]!);
        Assert.Equal(Math.PI, (double)structure["float"]!);
        Assert.Equal("a lot of string", (string)structure["string"]!);

        using var test07 = await Call(client, "Test07", new JsonObject { ["client_id"] = clientId, ["struct"] = structure.DeepClone() });
        var map = test07.Parameters["map"]!.AsObject();
        Assert.Equal(2, map.Count);
        Assert.Equal("Bar", (string)map["bar"]!);
        Assert.Equal("Foo", (string)map["foo"]!);

        using var test08 = await Call(client, "Test08", new JsonObject { ["client_id"] = clientId, ["map"] = map.DeepClone() });
        var set = test08.Parameters["set"]!.AsObject();
        Assert.Equal(["one", "three", "two"], set.Select(member => member.Key).Order());
        Assert.All(set, member => Assert.Empty(member.Value!.AsObject()));

        using var test09 = await Call(client, "Test09", new JsonObject { ["client_id"] = clientId, ["set"] = set.DeepClone() });
        var myType = test09.Parameters["mytype"]!.AsObject();
        Assert.Equal("org.varlink.certification.Test09", (string)myType["object"]!["method"]!);
        Assert.Equal("two", (string)myType["enum"]!);
        Assert.Equal(1L, (long)myType["struct"]!["first"]!);
        Assert.Equal("2", (string)myType["struct"]!["second"]!);
        Assert.Equal(["one", "two", "three"], myType["array"]!.AsArray().Select(item => (string)item!));
        Assert.Null(myType["nullable"]);
        Assert.Null(myType["nullable_array_struct"]);
        var foo = myType["interface"]!["foo"]!.AsArray();
        Assert.Equal(4, foo.Count);
        Assert.Null(foo[0]);
        Assert.Equal("foo", (string)foo[1]!["Foo"]!);
        Assert.Null(foo[2]);
        Assert.Equal("bar", (string)foo[3]!["two"]!);
        Assert.True((bool)myType["interface"]!["anon"]!["foo"]!);
        Assert.False((bool)myType["interface"]!["anon"]!["bar"]!);

        var replies = new List<string>();
        var stream = client.CallMoreAsync($"{Interface}.Test10", new JsonObject { ["client_id"] = clientId, ["mytype"] = myType.DeepClone() });
        await foreach (var reply in stream.WithCancellation(new CancellationTokenSource(Timeout).Token))
        {
            using (reply)
            {
                replies.Add((string)reply.Parameters["string"]!);
                Assert.Equal(replies.Count < 10, reply.Continues);
            }
        }
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"Reply number {i}"), replies);

        var lastMoreReplies = new JsonArray(replies.Select(reply => (JsonNode?)reply).ToArray());
        await client.SendOnewayAsync($"{Interface}.Test11", new JsonObject { ["client_id"] = clientId, ["last_more_replies"] = lastMoreReplies })
            .WaitAsync(Timeout);

        // End answers on the same connection: had the oneway call drawn a reply, End would read it instead.
        using var end = await Call(client, "End", new JsonObject { ["client_id"] = clientId });
        Assert.Equal(["all_ok"], end.Parameters.Select(member => member.Key));
        Assert.True((bool)end.Parameters["all_ok"]!);
        Assert.False(server.HasExited, "the reference server died during the sequence:\n" + server.Output());
    }

    [Fact]
    public async Task The_reference_server_rejects_a_wrong_value_so_the_sequence_proves_something()
    {
        await using var server = await ReferenceServer.StartAsync();
        await using var client = await VarlinkClient.ConnectAsync(server.SocketPath).WaitAsync(Timeout);
        using var start = await Call(client, "Start", []);
        string clientId = (string)start.Parameters["client_id"]!;

        var wrong = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            Call(client, "Test02", new JsonObject { ["client_id"] = clientId, ["bool"] = false }));
        Assert.Equal($"{Interface}.CertificationError", wrong.ErrorName);

        var unknown = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            Call(client, "Test01", new JsonObject { ["client_id"] = "not-a-client" }));
        Assert.Equal($"{Interface}.ClientIdError", unknown.ErrorName);
    }

    private static Task<VarlinkResult> Call(VarlinkClient client, string method, JsonObject parameters) =>
        client.CallAsync($"{Interface}.{method}", parameters).WaitAsync(Timeout);

    /// <summary>varlink-go-certification serving on a socket in a fresh temporary directory.</summary>
    private sealed class ReferenceServer : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _directory;
        private readonly System.Text.StringBuilder _output = new();

        private ReferenceServer(Process process, string directory, string socketPath)
        {
            _process = process;
            _directory = directory;
            SocketPath = socketPath;
        }

        public string SocketPath { get; }

        public bool HasExited => _process.HasExited;

        public string Output()
        {
            lock (_output) return _output.ToString();
        }

        public static async Task<ReferenceServer> StartAsync()
        {
            Assert.True(File.Exists(Tool), $"{Tool} is missing; vm/install-deps.sh installs it (Debian package varlink-go).");
            string directory = Path.Combine(Path.GetTempPath(), $"lu-vl-cert-{Guid.NewGuid():N}");
            Directory.CreateDirectory(directory);
            string socketPath = Path.Combine(directory, "cert.sock");
            var start = new ProcessStartInfo(Tool) { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-varlink");
            start.ArgumentList.Add($"unix:{socketPath}");
            var process = Process.Start(start)!;
            var server = new ReferenceServer(process, directory, socketPath);
            process.OutputDataReceived += (_, line) => { lock (server._output) server._output.AppendLine(line.Data); };
            process.ErrorDataReceived += (_, line) => { lock (server._output) server._output.AppendLine(line.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var deadline = Stopwatch.StartNew();
            while (!File.Exists(socketPath))
            {
                if (process.HasExited || deadline.Elapsed > Timeout)
                {
                    string output = server.Output();
                    await server.DisposeAsync();
                    Assert.Fail($"{Tool} did not start listening on {socketPath}:\n{output}");
                }
                await Task.Delay(20);
            }
            // The socket file appears at bind(), a moment before listen(): until then a connect is refused.
            while (true)
            {
                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                try
                {
                    await probe.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
                    return server;
                }
                catch (System.Net.Sockets.SocketException) when (!process.HasExited && deadline.Elapsed < Timeout)
                {
                    await Task.Delay(20);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
                _process.Kill();
            await _process.WaitForExitAsync();
            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
