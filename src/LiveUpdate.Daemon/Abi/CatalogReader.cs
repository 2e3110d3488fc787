// CatalogReader: reads a catalog of any format version this luod knows, dispatching on the
// header's version, and returns it as the current CatalogDocument. Today only version 1
// exists; when the bytes change, the new version gets its own payload reader here and the
// previous one stays, converting what it reads (HandoverAbi.cs).
using System.Text.Json;

namespace LiveUpdate.Daemon.Abi;

public static class CatalogReader
{
    /// <summary>Every format version this luod reads, oldest first.</summary>
    public static IReadOnlyList<int> ReadableVersions { get; } = [1];

    public static CatalogDocument Read(ReadOnlyMemory<byte> bytes)
    {
        var (version, payload) = CatalogFormat.Unframe(bytes);
        return version switch
        {
            1 => ReadVersion1(payload.Span),
            _ => throw new CatalogUnreadableException($"the catalog has format version {version}, which no luod wrote (this luod reads versions {string.Join(", ", ReadableVersions)}): its header is damaged."),
        };
    }

    private static CatalogDocument ReadVersion1(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonSerializer.Deserialize(payload, HandoverJson.Default.CatalogDocument)
                ?? throw new CatalogUnreadableException("the catalog payload is JSON null: the luod that wrote it had nothing to write, which it never does. Its sessions stay preserved; the owners must recreate their state.");
        }
        catch (JsonException error)
        {
            throw new CatalogUnreadableException($"the catalog payload is not a version-1 catalog ({error.Message}); its hash matched, so the writer was not a version-1 luod. Its sessions stay preserved; the owners must recreate their state.");
        }
    }
}
