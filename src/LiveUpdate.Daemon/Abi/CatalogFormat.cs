// CatalogFormat: the catalog's bytes inside its memfd — a fixed header (magic "LUODCAT\0",
// format version, payload length, SHA-256 of the payload, all little-endian) then the
// payload, zero padding after it (the memfd is larger than the catalog). Writing always
// uses CurrentVersion; reading goes through CatalogReader, which knows every version.
// Part of the handover ABI (HandoverAbi.cs).
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace LiveUpdate.Daemon.Abi;

public sealed class CatalogUnreadableException(string message) : Exception(message);

public static class CatalogFormat
{
    /// <summary>The version this luod writes. Raising it requires a reader for the previous one (HandoverAbi.cs).</summary>
    public const int CurrentVersion = 1;
    public const int HeaderSize = 8 + 4 + 4 + 32;
    public static ReadOnlySpan<byte> Magic => "LUODCAT\0"u8;

    public static byte[] Encode(CatalogDocument catalog)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(catalog, HandoverJson.Default.CatalogDocument);
        byte[] bytes = new byte[HeaderSize + payload.Length];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), CurrentVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), payload.Length);
        SHA256.HashData(payload).CopyTo(bytes, 16);
        payload.CopyTo(bytes, HeaderSize);
        return bytes;
    }

    /// <summary>Checks the header (magic, length, hash) and returns the format version and the payload it frames.</summary>
    public static (int Version, ReadOnlyMemory<byte> Payload) Unframe(ReadOnlyMemory<byte> memory)
    {
        var bytes = memory.Span;
        if (bytes.Length < HeaderSize)
            throw new CatalogUnreadableException($"the catalog is {bytes.Length} bytes, shorter than its {HeaderSize}-byte header: the memfd in luod's catalog session was truncated or never written. Its sessions stay preserved; the owners must recreate their state.");
        if (!bytes[..8].SequenceEqual(Magic))
            throw new CatalogUnreadableException($"the catalog does not start with LUODCAT (it starts with {Convert.ToHexString(bytes[..8])}): it was not written by luod. Check what else creates LUO sessions named luod.catalog.a/.b");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (version > CurrentVersion)
            throw new CatalogUnreadableException($"the catalog has format version {version}; this luod reads versions 1-{CurrentVersion} only. Update with the luod that wrote it, or a newer one: a kernel must ship a luod at least as new as the one it replaces.");
        if (length < 0 || length > bytes.Length - HeaderSize)
            throw new CatalogUnreadableException($"the catalog claims {length} payload bytes but holds {bytes.Length - HeaderSize} after its header: it was cut short. Its sessions stay preserved; the owners must recreate their state.");
        var payload = memory.Slice(HeaderSize, length);
        if (!SHA256.HashData(payload.Span).AsSpan().SequenceEqual(bytes.Slice(16, 32)))
            throw new CatalogUnreadableException("the catalog's SHA-256 does not match its contents: it is damaged (memory corruption across the kexec, or a writer other than luod). Its sessions stay preserved; the owners must recreate their state.");
        return (version, payload);
    }
}
