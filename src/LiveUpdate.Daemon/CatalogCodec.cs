// CatalogCodec: the catalog's byte format inside its memfd — a fixed header (magic
// "LUODCAT\0", format version, payload length, SHA-256 of the payload) then the JSON
// payload. A catalog luod cannot read (other magic, newer version, bad length or hash)
// is reported with the reason, never guessed at.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using LiveUpdate.Telemetry;

namespace LiveUpdate.Daemon;

public sealed class CatalogUnreadableException(string message) : Exception(message);

public static class CatalogCodec
{
    public const int FormatVersion = 1;
    public const int HeaderSize = 8 + 4 + 4 + 32;
    private static readonly byte[] Magic = "LUODCAT\0"u8.ToArray();

    public static byte[] Encode(CatalogDocument catalog)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(catalog, CatalogJson.Default.CatalogDocument);
        byte[] bytes = new byte[HeaderSize + payload.Length];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), payload.Length);
        SHA256.HashData(payload).CopyTo(bytes, 16);
        payload.CopyTo(bytes, HeaderSize);
        return bytes;
    }

    public static CatalogDocument Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize)
            throw new CatalogUnreadableException($"the catalog is {bytes.Length} bytes, shorter than its {HeaderSize}-byte header");
        if (!bytes[..8].SequenceEqual(Magic))
            throw new CatalogUnreadableException("the catalog does not start with LUODCAT: it was not written by luod");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (version != FormatVersion)
            throw new CatalogUnreadableException($"the catalog has format version {version}; this luod reads version {FormatVersion} only. Run the luod that wrote it, or a newer one.");
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (length < 0 || length > bytes.Length - HeaderSize)
            throw new CatalogUnreadableException($"the catalog claims {length} payload bytes but holds {bytes.Length - HeaderSize}");
        var payload = bytes.Slice(HeaderSize, length);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.Slice(16, 32)))
            throw new CatalogUnreadableException("the catalog's SHA-256 does not match its contents: it is damaged");
        try
        {
            return JsonSerializer.Deserialize(payload, CatalogJson.Default.CatalogDocument)
                ?? throw new CatalogUnreadableException("the catalog payload is null");
        }
        catch (JsonException error)
        {
            throw new CatalogUnreadableException($"the catalog payload is not valid: {error.Message}");
        }
    }

    /// <summary>
    /// Encodes and decodes a catalog that uses every part of the format (a session with a file,
    /// a pending update with an event, a finished update), so the serializer's metadata and the
    /// code behind it are ready before the real catalog is read. luod runs this on another
    /// thread while its host starts: under TCG, first use cost seconds inside the restore.
    /// </summary>
    public static void WarmUp()
    {
        var timeline = new UpdateTimeline
        {
            UpdateId = "warm-up",
            PreviousKernel = new KernelClockInfo("warm-up", 1, LiveUpdate.Kernel.TscFrequencySource.KernelRefinedCalibration, false, "tsc"),
        }.Record(TimelineEvents.Daemon(TimelineEvents.DaemonStart));
        var sample = new CatalogDocument(1, 1, "warm-up",
            [new CatalogSession(0, "warm-up", "warm-up", SessionMode.Managed, 1, "m", [new CatalogFile("f", 1, 1)])],
            timeline, [timeline]);
        Decode(Encode(sample));
    }
}
