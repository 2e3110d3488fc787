// LuodEndToEndTests: luod's io.liveupdate interface served on a real Unix socket to a real
// Varlink client — a managed session created, a memfd preserved over SCM_RIGHTS, a kexec
// (fake device, new registry, new server), the memfd claimed back with its bytes, finished.
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using LiveUpdate.Kernel;
using LiveUpdate.Varlink;

namespace LiveUpdate.Daemon.Tests;

public sealed class LuodEndToEndTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private sealed class RunningLuod(LuodTestbed bed, SessionRegistry registry, string socketPath, CancellationTokenSource stop, Task serving, RecordingKexec kexec) : IAsyncDisposable
    {
        public SessionRegistry Registry { get; } = registry;

        public RecordingKexec Kexec { get; } = kexec;

        public static RunningLuod Start(LuodTestbed bed, SessionRegistry registry, string socketName)
        {
            string socketPath = Path.Combine(bed.Directory, socketName);
            var server = new VarlinkServer(new VarlinkServiceInfo("LiveUpdate", "luod", "0.1", "https://example.invalid/luod"));
            var kexec = new RecordingKexec();
            server.AddInterface(new LiveUpdateInterface(registry, bed.Options, kexec,
                new UpdateCoordinator(registry, kexec, FixedPreflight.Go, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, "7.2.0-test")).Build());
            var stop = new CancellationTokenSource();
            return new RunningLuod(bed, registry, socketPath, stop, server.RunAsync(socketPath, stop.Token), kexec);
        }

        public Task<VarlinkClient> ConnectAsync() => VarlinkClient.ConnectAsync(socketPath).WaitAsync(Timeout);

        /// <summary>Stops serving, reboots the fake machine, and starts the next kernel's luod.</summary>
        public async Task<RunningLuod> KexecAsync(string socketName)
        {
            await DisposeAsync();
            return Start(bed, bed.Kexec(Registry), socketName);
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await serving.WaitAsync(Timeout);
            stop.Dispose();
        }
    }

    [Fact]
    public async Task Managed_session_over_the_socket_survives_the_kexec()
    {
        using var bed = new LuodTestbed();
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        var before = RunningLuod.Start(bed, bed.StartRegistry(), "before.sock");
        await using (var client = await before.ConnectAsync())
        {
            using (var created = await client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = "db", ["mode"] = "managed" }).WaitAsync(Timeout))
            {
                Assert.Equal("open", (string?)created.Parameters["session"]!["state"]);
                Assert.Null(created.Parameters["sessionFd"]);
            }

            using (var memfd = LuodTestbed.MemFdWith(data))
            using (var preserved = await client.CallAsync("io.liveupdate.Preserve",
                       new JsonObject { ["session"] = "db", ["name"] = "heap", ["fd"] = 0 }, [memfd]).WaitAsync(Timeout))
            {
                Assert.Equal(1, (int?)preserved.Parameters["file"]!["token"]);
                Assert.Equal(data.Length, (long?)preserved.Parameters["file"]!["bytes"]);
            }

            using (var listed = await client.CallAsync("io.liveupdate.ListSessions").WaitAsync(Timeout))
            {
                var session = Assert.Single(listed.Parameters["sessions"]!.AsArray())!;
                Assert.Equal("db", (string?)session["name"]);
                Assert.Equal("heap", (string?)session["files"]![0]!["name"]);
                Assert.Equal(data.Length, (long?)session["preservedBytes"]);
            }
        }

        await using var after = await before.KexecAsync("after.sock");
        await using (var client = await after.ConnectAsync())
        {
            using (var status = await client.CallAsync("io.liveupdate.GetStatus").WaitAsync(Timeout))
            {
                Assert.True((bool?)status.Parameters["status"]!["bootedByHandover"]);
                Assert.False((bool?)status.Parameters["status"]!["custodyLost"]);
            }

            using (var claimed = await client.CallAsync("io.liveupdate.Claim", new JsonObject { ["session"] = "db" }).WaitAsync(Timeout))
            {
                Assert.Equal("claimed", (string?)claimed.Parameters["session"]!["state"]);
                int index = (int)Assert.Single(claimed.Parameters["fds"]!.AsArray())!;
                using var memfd = claimed.FileDescriptors.TakeMemFd(index);
                Assert.Equal(SHA256.HashData(data), SHA256.HashData(LuodTestbed.Contents(memfd)));
            }

            using (await client.CallAsync("io.liveupdate.Finish", new JsonObject { ["session"] = "db" }).WaitAsync(Timeout)) { }
            using (var listed = await client.CallAsync("io.liveupdate.ListSessions").WaitAsync(Timeout))
                Assert.Empty(listed.Parameters["sessions"]!.AsArray());

            var gone = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
                client.CallAsync("io.liveupdate.Claim", new JsonObject { ["session"] = "db" }).WaitAsync(Timeout));
            Assert.Equal("io.liveupdate.SessionNotFound", gone.ErrorName);
        }
    }

    [Fact]
    public async Task Delegated_session_fd_travels_over_the_socket()
    {
        using var bed = new LuodTestbed();
        await using var luod = RunningLuod.Start(bed, bed.StartRegistry(), "luod.sock");
        await using var client = await luod.ConnectAsync();
        using var created = await client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = "vm", ["mode"] = "delegated" }).WaitAsync(Timeout);
        Assert.Equal(0, (int?)created.Parameters["sessionFd"]);
        Assert.Equal(1, created.FileDescriptors.Count);
        Assert.Equal(FileDescriptorKind.Memfd, created.FileDescriptors[0].Kind); // the fake's placeholder session fd
    }

    [Fact]
    public async Task Errors_and_service_info_reach_the_client()
    {
        using var bed = new LuodTestbed();
        await using var luod = RunningLuod.Start(bed, bed.StartRegistry(), "luod.sock");
        await using var client = await luod.ConnectAsync();

        using (var info = await client.CallAsync("org.varlink.service.GetInfo").WaitAsync(Timeout))
            Assert.Contains("io.liveupdate", info.Parameters["interfaces"]!.AsArray().Select(n => (string?)n));

        using (await client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = "db", ["mode"] = "managed" }).WaitAsync(Timeout)) { }
        var exists = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = "db", ["mode"] = "managed" }).WaitAsync(Timeout));
        Assert.Equal("io.liveupdate.SessionExists", exists.ErrorName);
        Assert.Equal("db", (string?)exists.Parameters["session"]);

        var (read, write) = NativeFile.Pipe();
        using (read) using (write)
        {
            var unsupported = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
                client.CallAsync("io.liveupdate.Preserve", new JsonObject { ["session"] = "db", ["name"] = "p", ["fd"] = 0 }, [read]).WaitAsync(Timeout));
            Assert.Equal("io.liveupdate.UnsupportedFile", unsupported.ErrorName);
        }

        var badMode = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = "x", ["mode"] = "other" }).WaitAsync(Timeout));
        Assert.Equal(VarlinkServiceErrors.InvalidParameter, badMode.ErrorName);
    }

    [Fact]
    public async Task Kexec_loads_before_replying_and_checks_its_parameters()
    {
        using var bed = new LuodTestbed();
        await using var luod = RunningLuod.Start(bed, bed.StartRegistry(), "kexec.sock");
        await using var client = await luod.ConnectAsync();

        var wrongType = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.Kexec", new JsonObject { ["kernel"] = "/boot/next", ["reuseCommandLine"] = "yes" }).WaitAsync(Timeout));
        Assert.Equal("org.varlink.service.InvalidParameter", wrongType.ErrorName);
        var neither = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.Kexec", new JsonObject { ["kernel"] = "/boot/next" }).WaitAsync(Timeout));
        Assert.Equal("org.varlink.service.InvalidParameter", neither.ErrorName);
        Assert.Empty(luod.Kexec.Loaded);

        string kernel = StandInKernelImage.SharedPath;
        var request = new JsonObject { ["kernel"] = kernel, ["commandLine"] = "console=ttyS0 kho=on liveupdate=on" };
        if (Environment.UserName != "root")
        {
            var refused = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync("io.liveupdate.Kexec", request).WaitAsync(Timeout));
            Assert.Equal("io.liveupdate.PermissionDenied", refused.ErrorName);
            Assert.Empty(luod.Kexec.Loaded);
            return;
        }
        using var reply = await client.CallAsync("io.liveupdate.Kexec", request).WaitAsync(Timeout);
        var loaded = Assert.Single(luod.Kexec.Loaded);
        Assert.Equal(kernel, loaded.Kernel);
        // luod replies, then reboots (the client must hear "loaded" before the machine goes): wait for it.
        for (int i = 0; i < 500 && luod.Kexec.Reboots == 0; i++) await Task.Delay(10);
        Assert.Equal(1, luod.Kexec.Reboots);
    }

    [Fact]
    public async Task Kexec_and_Update_name_a_kernel_or_initrd_that_cannot_be_loaded_before_anything_starts()
    {
        if (Environment.UserName != "root") return; // only root may ask; the refusal for others is tested above
        using var bed = new LuodTestbed();
        await using var luod = RunningLuod.Start(bed, bed.StartRegistry(), "kexec-paths.sock");
        await using var client = await luod.ConnectAsync();
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", "vmlinuz-7.9");
        const string commandLine = "console=ttyS0 kho=on liveupdate=on";

        foreach (var (method, parameters, errno, says) in new (string, JsonObject, int, string)[]
        {
            ("io.liveupdate.Kexec", new() { ["kernel"] = missing, ["commandLine"] = commandLine }, 2, $"{missing} does not exist"),
            ("io.liveupdate.Kexec", new() { ["kernel"] = Path.GetTempPath(), ["commandLine"] = commandLine }, 21, "is a directory"),
            ("io.liveupdate.Kexec", new() { ["kernel"] = StandInKernelImage.SharedPath, ["initrd"] = missing, ["commandLine"] = commandLine }, 2, $"initrd {missing} does not exist"),
            ("io.liveupdate.Update", new() { ["kernel"] = missing, ["commandLine"] = commandLine }, 2, $"{missing} does not exist"),
            ("io.liveupdate.Update", new() { ["kernel"] = "vmlinuz", ["commandLine"] = commandLine }, 22, "relative"),
        })
        {
            var error = await Assert.ThrowsAsync<VarlinkErrorException>(() => client.CallAsync(method, parameters).WaitAsync(Timeout));
            Assert.Equal("io.liveupdate.KernelError", error.ErrorName);
            Assert.Equal("KexecLoad", error.Parameters["operation"]!.GetValue<string>());
            Assert.Equal(errno, error.Parameters["errno"]!.GetValue<int>());
            Assert.Contains(says, error.Parameters["message"]!.GetValue<string>());
        }
        Assert.Empty(luod.Kexec.Loaded);
        Assert.Equal(0, luod.Kexec.Reboots);
    }

    [Fact]
    public async Task A_preserve_whose_fd_index_is_not_a_number_is_an_invalid_parameter()
    {
        using var bed = new LuodTestbed();
        await using var luod = RunningLuod.Start(bed, bed.StartRegistry(), "types.sock");
        await using var client = await luod.ConnectAsync();
        (await client.CallAsync("io.liveupdate.CreateSession", new JsonObject { ["name"] = "db", ["mode"] = "managed" }).WaitAsync(Timeout)).Dispose();
        var error = await Assert.ThrowsAsync<VarlinkErrorException>(() =>
            client.CallAsync("io.liveupdate.Preserve", new JsonObject { ["session"] = "db", ["name"] = "x", ["fd"] = "zero" }).WaitAsync(Timeout));
        Assert.Equal("org.varlink.service.InvalidParameter", error.ErrorName);
        Assert.Equal("fd", (string?)error.Parameters["parameter"]);
    }
}
