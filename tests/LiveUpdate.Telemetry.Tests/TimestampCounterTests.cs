using LiveUpdate.Kernel;
using Xunit.Abstractions;

namespace LiveUpdate.Telemetry.Tests;

/// <summary>The TSC reader and clock sampling, on this (x86-64) host.</summary>
public sealed class TimestampCounterTests(ITestOutputHelper output)
{
    [Fact]
    public void Reader_works_on_this_x86_64_host()
    {
        Assert.True(TimestampCounter.IsAvailable, TimestampCounter.UnavailableReason);
        Assert.Null(TimestampCounter.UnavailableReason);
        Assert.True(TimestampCounter.TryRead(out ulong ticks));
        Assert.True(ticks > 0);
    }

    [Fact]
    public void Readings_are_monotonic()
    {
        ulong previous = TimestampCounter.Read();
        for (int i = 0; i < 100_000; i++)
        {
            ulong now = TimestampCounter.Read();
            Assert.True(now >= previous, $"TSC went back from {previous} to {now} at read {i}");
            previous = now;
        }
    }

    [Fact]
    public void Hundred_milliseconds_of_ticks_at_the_kernel_frequency_are_a_hundred_milliseconds()
    {
        var status = TimestampCounter.Describe();
        output.WriteLine($"status: {status}");
        Assert.NotNull(status.Frequency);
        var frequency = status.Frequency!;

        long m0 = SystemClocks.MonotonicRawNanoseconds();
        ulong t0 = TimestampCounter.Read();
        Thread.Sleep(100);
        ulong t1 = TimestampCounter.Read();
        long m1 = SystemClocks.MonotonicRawNanoseconds();

        double tscNs = frequency.ToNanoseconds(t1 - t0);
        double monoNs = m1 - m0;
        output.WriteLine($"Δtsc {t1 - t0} ticks at {frequency.Hz / 1e6:F3} MHz ({frequency.Source}) = {tscNs / 1e6:F4} ms; CLOCK_MONOTONIC_RAW {monoNs / 1e6:F4} ms; difference {(tscNs - monoNs) / 1e3:F1} µs");
        Assert.InRange(monoNs, 100e6, 1e9);
        // Within 0.2 % plus 50 µs for the reads that bracket the interval.
        Assert.InRange(tscNs, monoNs * 0.998 - 50_000, monoNs * 1.002 + 50_000);
    }

    [Fact]
    public void Measured_frequency_agrees_with_the_kernel_log()
    {
        var fromLog = TimestampCounter.FrequencyFromKernelLog(KernelLog.ReadAll().Select(r => r.Message));
        var measured = TimestampCounter.Measure(TimeSpan.FromMilliseconds(100));
        output.WriteLine($"kernel log: {fromLog}; measured: {measured.Hz / 1e6:F4} MHz");
        Assert.NotNull(fromLog);
        Assert.InRange(measured.Hz, fromLog!.Hz * 0.998, fromLog.Hz * 1.002);
    }

    [Fact]
    public void Host_reports_an_invariant_tsc_and_its_clocksource()
    {
        var status = TimestampCounter.Describe(readKernelLog: false);
        output.WriteLine($"constant_tsc={status.ConstantTsc} nonstop_tsc={status.NonstopTsc} tsc_known_freq={status.KnownFrequency} clocksource={status.Clocksource} frequency={status.Frequency}");
        Assert.True(status.Readable);
        Assert.NotNull(status.Clocksource);
        Assert.NotNull(status.Frequency); // measured when the log is not read
        Assert.Equal(TscFrequencySource.Measured, status.Frequency!.Source);
    }

    [Fact]
    public void Sample_reads_the_three_clocks_together()
    {
        var before = DateTimeOffset.UtcNow;
        long mono = SystemClocks.MonotonicNanoseconds();
        ClockSample sample = ClockSample.Capture();
        Assert.NotNull(sample.Tsc);
        Assert.InRange(sample.ToDateTimeOffset(), before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(sample.BoottimeNs >= mono, "CLOCK_BOOTTIME counts at least what CLOCK_MONOTONIC does");
        var later = ClockSample.Capture();
        Assert.True(later.Tsc > sample.Tsc && later.BoottimeNs >= sample.BoottimeNs);
    }

    [Theory]
    [InlineData("tsc: Detected 1999.981 MHz processor", 1999.981e6, TscFrequencySource.KernelDetected)]
    [InlineData("tsc: Refined TSC clocksource calibration: 2000.001 MHz", 2000.001e6, TscFrequencySource.KernelRefinedCalibration)]
    public void Kernel_frequency_lines_parse(string line, double hz, TscFrequencySource source)
    {
        Assert.True(TimestampCounter.TryParseFrequencyLine(line, out var frequency));
        Assert.Equal(hz, frequency.Hz, 1e-3);
        Assert.Equal(source, frequency.Source);
    }

    [Theory]
    [InlineData("tsc: Fast TSC calibration using PIT")]
    [InlineData("tsc: Marking TSC unstable due to clocksource watchdog")]
    [InlineData("clocksource: Switched to clocksource tsc")]
    public void Other_tsc_lines_do_not(string line) => Assert.False(TimestampCounter.TryParseFrequencyLine(line, out _));

    [Fact]
    public void The_refined_calibration_wins_over_the_boot_detection()
    {
        var f = TimestampCounter.FrequencyFromKernelLog(["tsc: Detected 1999.994 MHz processor", "tsc: Refined TSC clocksource calibration: 2000.000 MHz"]);
        Assert.Equal(new TscFrequency(2000.000e6, TscFrequencySource.KernelRefinedCalibration), f);
    }
}
