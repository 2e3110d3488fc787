// KernelLogFuzzRegressionTests: inputs the fuzz target "telemetry" (fuzz/) crashed the kernel-log
// parsers with, and what they answer now: a damaged line is no kernel log line (skipped), never an exception.
namespace LiveUpdate.Telemetry.Tests;

public sealed class KernelLogFuzzRegressionTests
{
    [Theory]
    // OverflowException from long.Parse: more seconds than a long holds.
    [InlineData("[99999999999999999999.000000] x")]
    // Silent wrap of seconds * 10^9: fits a long, not in nanoseconds.
    [InlineData("[9223372036854775807.000000] x")]
    // FormatException: \d matched Arabic-Indic digits, which the invariant culture does not read.
    [InlineData("[\u0661\u0662.000000] x")]
    public void A_console_line_whose_time_does_not_fit_is_not_a_kernel_log_line(string text)
    {
        Assert.False(KernelLogParser.TryParseConsoleLine(text, out _));
        Assert.Empty(KernelLogParser.ParseConsole(text + "\n"));
    }

    [Fact]
    public void The_largest_console_time_still_reads()
    {
        Assert.True(KernelLogParser.TryParseConsoleLine("[9223372035.999999] x", out var line));
        Assert.Equal(9_223_372_035_999_999_000, line.TimestampNs);
    }

    [Fact]
    public void A_kmsg_record_whose_microseconds_overflow_nanoseconds_is_refused()
    {
        Assert.False(KernelLogParser.TryParseKmsg("6,1,9223372036854775807,-;x", out _));
        Assert.True(KernelLogParser.TryParseKmsg("6,1,1234,-;x", out var line));
        Assert.Equal(1_234_000, line.TimestampNs);
    }
}
