// ContentHash: short SHA-256 fingerprints (first 12 hex digits) of a file or of a set of files,
// used as cache keys (kernel fragment, guest sources).
using System.Security.Cryptography;
using System.Text;

namespace LiveUpdate.VmHarness.Host;

public static class ContentHash
{
    public const int ShortLength = 12;

    public static string OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Short(SHA256.HashData(stream));
    }

    /// <summary>
    /// Hash over the relative paths and contents of every file under <paramref name="root"/> whose
    /// name ends with one of <paramref name="extensions"/>, skipping bin/ and obj/; plus <paramref name="extraFiles"/>.
    /// </summary>
    public static string OfTree(string root, IReadOnlyCollection<string> extensions, IEnumerable<string> extraFiles)
    {
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => extensions.Any(e => f.EndsWith(e, StringComparison.Ordinal)))
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Select(f => (Key: Path.GetRelativePath(root, f), Path: f))
            .Concat(extraFiles.Where(File.Exists).Select(f => (Key: "extra:" + Path.GetFileName(f), Path: f)))
            .OrderBy(f => f.Key, StringComparer.Ordinal);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (key, path) in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(key + "\0"));
            hash.AppendData(File.ReadAllBytes(path));
            hash.AppendData("\0"u8);
        }
        return Short(hash.GetHashAndReset());
    }

    public static string OfBytes(ReadOnlySpan<byte> data) => Short(SHA256.HashData(data));

    private static string Short(byte[] digest) => Convert.ToHexStringLower(digest)[..ShortLength];
}
