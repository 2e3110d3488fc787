// Lz4LegacyDecoder: decodes the "legacy" LZ4 frame format that the kernel build writes for
// CONFIG_KERNEL_LZ4 (`lz4 -l`; lib/decompress_unlz4.c reads it back): the magic 0x184C2102,
// then blocks, each a little-endian u32 compressed length and one raw LZ4 block of at most
// 8 MiB decompressed; a repeated magic starts another frame. Blocks are decoded in process with
// K4os.Compression.LZ4, so luod's preflight needs no lz4 program (the guest has none).
using System.Buffers.Binary;
using K4os.Compression.LZ4;

namespace LiveUpdate.Preflight;

public static class Lz4LegacyDecoder
{
    public const uint Magic = 0x184C2102;

    /// <summary>The most one legacy block decompresses to (LZ4_LEGACY_BLOCKSIZE in the lz4 tool).</summary>
    public const int BlockSize = 8 << 20;

    /// <exception cref="InvalidDataException">The stream is not legacy LZ4, is truncated, or a block is corrupt.</exception>
    public static byte[] Decode(ReadOnlySpan<byte> stream)
    {
        if (stream.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(stream) != Magic)
            throw new InvalidDataException("the stream does not start with the LZ4 legacy magic 02 21 4C 18");
        var output = new MemoryStream(stream.Length * 3);
        var block = new byte[BlockSize];
        int position = 4;
        while (position < stream.Length)
        {
            if (stream.Length - position < 4)
                throw new InvalidDataException($"the LZ4 stream ends inside a block header at offset {position}: the image is truncated");
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(stream[position..]);
            position += 4;
            if (length == Magic)
                continue;
            if (length > (uint)(stream.Length - position))
                throw new InvalidDataException($"the LZ4 block at offset {position - 4} claims {length} bytes but only {stream.Length - position} remain: the image is truncated");
            int decoded = LZ4Codec.Decode(stream.Slice(position, (int)length), block);
            if (decoded < 0)
                throw new InvalidDataException($"the LZ4 block at offset {position - 4} ({length} bytes) is corrupt");
            output.Write(block, 0, decoded);
            position += (int)length;
        }
        return output.ToArray();
    }
}
