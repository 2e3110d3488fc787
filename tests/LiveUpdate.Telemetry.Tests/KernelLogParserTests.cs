using LiveUpdate.Kernel;

namespace LiveUpdate.Telemetry.Tests;

/// <summary>Kernel log parsing on recorded VM consoles and a recorded /dev/kmsg dump.</summary>
public sealed class KernelLogParserTests
{
    [Fact]
    public void A_kexec_console_splits_into_the_two_kernels()
    {
        var boots = KernelLogParser.ParseConsole(Samples.Read("console-7.2-to-7.2.log"));
        Assert.Equal(2, boots.Count);
        Assert.All(boots, b => Assert.StartsWith("Linux version 7.2.13", b.Lines[0].Message));
        Assert.Equal(0, boots[0].Lines[0].TimestampNs); // the escape sequences before the first line are ignored
    }

    [Fact]
    public void Previous_kernel_facts_from_a_recorded_console()
    {
        var previous = KernelLogMerge.Extract(KernelLogParser.ParseConsole(Samples.Read("console-7.2-to-7.2.log"))[0].Lines);
        Assert.Equal("7.2.13", previous.Release);
        Assert.Equal(44_526_467_000, previous.StartingNewKernelNs);
        Assert.Equal(1_782_354_000, previous.InitNs);
        Assert.Null(previous.KhoFoundNs); // a cold boot: nothing was handed over
        Assert.Null(previous.LuoRetrievedNs);
        Assert.Equal(new TscFrequency(1999.985e6, TscFrequencySource.KernelRefinedCalibration), previous.TscFrequency);
    }

    [Fact]
    public void Next_kernel_facts_from_a_recorded_console()
    {
        var next = KernelLogMerge.Extract(KernelLogParser.ParseConsole(Samples.Read("console-7.2-to-7.2.log"))[1].Lines);
        Assert.Equal("7.2.13", next.Release);
        Assert.Equal(0, next.FirstRecordNs);
        Assert.Equal(0, next.KhoFoundNs);
        Assert.Equal(619_349_000, next.LuoRetrievedNs);
        Assert.Equal(1, next.LiveUpdateNumber);
        Assert.Equal(1_108_960_000, next.KhoExecFromNs);
        Assert.Equal("7.2.13", next.ExecFromRelease);
        Assert.Equal(1, next.KexecCount);
        Assert.Equal(8_137_647_000, next.InitNs);
        Assert.Null(next.StartingNewKernelNs);
        Assert.Equal(2000.000e6, next.TscFrequency!.Hz, 1e-3);
        Assert.Empty(next.Problems);
    }

    [Fact]
    public void Upgrade_to_7_3_names_both_releases()
    {
        var boots = KernelLogParser.ParseConsole(Samples.Read("console-7.2-to-7.3.log"));
        Assert.Equal(2, boots.Count);
        var next = KernelLogMerge.Extract(boots[1].Lines);
        Assert.Equal("7.3.4", next.Release);
        Assert.Equal("7.2.13", next.ExecFromRelease);
        Assert.Equal(769_232_000, next.LuoRetrievedNs);
        Assert.Equal(8_447_190_000, next.InitNs);
        Assert.Equal(44_175_855_000, KernelLogMerge.Extract(boots[0].Lines).StartingNewKernelNs);
    }

    [Fact]
    public void Two_kexecs_count_up()
    {
        var boots = KernelLogParser.ParseConsole(Samples.Read("console-7.2-7.3-7.2.log"));
        Assert.Equal(3, boots.Count);
        var facts = boots.Select(b => KernelLogMerge.Extract(b.Lines)).ToList();
        Assert.Equal(["7.2.13", "7.3.4", "7.2.13"], facts.Select(f => f.Release));
        Assert.Equal([null, 1, 2], facts.Select(f => f.KexecCount));
        Assert.Equal([null, 1L, 2L], facts.Select(f => f.LiveUpdateNumber));
        Assert.Equal("7.3.4", facts[2].ExecFromRelease);
        Assert.Equal(66_485_059_000, facts[1].StartingNewKernelNs);
        Assert.Null(facts[2].StartingNewKernelNs);
    }

