// HostPrerequisitesTests: every host program and file the harness checks for comes from a package
// that vm/install-deps.sh installs (a fresh machine has nothing else), and a missing one is named
// with its package and the install script.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmTests;

public sealed class HostPrerequisitesTests
{
    private static IReadOnlyList<string> InstallDepsPackages()
    {
        var script = File.ReadAllText(Path.Combine(RepositoryLayout.Locate().Root, "vm", "install-deps.sh"));
        var line = script.Split('\n').Single(l => l.StartsWith("PACKAGES=\"", StringComparison.Ordinal));
        return line["PACKAGES=\"".Length..].TrimEnd('"').Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Install_deps_installs_the_package_of_every_requirement()
    {
        var packages = InstallDepsPackages();
        var missing = HostPrerequisites.All.Where(r => !packages.Contains(r.Package)).Select(r => $"{r.Name} ({r.Package})").ToArray();
        Assert.True(missing.Length == 0, "vm/install-deps.sh does not install: " + string.Join(", ", missing));
        Assert.Contains(HostPrerequisites.KernelBuild, r => r.Name == "rsync");
    }

    [Fact]
    public void A_missing_requirement_is_named_with_its_package_and_the_fix()
    {
        var error = Assert.Throws<HarnessException>(() => HostPrerequisites.Require("Testing",
            [new HostRequirement("no-such-program-lu", "lu-pkg-a"), new HostRequirement("/no/such/file.h", "lu-pkg-b"), new HostRequirement("sh", "dash")]));
        Assert.Contains("no-such-program-lu (package lu-pkg-a)", error.Message);
        Assert.Contains("/no/such/file.h (package lu-pkg-b)", error.Message);
        Assert.DoesNotContain("dash", error.Message);
        Assert.Contains("vm/install-deps.sh", error.Message);
        Assert.Contains("apt-get install lu-pkg-a lu-pkg-b", error.Message);
    }
}
