// SharedLibraryCollector: finds the host shared libraries the published .NET guest binaries need,
// by running ldd on the apphosts and every *.so, plus what .NET dlopens without ldd seeing it
// (libssl.so.3 / libcrypto.so.3) and the dynamic loader itself.
using LiveUpdate.VmHarness.Host;

namespace LiveUpdate.VmHarness.GuestImage;

public static class SharedLibraryCollector
{
    /// <summary>Libraries .NET loads with dlopen (System.Security.Cryptography.Native → OpenSSL).</summary>
    public static readonly IReadOnlyList<string> DlopenedLibraries = ["libssl.so.3", "libcrypto.so.3"];

    public const string LibraryDirectory = "/lib/x86_64-linux-gnu";
    public const string DynamicLoader = "/lib64/ld-linux-x86-64.so.2";

    private static readonly string[] HostLibraryDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"];

    /// <param name="includeDlopened">Add OpenSSL (DlopenedLibraries), which .NET code loads without ldd seeing it.</param>
    public static async Task<IReadOnlyList<GuestLibrary>> CollectAsync(IEnumerable<string> binaries, bool includeDlopened, CancellationToken cancellationToken)
    {
        var libraries = new SortedDictionary<string, GuestLibrary>(StringComparer.Ordinal);
        var queue = new Queue<string>(binaries);
        foreach (var name in includeDlopened ? DlopenedLibraries : [])
        {
            var host = HostLibraryDirectories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
                ?? throw new HarnessException($"{name} is not installed on the host; .NET in the guest needs it for hashing and TLS. Install libssl3: {HostPrerequisites.InstallHint}");
            var guestPath = Path.Combine(LibraryDirectory, name);
            libraries[guestPath] = new GuestLibrary(host, guestPath);
            queue.Enqueue(host);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (queue.TryDequeue(out var binary))
        {
            if (!seen.Add(binary))
            {
                continue;
            }
            var result = await new ExternalCommand("ldd", [binary]).CaptureAsync(cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                // Static executables and non-ELF files: "not a dynamic executable".
                continue;
            }
            foreach (var library in ParseLdd(result.StandardOutput, binary))
            {
                if (libraries.TryAdd(library.GuestPath, library))
                {
                    queue.Enqueue(library.HostPath);
                }
            }
        }

        if (!libraries.ContainsKey(DynamicLoader) && File.Exists(DynamicLoader))
        {
            libraries[DynamicLoader] = new GuestLibrary(DynamicLoader, DynamicLoader);
        }
        return libraries.Values.ToArray();
    }

    /// <summary>
    /// Parses ldd output ("libx.so.1 => /lib/…/libx.so.1 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)");
    /// skips the vDSO, throws on "not found".
    /// </summary>
    public static IReadOnlyList<GuestLibrary> ParseLdd(string output, string binary)
    {
        var libraries = new List<GuestLibrary>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("linux-vdso", StringComparison.Ordinal) || line.StartsWith("linux-gate", StringComparison.Ordinal))
            {
                continue;
            }
            string path;
            var arrow = line.IndexOf("=>", StringComparison.Ordinal);
            if (arrow >= 0)
            {
                var target = line[(arrow + 2)..].Trim();
                if (target.StartsWith("not found", StringComparison.Ordinal))
                {
                    throw new HarnessException($"{binary} needs {line[..arrow].Trim()}, which the host lacks (ldd: not found). Install the package that provides it.");
                }
                path = StripAddress(target);
            }
            else
            {
                path = StripAddress(line);
            }
            if (path.StartsWith('/'))
            {
                libraries.Add(new GuestLibrary(path, path));
            }
        }
        return libraries;
    }

    private static string StripAddress(string text)
    {
        var paren = text.IndexOf(" (0x", StringComparison.Ordinal);
        return (paren >= 0 ? text[..paren] : text).Trim();
    }
}
