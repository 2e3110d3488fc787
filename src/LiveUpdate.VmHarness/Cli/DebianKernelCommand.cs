// DebianKernelCommand: `luvm debian-kernel [--series 7.2]` fetches Debian's own prebuilt
// kernel image of a series into the cache (DebianKernelImageFetcher) and prints where it is;
// test.sh runs it before the tests so the preflight tests find it offline.
using System.CommandLine;
using LiveUpdate.VmHarness.Kernels;

namespace LiveUpdate.VmHarness.Cli;

public static class DebianKernelCommand
{
    public static Command Create()
    {
        var series = new Option<string[]>("--series")
        {
            Description = "Kernel series whose Debian amd64 image to fetch, repeatable.",
            DefaultValueFactory = _ => ["7.2"],
        };
        var command = new Command("debian-kernel", "Fetch Debian's prebuilt amd64 kernel image of a series through the private apt configuration (cached).") { series };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var progress = new ConsoleProgress(Console.Error);
            try
            {
                var fetcher = new DebianKernelImageFetcher(HarnessCache.FromEnvironment(), progress);
                foreach (string one in parse.GetValue(series) ?? [])
                {
                    var image = await fetcher.FetchAsync(one, cancellationToken).ConfigureAwait(false);
                    Console.WriteLine($"{image.Series}\t{image.Package}\t{image.PackageVersion}\t{image.Vmlinuz}");
                }
                return 0;
            }
            catch (HarnessException e)
            {
                await Console.Error.WriteLineAsync($"luvm: error: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return command;
    }
}
