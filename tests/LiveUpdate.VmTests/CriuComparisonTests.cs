// CriuComparisonTests: the criu comparison names the cause when criu cannot even start on the
// kernel (its "kerndat" probe), from criu 3.17.1's real output on our Linux 7.2 guest (docs/criu.md).
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Benchmarks;

namespace LiveUpdate.VmTests;

public sealed class CriuComparisonTests
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
        Assert.Equal("Unexpected error from memfd_create(\"\", MFD_HUGETLB): Function not implemented", CriuComparison.KerndatFailure(output));
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
        Assert.Equal("vdso: Unexpected rt vDSO area bounds", CriuComparison.KerndatFailure(output));
    }

    [Fact]
    public void OtherFailuresAreNotKerndat() =>
        Assert.Null(CriuComparison.KerndatFailure("Error (criu/cr-dump.c:1685): Dumping FAILED."));
}
