// RepositoryLayout: the one place that knows where the LiveUpdate checkout is and where its
// VM inputs live (vm/kernel.fragment, vm/guest-init.sh, src/*, samples/*). The root is $LIVEUPDATE_REPO,
// or the first directory containing LiveUpdate.sln found walking up from the binary or the cwd.
namespace LiveUpdate.VmHarness.Host;

public sealed class RepositoryLayout
{
    public const string RepoEnvironmentVariable = "LIVEUPDATE_REPO";
    private const string SolutionFileName = "LiveUpdate.sln";

    public RepositoryLayout(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string KernelFragment => Path.Combine(Root, "vm", "kernel.fragment");

    public string GuestInitScript => Path.Combine(Root, "vm", "guest-init.sh");

    public string GuestProject => Path.Combine(Root, "src", "LiveUpdate.Guest", "LiveUpdate.Guest.csproj");

    public string DaemonProject => Path.Combine(Root, "src", "LiveUpdate.Daemon", "LiveUpdate.Daemon.csproj");

    public string CliProject => Path.Combine(Root, "src", "LiveUpdate.Cli", "LiveUpdate.Cli.csproj");

    public string LuCacheProject => Path.Combine(Root, "samples", "LuCache", "LuCache.csproj");
    public string LuQemuProject => Path.Combine(Root, "samples", "LuQemu", "LuQemu.csproj");

    public string LuCriuProject => Path.Combine(Root, "samples", "LuCriu", "LuCriu.csproj");

    /// <summary>The Debian package's control template, maintainer scripts and static files.</summary>
    public string DebianPackagingDirectory => Path.Combine(Root, "packaging", "debian");

    /// <summary>luod.service, luod.socket and luod.conf (tmpfiles.d), installed as they are.</summary>
    public string SystemdDirectory => Path.Combine(Root, "systemd");

    public string BuildProps => Path.Combine(Root, "Directory.Build.props");

    /// <summary>/init of the small VM luqemu runs in the vm-update scenario.</summary>
    public string VmGuestInitScript => Path.Combine(Root, "vm", "vm-guest-init.sh");

    /// <summary>Finds the checkout: $LIVEUPDATE_REPO, else walk up from the binary, else from the cwd.</summary>
    public static RepositoryLayout Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(RepoEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (!File.Exists(Path.Combine(fromEnvironment, SolutionFileName)))
            {
                throw new HarnessException(
                    $"${RepoEnvironmentVariable}={fromEnvironment} has no {SolutionFileName}. " +
                    $"Point ${RepoEnvironmentVariable} at the LiveUpdate checkout root, or unset it.");
            }
            return new RepositoryLayout(fromEnvironment);
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFileName)))
                {
                    return new RepositoryLayout(dir.FullName);
                }
            }
        }

        throw new HarnessException(
            $"Cannot find the LiveUpdate checkout ({SolutionFileName}) above {AppContext.BaseDirectory} " +
            $"or {Directory.GetCurrentDirectory()}. Run from inside the checkout or set ${RepoEnvironmentVariable}.");
    }
}
