// VmBenchmarkReportTests: `luvm bench-vm`'s section of docs/benchmarks.md — its table (medians of the
// passed runs, ratios to the floor and old way / ours, "—" where a side has no figure) and how it is
// merged into the file: replacing an earlier section in place, appended when there is none, and
// kept when `luvm bench` rewrites the rest (SectionOf).
using LiveUpdate.VmHarness.Benchmarks;

namespace LiveUpdate.VmTests;

public sealed class VmBenchmarkReportTests
{
    private static readonly VmBenchmarkOptions Options = new([64, 256], 2, "7.3");

    private static VmBenchSample Ours(int size, int run, double luod, double gap) => new(VmBenchmark.Ours, size, run, true, luod, null, gap, "ours detail", "/runs/o");
    private static VmBenchSample Old(int size, int run, double host, bool passed = true) => new(VmBenchmark.OldWay, size, run, passed, null, host, host + 100, "old detail", "/runs/x");

    [Fact]
    public void The_table_has_medians_and_ratios_per_size()
    {
        var samples = new[] { Ours(64, 1, 10_000, 10_150), Ours(64, 2, 12_000, 12_100), Old(64, 1, 30_000), Old(64, 2, 34_000), Ours(256, 1, 11_000, 11_200), Old(256, 1, 99_000, passed: false) };
        string md = VmBenchmark.Markdown(samples, 4_000, Options, new DateTimeOffset(2026, 12, 1, 15, 0, 0, TimeSpan.Zero));
        Assert.StartsWith(VmBenchmark.SectionStart, md);
        Assert.Contains(VmBenchmark.SectionEnd, md);
        Assert.Contains("Floor (a bare kexec", md);
        Assert.Contains("**4000 ms**", md);
        // 64 MiB: ours median 11000, old way median 32000: 2.75 × floor, 8.00 × floor, 2.91 × ours.
        Assert.Contains("| 64 MiB | 11000 | 11125 | 32000 | 32100 | 2.75 | 8.00 | 2.91 |", md);
        // 256 MiB: the old way failed, so it has no figure and no ratio.
        Assert.Contains("| 256 MiB | 11000 | 11200 | — | — | 2.75 | — | — |", md);
        Assert.Contains("oldway 256 MiB run 1 (FAILED", md);
    }

    [Fact]
    public void The_section_replaces_an_earlier_one_and_survives_a_rewrite()
    {
        string first = VmBenchmark.Markdown([Ours(64, 1, 10_000, 10_100)], 4_000, Options with { SizesMiB = [64] }, DateTimeOffset.UnixEpoch);
        string second = VmBenchmark.Markdown([Ours(64, 1, 20_000, 20_100)], 4_000, Options with { SizesMiB = [64] }, DateTimeOffset.UnixEpoch);
        string file = VmBenchmark.Merge("# Blackout benchmark\n\nmain table\n", first);
        Assert.Contains("main table", file);
        Assert.Contains("| 64 MiB | 10000 |", file);
        string updated = VmBenchmark.Merge(file, second);
        Assert.DoesNotContain("| 64 MiB | 10000 |", updated);
        Assert.Contains("| 64 MiB | 20000 |", updated);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(updated, "vm-benchmark: written"));
        // `luvm bench` rewrites the file: the VM section is carried over.
        string kept = VmBenchmark.SectionOf(updated)!;
        Assert.Contains("| 64 MiB | 20000 |", VmBenchmark.Merge("# new main report\n", kept));
        Assert.Null(VmBenchmark.SectionOf("# no section\n"));
    }
}
