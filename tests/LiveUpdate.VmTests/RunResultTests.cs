// RunResultTests: parsing results.jsonl and judging a run: a good run passes; a failed step, a
// missing end line, a short chain, a timeout or a garbled line fail with a self-explaining summary.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Qemu;
using LiveUpdate.VmHarness.Runs;

namespace LiveUpdate.VmTests;

public sealed class RunResultTests
{
    private const string GoodRun = """
        {"type":"boot","hop":0,"release":"7.2.13","uptimeMs":1234.5}
        {"type":"step","hop":0,"release":"7.2.13","name":"memfd-roundtrip.preserve","ok":true,"ms":812.3,"detail":"memfd 64 MiB sha256 ab12","kmsg":["luo: preserved"]}
        {"type":"boot","hop":1,"release":"7.3.4","uptimeMs":1500}
        {"type":"step","hop":1,"release":"7.3.4","name":"memfd-roundtrip.retrieve","ok":true,"ms":90,"detail":"sha256 ab12 matches","kmsg":[]}
        {"type":"end","hop":1,"ok":true,"detail":"all good"}
        """;

    private const string ConsoleText = """
        [    0.000000] Linux version 7.2.13
        [    1.543314] Run /init as init process
        lu-init: starting
        [    0.000000] Linux version 7.3.4
        [    2.250000] Run /init as init process
        """;

    [Fact]
    public void A_good_run_parses_and_passes()
    {
        var report = GuestReport.Parse(GoodRun.Replace("\n", "\r\n") + "\n\0\0");
        Assert.Equal(2, report.Boots.Count);
        Assert.Equal(new GuestBoot(1, "7.3.4", 1500), report.Boots[1]);
        Assert.Equal(2, report.Steps.Count);
        Assert.Equal("memfd-roundtrip.preserve", report.Steps[0].Name);
        Assert.Equal(812.3, report.Steps[0].Ms);
        Assert.Equal(["luo: preserved"], report.Steps[0].Kmsg);
        Assert.Equal(new GuestEnd(1, true, "all good"), report.End);
        Assert.Empty(report.Problems);

        var result = Result(report, ["7.2", "7.3"]);
        Assert.True(result.Passed, result.FailureSummary);
        Assert.Equal("", result.FailureSummary);
        Assert.Equal([1.543314, 2.25], result.BootToInitSeconds);
    }

    [Fact]
    public void A_failed_step_fails_and_the_summary_explains_it()
    {
        var text = GoodRun.Replace(
            "\"ok\":true,\"ms\":90,\"detail\":\"sha256 ab12 matches\",\"kmsg\":[]",
            "\"ok\":false,\"ms\":90,\"detail\":\"sha256 mismatch: want ab12 got 0000\",\"kmsg\":[\"luo: memfd: restore failed -22\"]");
        var result = Result(GuestReport.Parse(text), ["7.2", "7.3"]);

        Assert.False(result.Passed);
        var summary = result.FailureSummary;
        Assert.Contains("1 step(s) failed", summary);
        Assert.Contains("memfd-roundtrip.retrieve", summary);
        Assert.Contains("sha256 mismatch: want ab12 got 0000", summary);
        Assert.Contains("kmsg: luo: memfd: restore failed -22", summary);
        Assert.Contains("Run /init as init process", summary);
        Assert.Contains(result.RunDirectory, summary);
    }

    [Fact]
    public void A_missing_end_line_fails()
    {
        var text = string.Join('\n', GoodRun.Split('\n').Where(l => !l.Contains("\"end\"", StringComparison.Ordinal)));
        var result = Result(GuestReport.Parse(text), ["7.2", "7.3"]);

        Assert.False(result.Passed);
        Assert.Null(result.Report.End);
        Assert.Contains("never wrote an end line", result.FailureSummary);
    }

    [Fact]
    public void Stopping_short_of_the_last_hop_fails()
    {
        const string text = """
            {"type":"boot","hop":0,"release":"7.2.13","uptimeMs":1}
            {"type":"end","hop":0,"ok":true,"detail":"done early"}
            """;
        var result = Result(GuestReport.Parse(text), ["7.2", "7.2"]);
        Assert.False(result.Passed);
        Assert.Contains("reached hop 0, expected the chain's last hop 1", result.FailureSummary);
    }

    [Fact]
    public void An_end_line_written_by_init_after_a_crash_fails_with_its_detail()
    {
        const string text = """{"type":"end","ok":false,"hop":0,"detail":"lu-guest exited with code 134"}""";
        var result = Result(GuestReport.Parse(text), ["7.2"]);
        Assert.False(result.Passed);
        Assert.Contains("lu-guest exited with code 134", result.FailureSummary);
    }

    [Fact]
    public void When_init_adds_its_end_line_after_the_guest_s_own_the_first_failure_is_the_verdict()
    {
        const string text = """
            {"type":"boot","hop":0,"release":"7.3.4","uptimeMs":1}
            {"type":"end","hop":0,"ok":false,"detail":"scenario kernel-selftests failed on hop 0"}
            {"type":"end","ok":false,"hop":0,"detail":"lu-guest exited with code 1"}
            """;
        var report = GuestReport.Parse(text);
        Assert.Equal(new GuestEnd(0, false, "scenario kernel-selftests failed on hop 0"), report.End);
        Assert.Empty(report.Problems);

        var okThenCrash = GuestReport.Parse("""
            {"type":"end","hop":0,"ok":true,"detail":"done"}
            {"type":"end","ok":false,"hop":0,"detail":"lu-guest exited with code 134"}
            """);
        Assert.False(okThenCrash.End!.Ok);
    }

    [Fact]
    public void A_timeout_or_a_garbled_line_fails()
    {
        var timedOut = Result(GuestReport.Parse(GoodRun), ["7.2", "7.3"], timedOut: true);
        Assert.False(timedOut.Passed);
        Assert.Contains("timeout", timedOut.FailureSummary);

        var garbled = Result(GuestReport.Parse(GoodRun + "\n{\"type\":\"step\",\"name\":\"cut"), ["7.2", "7.3"]);
        Assert.False(garbled.Passed);
        Assert.Contains("not JSON", garbled.FailureSummary);
    }

    [Fact]
    public void The_step_table_lists_every_step_and_the_end()
    {
        var table = StepTable.Format(GuestReport.Parse(GoodRun));
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("hop", lines[0]);
        Assert.Contains("memfd-roundtrip.retrieve", lines[2]);
        Assert.Contains("(end)", lines[3]);
    }

    private static VmRunResult Result(GuestReport report, string[] chain, bool timedOut = false) =>
        new(
            new VmRunRequest("memfd-roundtrip", chain),
            [],
            "/cache/runs/20260101-000000-memfd-roundtrip",
            report,
            new QemuOutcome(timedOut ? null : 0, timedOut, TimeSpan.FromSeconds(20), "/cache/runs/20260101-000000-memfd-roundtrip/qemu.log"),
            ConsoleLogAnalysis.BootToInitSeconds(ConsoleText),
            ConsoleLogAnalysis.Tail(ConsoleText),
            TimeSpan.FromSeconds(25),
            1000);
}
