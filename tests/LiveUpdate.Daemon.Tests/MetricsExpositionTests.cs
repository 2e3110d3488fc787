// MetricsExpositionTests: what luod's metrics listener serves, read back as a scraper reads it —
// names, types, labels and values — before and after a live update on the in-process fake
// device (InProcessLuod): sessions and bytes per owner, the preflight verdict and the staged
// kernel, the kexec count from a KHO debugfs kexec-metadata blob (and luod's own count without
// debugfs), each phase and the participant's blackout as histograms and last-update gauges equal
// to the update's report; and that `luoctl report --openmetrics`'s input (GetMetrics + GetUpdates
// over Varlink) renders the same text. Also MetricsListen's address forms and the listener's
// answers to other paths and methods.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LiveUpdate.Client;
using LiveUpdate.Daemon;
using LiveUpdate.Kernel;
using LiveUpdate.Metrics;
using LiveUpdate.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveUpdate.Daemon.Tests;

public sealed class MetricsExpositionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private const string Release = "7.2.0-test";
    private static readonly PeerCredentials Root = new(Environment.ProcessId, 0, 0);

    /// <summary>Resumes after the kexec; holds nothing of its own (the test preserves through luod).</summary>
    private sealed class Participant : IUpdateParticipant
    {
        public Task PrepareAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task FreezeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task ResumeAsync(UpdateNotice notice, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static MetricsListener Listen(InProcessLuod luod, string socketPath) =>
        MetricsListener.Bind(new UnixDomainSocketEndPoint(socketPath),
            () => MetricsSnapshot.From(MetricsStateCapture.Capture(luod.Registry, luod.Coordinator, luod.Bed.Options, Root, Release), luod.Coordinator.CompletedUpdates),
            NullLogger.Instance);

    /// <summary>One HTTP/1.1 request over the Unix socket, as Prometheus (or curl --unix-socket) sends it: status line, headers, body.</summary>
    private static async Task<(string Status, string Headers, string Body)> RequestAsync(string socketPath, string requestLine)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        await using var stream = new NetworkStream(socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{requestLine}\r\nHost: luod\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync().WaitAsync(Timeout);
        int split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string head = response[..split];
        return (head.Split("\r\n")[0], head, response[(split + 4)..]);
    }

    private static void WriteKexecMetadata(string khoDebugfs, string previousRelease, uint count)
    {
        Directory.CreateDirectory(Path.Combine(khoDebugfs, "in", "sub_fdts"));
        var blob = new byte[KexecMetadata.Size];
        BinaryPrimitives.WriteUInt32LittleEndian(blob, KexecMetadata.SupportedVersion);
        Encoding.ASCII.GetBytes(previousRelease).CopyTo(blob, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4 + 65), count);
        File.WriteAllBytes(Path.Combine(khoDebugfs, KexecMetadata.RelativePath), blob);
    }

    [Fact]
    public async Task Served_metrics_carry_the_sessions_the_preflight_the_kexec_count_and_the_updates_blackout()
    {
        using var machine = new LuodTestbed();
        string khoDebugfs = Path.Combine(machine.Directory, "kho");
        machine.Options.KhoDebugfsPath = khoDebugfs; // absent in the first boot: luod counts 0 kexecs itself
        var luod = InProcessLuod.Start(machine);
        string socketPath = Path.Combine(machine.Directory, "metrics.sock");
        const int Bytes = 3 * 4096;

        await using (var client = await luod.ConnectAsync())
        {
            var session = await client.CreateManagedSessionAsync("cache").WaitAsync(Timeout);
            using (var memory = PreservedMemory.Create("arena", Bytes))
                await session.PreserveAsync("arena", memory).WaitAsync(Timeout);

            using (var before = Listen(luod, socketPath))
            {
                using var stop = new CancellationTokenSource();
                var serving = before.RunAsync(stop.Token);
                var (status, headers, body) = await RequestAsync(socketPath, "GET /metrics HTTP/1.1");
                Assert.Equal("HTTP/1.1 200 OK", status);
                Assert.Contains($"Content-Type: {LuodMetricFamilies.ContentType}", headers);
                var metrics = OpenMetricsText.Parse(body);
                Assert.True(metrics.EndsWithEof);
                Assert.Equal(1, metrics.Value("luod_sessions", ("owner", "0"), ("state", "open")));
                Assert.Equal(Bytes, metrics.Value("luod_preserved_bytes", ("owner", "0")));
                Assert.Equal(0, metrics.Value("luod_custody_lost"));
                Assert.Equal(0, metrics.Value("luod_orphan_sessions"));
                Assert.Equal(0, metrics.Value("luod_kexecs_total", ("source", "luod")));
                Assert.Equal("counter", metrics.Types["luod_kexecs"]);
                Assert.Equal(0, metrics.Value("luod_kernel_staged"));
                Assert.False(metrics.Has("luod_staged_kernel_preflight"), "no kernel checked yet");
                Assert.False(metrics.Has("luod_last_update_blackout_seconds"), "no update yet");
                Assert.Equal(0, metrics.Value("luod_updates_completed_total"));
                Assert.Equal(1, metrics.Value("luod_kernel_info", ("release", Release)));

                await using (await client.SubscribeAsync("cache", new Participant()).WaitAsync(Timeout))
                {
                    var progress = await luod.RequestUpdateAsync().WaitAsync(Timeout);
                    Assert.Equal("rebooting", progress[^1]["phase"]!.GetValue<string>());
                }
                await luod.Kexec.Rebooted.Task.WaitAsync(Timeout);
                var staged = OpenMetricsText.Parse((await RequestAsync(socketPath, "GET /metrics HTTP/1.1")).Body);
                string nextRelease = luod.Coordinator.LastPreflight!.NextRelease ?? "";
                Assert.Equal(1, staged.Value("luod_staged_kernel_preflight", ("verdict", "go"), ("next_release", nextRelease)));
                Assert.Equal(0, staged.Value("luod_staged_kernel_preflight", ("verdict", "noGo"), ("next_release", nextRelease)));
                Assert.Equal(0, staged.Value("luod_staged_kernel_preflight", ("verdict", "goWithWarnings"), ("next_release", nextRelease)));
                Assert.Equal(1, staged.Value("luod_kernel_staged"));
                await stop.CancelAsync();
                await serving.WaitAsync(Timeout);
            }
        }

        // The next kernel: its KHO debugfs shows the kexec-metadata the previous kernel wrote.
        WriteKexecMetadata(khoDebugfs, Release, 1);
        await using var next = await luod.KexecAsync();
        await using var after = await next.ConnectAsync();
        using (await after.ClaimManagedAsync("cache").WaitAsync(Timeout)) { }
        await after.ResumedAsync("cache").WaitAsync(Timeout);
        var update = Assert.Single(next.Coordinator.CompletedUpdates);
        var report = UpdateReport.From(update);
        var blackout = Assert.Single(report.Clients);
        Assert.NotNull(blackout.BlackoutNs);

        using var listener = Listen(next, socketPath);
        using var stopping = new CancellationTokenSource();
        var run = listener.RunAsync(stopping.Token);
        var (_, _, served) = await RequestAsync(socketPath, "GET /metrics HTTP/1.1");
        var scraped = OpenMetricsText.Parse(served);
        Assert.Equal(1, scraped.Value("luod_sessions", ("owner", "0"), ("state", "claimed")));
        Assert.Equal(Bytes, scraped.Value("luod_preserved_bytes", ("owner", "0")));
        Assert.Equal(1, scraped.Value("luod_kexecs_total", ("source", "khoDebugfs")));
        Assert.Equal(1, scraped.Value("luod_previous_kernel_info", ("release", Release), ("source", "khoDebugfs")));
        Assert.Equal(1, scraped.Value("luod_updates_completed_total"));
        Assert.Equal(1, scraped.Value("luod_last_update_info", ("update_id", report.UpdateId), ("previous_release", report.PreviousRelease ?? ""),
            ("next_release", report.NextRelease ?? ""), ("clock_basis", report.ClockBasis == ClockBasis.Tsc ? "tsc" : "realtime")));

        // The participant's blackout: the gauge of the last update, and one observation in the histogram.
        double seconds = blackout.BlackoutNs!.Value / 1e9;
        Assert.Equal(seconds, scraped.Value("luod_last_update_participant_blackout_seconds", ("participant", "cache")));
        Assert.Equal(1, scraped.Value("luod_update_participant_blackout_seconds_count", ("participant", "cache")));
        Assert.Equal(seconds, scraped.Value("luod_update_participant_blackout_seconds_sum", ("participant", "cache")), 9);
        Assert.Equal(1, scraped.Value("luod_update_participant_blackout_seconds_bucket", ("participant", "cache"), ("le", "+Inf")));
        Assert.Equal("histogram", scraped.Types["luod_update_participant_blackout_seconds"]);
        Assert.Equal(report.TotalBlackoutNs!.Value / 1e9, scraped.Value("luod_last_update_blackout_seconds"));
        Assert.NotEmpty(report.Phases);
        foreach (var phase in report.Phases)
        {
            string name = LuodMetricFamilies.PhaseName(phase.Phase);
            Assert.Equal(phase.DurationNs / 1e9, scraped.Value("luod_last_update_phase_duration_seconds", ("phase", name)));
            if (phase.DurationNs >= 0)
                Assert.Equal(1, scraped.Value("luod_update_phase_duration_seconds_count", ("phase", name)));
        }
        foreach (var sample in scraped.Samples)
            Assert.StartsWith("luod_", sample.Name);

        // luoctl report --openmetrics: the same families and values from what luod reports over Varlink.
        var fromVarlink = MetricsSnapshot.From(await after.GetMetricsAsync().WaitAsync(Timeout), await after.GetUpdatesAsync().WaitAsync(Timeout));
        var luoctlText = await LuodMetricFamilies.RenderAsync(fromVarlink);
        Assert.Equal(Normalized(served), Normalized(luoctlText));
        // --prometheus-text: the same samples, a counter's TYPE with its _total (node_exporter's textfile collector).
        var prometheusText = await LuodMetricFamilies.RenderAsync(fromVarlink, prometheusText: true);
        Assert.Contains("# TYPE luod_kexecs_total counter", prometheusText);
        Assert.DoesNotContain("# EOF", prometheusText);
        var asText = OpenMetricsText.Parse(prometheusText);
        Assert.Equal(1, asText.Value("luod_kexecs_total", ("source", "khoDebugfs")));
        Assert.Equal(seconds, asText.Value("luod_last_update_participant_blackout_seconds", ("participant", "cache")));
        await stopping.CancelAsync();
        await run.WaitAsync(Timeout);
    }

    // The kernel release luod reads for GetMetrics is the host's (/proc), the in-process one is fixed: compare the rest.
    private static string Normalized(string text) => string.Join("\n", text.Split('\n').Where(l => !l.StartsWith("luod_kernel_info{", StringComparison.Ordinal)));

    [Fact]
    public async Task Other_paths_and_methods_are_refused()
    {
        using var machine = new LuodTestbed();
        await using var luod = InProcessLuod.Start(machine);
        string socketPath = Path.Combine(machine.Directory, "metrics.sock");
        using var listener = Listen(luod, socketPath);
        using var stop = new CancellationTokenSource();
        var serving = listener.RunAsync(stop.Token);
        Assert.Equal("HTTP/1.1 404 Not Found", (await RequestAsync(socketPath, "GET / HTTP/1.1")).Status);
        var post = await RequestAsync(socketPath, "POST /metrics HTTP/1.1");
        Assert.Equal("HTTP/1.1 405 Method Not Allowed", post.Status);
        Assert.Contains("Allow: GET", post.Headers);
        Assert.Equal("HTTP/1.1 200 OK", (await RequestAsync(socketPath, "GET /metrics?x=1 HTTP/1.0")).Status);
        await stop.CancelAsync();
        await serving.WaitAsync(Timeout);
    }

    [Theory]
    [InlineData("127.0.0.1:9464", "127.0.0.1:9464")]
    [InlineData("0.0.0.0:9464", "0.0.0.0:9464")]
    [InlineData("[::1]:9464", "[::1]:9464")]
    public void Listen_addresses_of_ip_literals_are_read(string text, string expected) =>
        Assert.Equal(expected, MetricsListenAddress.Parse(text).ToString());

    [Fact]
    public void A_unix_socket_address_is_read() =>
        Assert.Equal("/run/luod/metrics.sock", Assert.IsType<UnixDomainSocketEndPoint>(MetricsListenAddress.Parse("unix:/run/luod/metrics.sock")).ToString());

    [Theory]
    [InlineData("localhost:9464", "not an IPv4 address")]
    [InlineData("::1:9464", "not an IPv4 address or a bracketed IPv6")]
    [InlineData("127.0.0.1", "no port")]
    [InlineData("127.0.0.1:0", "no port")]
    [InlineData("unix:metrics.sock", "must be absolute")]
    public void Bad_listen_addresses_are_refused_with_the_forms_to_use(string text, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => MetricsListenAddress.Parse(text));
        Assert.Contains(problem, error.Message);
        Assert.Contains("127.0.0.1:9464", error.Message);
    }

    [Fact]
    public async Task A_tcp_listener_serves_the_same_text()
    {
        using var machine = new LuodTestbed();
        await using var luod = InProcessLuod.Start(machine);
        var snapshot = () => MetricsSnapshot.From(MetricsStateCapture.Capture(luod.Registry, luod.Coordinator, luod.Bed.Options, Root, Release), luod.Coordinator.CompletedUpdates);
        using var listener = MetricsListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), snapshot, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var serving = listener.RunAsync(stop.Token);
        using var http = new HttpClient();
        var response = await http.GetAsync($"http://{listener.LocalEndPoint}/metrics").WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await LuodMetricFamilies.RenderAsync(snapshot()), await response.Content.ReadAsStringAsync());
        await stop.CancelAsync();
        await serving.WaitAsync(Timeout);
    }
}
