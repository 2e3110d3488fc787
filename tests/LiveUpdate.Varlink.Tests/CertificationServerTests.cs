// CertificationServerTests: our VarlinkServer (CertificationService) against the Varlink
// project's reference client, `varlink-go-certification -client`. That client exits 0
// whatever happens and prints each step, so the test reads its output for every step and
// the final "End: 'true'", and checks the service saw the whole sequence pass.
using System.Diagnostics;

namespace LiveUpdate.Varlink.Tests;

public sealed class CertificationServerTests
{
    private const string Tool = "/usr/bin/varlink-go-certification";

    [Fact]
    public async Task The_varlink_go_certification_client_passes_against_our_server()
    {
        Assert.True(File.Exists(Tool), $"{Tool} is missing; vm/install-deps.sh installs it (Debian package varlink-go).");
        await using var service = CertificationService.Start();
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(service.SocketPath) && deadline.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(20);

        var start = new ProcessStartInfo(Tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-client");
        start.ArgumentList.Add("-varlink");
        start.ArgumentList.Add($"unix:{service.SocketPath}");
        using var client = Process.Start(start)!;
        var stdout = client.StandardOutput.ReadToEndAsync();
        var stderr = client.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.WaitForExitAsync(timeout.Token);
        string output = await stdout + await stderr;
        string context = $"client output:\n{output}\nrefused: {string.Join("\n", service.Refusals)}";

        Assert.True(client.ExitCode == 0, context);
        foreach (string step in new[] { "Start:", "Test01: 'true'", "Test02: '1'", "Test03: '1'", "Test04: 'ping'", "Test05: 'false'",
                     "Test06:", "Test07:", "Test08:", "Test09:", "Receive: 'Reply number 10'", "Test11: ''", "End: 'true'" })
            Assert.True(output.Contains(step, StringComparison.Ordinal), $"missing \"{step}\"; {context}");
        Assert.DoesNotContain("failed", output);
        Assert.Single(service.CertifiedClients);
        Assert.Empty(service.Refusals);
    }
}
