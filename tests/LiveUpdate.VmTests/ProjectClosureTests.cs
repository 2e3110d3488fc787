// ProjectClosureTests: each guest app's publish is keyed by the projects it is really built from,
// so editing the harness (or another app) does not republish it.
using LiveUpdate.VmHarness;
using LiveUpdate.VmHarness.GuestImage;
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmTests;

public sealed class ProjectClosureTests
{
    private static readonly RepositoryLayout Repository = RepositoryLayout.Locate();

    private static IReadOnlyList<string> Names(string project) =>
        ProjectClosure.Directories(project).Select(Path.GetFileName).ToArray()!;

    [Fact]
    public void Luod_is_built_from_its_own_project_and_the_libraries_it_references()
    {
        var names = Names(Repository.DaemonProject);
        Assert.Contains("LiveUpdate.Daemon", names);
        Assert.Contains("LiveUpdate.Kernel", names);
        Assert.Contains("LiveUpdate.Varlink", names);
        Assert.Contains("LiveUpdate.Preflight", names);
        Assert.DoesNotContain("LiveUpdate.VmHarness", names);
        Assert.DoesNotContain("LiveUpdate.Guest", names);
    }

    [Fact]
    public void Lu_guest_is_built_from_the_guest_contract_so_an_edit_to_it_republishes_the_guest()
    {
        var names = Names(Repository.GuestProject);
        Assert.Contains("LiveUpdate.Guest", names);
        Assert.Contains("LiveUpdate.GuestContract", names);
        Assert.Contains("LiveUpdate.Kernel", names);
        Assert.DoesNotContain("LiveUpdate.VmHarness", names);
    }

    [Fact]
    public void An_edit_outside_an_apps_projects_leaves_its_publish_key_alone()
    {
        var root = Directory.CreateTempSubdirectory("luvm-closure-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "LiveUpdate.sln"), "");
            File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
            Write(root, "src/Lib/Lib.csproj", "<Project><ItemGroup /></Project>");
            Write(root, "src/Lib/Code.cs", "class A {}");
            Write(root, "src/App/App.csproj", "<Project><ItemGroup><ProjectReference Include=\"..\\Lib\\Lib.csproj\" /></ItemGroup></Project>");
            Write(root, "src/Other/Other.cs", "class B {}");
            var publisher = new GuestPayloadPublisher(new HarnessCache(Path.Combine(root, "cache")), new RepositoryLayout(root), progress: null);
            var app = new GuestApp("app", "app", Path.Combine(root, "src/App/App.csproj"));

            var before = publisher.SourcesHash(app);
            Write(root, "src/Other/Other.cs", "class B { int x; }");
            Assert.Equal(before, publisher.SourcesHash(app));
            Write(root, "src/Lib/Code.cs", "class A { int y; }");
            Assert.NotEqual(before, publisher.SourcesHash(app));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Write(string root, string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
