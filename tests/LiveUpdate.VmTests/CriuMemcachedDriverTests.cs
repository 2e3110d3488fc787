// CriuMemcachedDriverTests: what the criu-memcached driver reads from the guest's output — the
// steps' own times and the images' size as lucriu and lu-guest print them, and the cause when criu
// cannot even start on the kernel (its "kerndat" probe; criu 3.17.1's real output on our Linux 7.2
// guest, docs/criu.md).
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Benchmarks;

namespace LiveUpdate.VmTests;

public sealed class CriuMemcachedDriverTests
{
    private const string Prefix = """
        InvalidOperationException: criu dump exited 1:
        last lines of dump.log:
        Error (criu/util.c:642): exited, status=1
        Error (criu/tun.c:85): tun: Unable to create tun: No such file or directory
        Error (criu/net.c:3741): Unable to create a veth pair: -95
        Warn  (criu/net.c:3767): NSID isn't reported for network links

        """;

    [Fact]
    public void NamesTheHugetlbProbe()
    {
        var output = Prefix + """
            Error (criu/kerndat.c:508): Unexpected error from memfd_create("", MFD_HUGETLB): Function not implemented
            Error (criu/kerndat.c:1598): kerndat_has_memfd_hugetlb failed when initializing kerndat.
            Error (criu/crtools.c:260): Could not initialize kernel features detection.
            """;
        Assert.Equal("Unexpected error from memfd_create(\"\", MFD_HUGETLB): Function not implemented", CriuMemcachedDriver.KerndatFailure(output));
    }

    [Fact]
    public void NamesTheVdsoProbe()
    {
        var output = Prefix + """
            Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
            Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable
            Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.
            Error (criu/crtools.c:260): Could not initialize kernel features detection.
            """;
        Assert.Equal("vdso: Unexpected rt vDSO area bounds", CriuMemcachedDriver.KerndatFailure(output));
    }

    [Fact]
    public void OtherFailuresAreNotKerndat() =>
        Assert.Null(CriuMemcachedDriver.KerndatFailure("Error (criu/cr-dump.c:1685): Dumping FAILED."));

    [Fact]
    public void Reads_the_step_times_of_lucriu_and_of_the_disk_way()
    {
        var steps = CriuMemcachedDriver.StepTimes("""
            lucriu: claim: 35 ms, 23 memfds
            lucriu: copy-back: 412 ms, 270.1 MiB, 655.6 MiB/s
            lucriu: restore: 1880 ms, pid 10002
            lucriu: previous boot: dump: 2210 ms, 23 images, 270.1 MiB; copy-into-memfds: 390.5 ms
            dump: 812 ms; sync: 40 ms; images 23 files, 81.0 MiB on /dev/vdb
            """);
        Assert.Equal(35, steps["claim"]);
        Assert.Equal(412, steps["copy-back"]);
        Assert.Equal(1880, steps["restore"]);
        Assert.Equal(2210, steps["dump"]);
        Assert.Equal(390.5, steps["copy-into-memfds"]);
        Assert.Equal(40, steps["sync"]);
        Assert.Equal(270.1, CriuMemcachedDriver.ImagesMiBIn("lucriu: dump: 2210 ms, 23 images, 270.1 MiB"));
        Assert.Equal(81.0, CriuMemcachedDriver.ImagesMiBIn("dump: 812 ms; sync: 40 ms; images 23 files, 81.0 MiB on /dev/vdb"));
        Assert.Null(CriuMemcachedDriver.ImagesMiBIn("restore: 10 ms"));
    }
}
