// DaemonAbiTarget: what luod reads back after a kexec or a restart — the catalog
// (CatalogCodec.Decode: the framed, hashed header and the versioned JSON payload) and the
// custody record (CustodyRecord.Decode). The first byte picks: 0 the raw catalog bytes; 1 a custody
// record; 2 a catalog payload that this target frames with a correct header and SHA-256, so AFL's
// mutations reach the version-1 JSON reader behind the hash check.
// Fine: CatalogUnreadableException (the catalog's typed refusal) and JsonException (the
// custody record's, which CustodyRecord.TryRead turns into "no record"). Anything else is a bug.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using LiveUpdate.Daemon.Abi;

namespace LiveUpdate.Fuzzing;

public static class DaemonAbiTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        var rest = input.AsMemory(1);
        try
        {
            switch (input[0] % 3)
            {
                case 0: CatalogCodec.Decode(rest); break;
                case 1: CustodyRecord.Decode(rest.Span); break;
                default: CatalogCodec.Decode(Frame(rest.Span)); break;
            }
        }
        catch (CatalogUnreadableException) { }
        catch (JsonException) { }
    }

    private static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        byte[] bytes = new byte[CatalogFormat.HeaderSize + payload.Length];
        CatalogFormat.Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), CatalogFormat.CurrentVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), payload.Length);
        SHA256.HashData(payload).CopyTo(bytes, 16);
        payload.CopyTo(bytes.AsSpan(CatalogFormat.HeaderSize));
        return bytes;
    }
}
