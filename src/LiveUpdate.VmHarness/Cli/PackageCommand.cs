// PackageCommand: `luvm package [--output DIR]` builds the Debian package of luod and luoctl
// (DebianPackageBuilder; cached, reused while its inputs do not change) and prints the .deb's
// path: the cache's, or the copy in DIR.
using System.CommandLine;
using LiveUpdate.VmHarness.Host;
using LiveUpdate.VmHarness.Packaging;

namespace LiveUpdate.VmHarness.Cli;

public static class PackageCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output") { Description = "Copy the .deb into this directory (created if missing) and print that path." };
        var command = new Command("package", "Build liveupdate_<version>_amd64.deb (luod, luoctl, the systemd units) for `dpkg -i` on Debian (cached).") { output };
        command.SetAction((parse, cancellationToken) => Program.GuardedAsync(async progress =>
        {
            var package = await new DebianPackageBuilder(HarnessCache.FromEnvironment(), RepositoryLayout.Locate(), progress).BuildAsync(cancellationToken).ConfigureAwait(false);
            string path = package.Path;
            if (parse.GetValue(output) is { } directory)
            {
                Directory.CreateDirectory(directory);
                path = Path.GetFullPath(Path.Combine(directory, Path.GetFileName(package.Path)));
                File.Copy(package.Path, path, overwrite: true);
            }
            Console.WriteLine(path);
            return 0;
        }));
        return command;
    }
}