    [Fact]
    public void Recorded_kmsg_records_parse()
    {
        var lines = Samples.Read("kmsg-host-boot.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(raw => KernelLogParser.TryParseKmsg(raw, out var line) ? line : null).ToList();
        Assert.All(lines, Assert.NotNull);
        var facts = KernelLogMerge.Extract(lines!);
        Assert.Equal(0, facts.FirstRecordNs);
        Assert.StartsWith("6.18", facts.Release);
        Assert.Equal(new TscFrequency(2000.000e6, TscFrequencySource.KernelDetected), facts.TscFrequency);
        Assert.Null(facts.KhoFoundNs);
        // the "tsc: Detected" record is "6,17,20,-;": 20 µs after boot
        Assert.Contains(lines, l => l!.TimestampNs == 20_000 && l.Message.StartsWith("tsc: Detected"));
    }

    [Fact]
    public void Kmsg_records_from_the_kernel_boundary_convert()
    {
        var records = new[] { new KernelLogRecord(6, 374, 619_349, "luo: Retrieved live update data, liveupdate number: 3") };
        var lines = KernelLogParser.FromRecords(records);
        Assert.Equal(new KernelLogLine(619_349_000, "luo: Retrieved live update data, liveupdate number: 3"), lines[0]);
        Assert.Equal(3, KernelLogMerge.Extract(lines).LiveUpdateNumber);
    }

    [Theory]
    [InlineData("[   44.526467] kexec_core: Starting new kernel\r", 44_526_467_000, "kexec_core: Starting new kernel")]
    [InlineData("[0.619349] luo: Retrieved live update data, liveupdate number: 1", 619_349_000, "luo: Retrieved live update data, liveupdate number: 1")]
    [InlineData("\u001b[0m[    0.000000] KHO: found kexec handover data.", 0, "KHO: found kexec handover data.")]
    public void Console_lines_parse(string text, long ns, string message)
    {
        Assert.True(KernelLogParser.TryParseConsoleLine(text, out var line));
        Assert.Equal(new KernelLogLine(ns, message), line);
    }

    [Theory]
    [InlineData("lu-guest: {\"type\":\"boot\"}")]
    [InlineData("Booting from ROM...")]
    [InlineData("")]
    public void Other_console_lines_do_not(string text) => Assert.False(KernelLogParser.TryParseConsoleLine(text, out _));

    [Fact]
    public void Pstore_console_is_read_from_its_directory()
    {
        string dir = Directory.CreateTempSubdirectory("pstore").FullName;
        try
        {
            Assert.Null(KernelLogParser.ReadPstore(dir));
            var previousBoot = string.Join('\n', Samples.Read("console-7.2-to-7.3.log").Split('\n').TakeWhile(l => !l.Contains("Linux version 7.3.4")));
            File.WriteAllText(Path.Combine(dir, "console-ramoops-0"), previousBoot);
            var log = KernelLogParser.ReadPstore(dir);
            Assert.NotNull(log);
            Assert.Equal("kexec_core: Starting new kernel", log!.Lines[^1].Message);
            Assert.Equal(["console-ramoops-0"], log.Files);
            Assert.Null(log.DumpedAt);
            Assert.Null(KernelLogParser.ReadPstore(Path.Combine(dir, "absent")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_kmsg_dump_part_gives_its_lines_without_header_or_syslog_prefix()
    {
        var lines = KernelLogParser.ParseDump("Shutdown#1 Part1\n<6>[   41.100000] luo: preserving 3 sessions\n<5>[   41.250000] kexec_core: Starting new kernel\nnot a log line\n");
        Assert.Equal([new KernelLogLine(41_100_000_000, "luo: preserving 3 sessions"), new KernelLogLine(41_250_000_000, "kexec_core: Starting new kernel")], lines);
    }

    [Fact]
    public void The_newest_dump_and_the_console_merge_in_time_order_without_duplicates()
    {
        string dir = Directory.CreateTempSubdirectory("pstore").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "console-ramoops-0"), "[    0.000000] Linux version 7.2.13\n[   41.100000] luo: preserving 3 sessions\n");
            File.WriteAllText(Path.Combine(dir, "dmesg-ramoops-0"), "Shutdown#1 Part1\n<6>[    9.000000] an older boot's dump\n");
            File.SetLastWriteTimeUtc(Path.Combine(dir, "dmesg-ramoops-0"), new DateTime(2026, 12, 2, 7, 0, 0, DateTimeKind.Utc));
            File.WriteAllText(Path.Combine(dir, "dmesg-ramoops-1"), "Shutdown#1 Part1\n<6>[   41.100000] luo: preserving 3 sessions\n<5>[   41.250000] kexec_core: Starting new kernel\n");
            File.SetLastWriteTimeUtc(Path.Combine(dir, "dmesg-ramoops-1"), new DateTime(2026, 12, 2, 7, 5, 0, DateTimeKind.Utc));
            var log = KernelLogParser.ReadPstore(dir)!;
            Assert.Equal(["console-ramoops-0", "dmesg-ramoops-1"], log.Files);
            Assert.Equal(new DateTimeOffset(2026, 12, 2, 7, 5, 0, TimeSpan.Zero), log.DumpedAt);
            Assert.Equal(["Linux version 7.2.13", "luo: preserving 3 sessions", "kexec_core: Starting new kernel"], log.Lines.Select(l => l.Message));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Kho_and_luo_warnings_are_collected()
    {
        var facts = KernelLogMerge.Extract([
            new KernelLogLine(5, "KHO: disabling KHO revival"),
            new KernelLogLine(6, "luo: failed to retrieve LUO state 'luo' from KHO: -ENOENT"),
            new KernelLogLine(7, "luo: Retrieved live update data, liveupdate number: 1"),
        ]);
        Assert.Equal(2, facts.Problems.Count);
    }
}
