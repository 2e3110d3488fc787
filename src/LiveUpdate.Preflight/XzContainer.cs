// XzContainer: decodes a .xz stream in process — the container (stream header and footer, the
// index, each block's header and its filter chain) read here from the xz file format spec
// (1.0.4), the LZMA2 data decoded by SharpCompress, then the x86 BCJ filter undone by
// X86BranchConverter. SharpCompress's own XZStream rejects the kernel's BCJ filter, which
// every x86 kernel's xz payload carries (scripts/xz_wrap.sh --x86). Supported chains are what
// kernels use: LZMA2 alone or x86 BCJ + LZMA2. Block positions come from the index, so blocks
// need not record their sizes (single-threaded xz does not). Headers, the index and CRC32
// block checks (xz_wrap.sh's --check=crc32) are verified; other check types are skipped.
using System.Buffers.Binary;
using System.IO.Hashing;
using SharpCompress.Compressors.LZMA;

namespace LiveUpdate.Preflight;

public static class XzContainer
{
    private const int StreamHeaderSize = 12;
    private const int StreamFooterSize = 12;
    private const ulong FilterX86 = 0x04;
    private const ulong FilterLzma2 = 0x21;
    private const byte CheckCrc32 = 0x01;

    private static ReadOnlySpan<byte> HeaderMagic => [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00];

    private readonly record struct IndexRecord(long UnpaddedSize, long UncompressedSize);

    /// <summary>The decompressed contents of the single .xz stream <paramref name="xz"/>; InvalidDataException when damaged or unsupported.</summary>
    public static byte[] Decode(ReadOnlyMemory<byte> xz)
    {
        var bytes = xz.Span;
        // Stream padding (NUL bytes in fours) may follow the footer.
        int end = bytes.Length;
        while (end >= 4 && end % 4 == 0 && BinaryPrimitives.ReadUInt32LittleEndian(bytes[(end - 4)..end]) == 0) end -= 4;
        if (end < StreamHeaderSize + StreamFooterSize || !bytes.StartsWith(HeaderMagic))
            throw new InvalidDataException("not an xz stream (too short or no header magic)");

        var flags = bytes.Slice(6, 2);
        RequireCrc32(bytes[6..8], bytes[8..12], "stream header");
        if (flags[0] != 0 || flags[1] > 0x0F) throw new InvalidDataException($"unsupported xz stream flags {flags[0]:x2}{flags[1]:x2}");
        byte check = flags[1];
        int checkSize = CheckSize(check);

        var footer = bytes[(end - StreamFooterSize)..end];
        if (footer[10] != (byte)'Y' || footer[11] != (byte)'Z') throw new InvalidDataException("the xz stream footer magic is missing (more than one stream, or truncated)");
        RequireCrc32(footer[4..10], footer[..4], "stream footer");
        if (!footer.Slice(8, 2).SequenceEqual(flags)) throw new InvalidDataException("the xz stream header and footer flags differ");
        long indexSize = ((long)BinaryPrimitives.ReadUInt32LittleEndian(footer[4..8]) + 1) * 4;
        int indexStart = checked((int)(end - StreamFooterSize - indexSize));
        if (indexStart < StreamHeaderSize) throw new InvalidDataException("the xz index size points outside the stream");
        var records = ReadIndex(bytes[indexStart..(end - StreamFooterSize)]);

        long total = records.Sum(r => r.UncompressedSize);
        if (total > Array.MaxLength) throw new InvalidDataException($"the xz stream would decompress to {total} bytes");
        byte[] output = new byte[total];
        int blockStart = StreamHeaderSize;
        int written = 0;
        foreach (var record in records)
        {
            int blockEnd = checked(blockStart + (int)record.UnpaddedSize);
            int paddedEnd = (blockEnd + 3) & ~3;
            if (paddedEnd > indexStart) throw new InvalidDataException("an xz block runs into the index");
            var target = output.AsSpan(written, (int)record.UncompressedSize);
            DecodeBlock(xz[blockStart..(blockEnd - checkSize)], record.UncompressedSize, target);
            // Unpadded size counts header, data and check; the padding sits between data and check.
            if (bytes[(blockEnd - checkSize)..(paddedEnd - checkSize)].ContainsAnyExcept((byte)0))
                throw new InvalidDataException($"damaged padding after the xz block at offset {blockStart}");
            if (check == CheckCrc32 && Crc32.HashToUInt32(target) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[(paddedEnd - checkSize)..paddedEnd]))
                throw new InvalidDataException($"the xz block at offset {blockStart} fails its CRC32 check");
            written += target.Length;
            blockStart = paddedEnd;
        }
        if (blockStart != indexStart) throw new InvalidDataException("the xz index does not account for every block");
        return output;
    }

    /// <summary>One block: its header (filter chain), LZMA2, then the BCJ filter over the block's output.</summary>
    private static void DecodeBlock(ReadOnlyMemory<byte> block, long uncompressedSize, Span<byte> target)
    {
        var bytes = block.Span;
        int headerSize = (bytes[0] + 1) * 4;
        if (bytes[0] == 0 || headerSize > bytes.Length) throw new InvalidDataException("damaged xz block header size");
        var header = bytes[..headerSize];
        RequireCrc32(header[..^4], header[^4..], "block header");
        byte blockFlags = header[1];
        if ((blockFlags & 0x3C) != 0) throw new InvalidDataException($"unsupported xz block flags {blockFlags:x2}");
        int at = 2;
        if ((blockFlags & 0x40) != 0) ReadVarint(header, ref at); // compressed size: the index has it too
        if ((blockFlags & 0x80) != 0 && ReadVarint(header, ref at) != (ulong)uncompressedSize)
            throw new InvalidDataException("the xz block header and the index disagree on the block's size");

        int filterCount = (blockFlags & 0x03) + 1;
        uint? x86StartOffset = null;
        byte? dictionary = null;
        for (int i = 0; i < filterCount; i++)
        {
            ulong id = ReadVarint(header, ref at);
            int propertiesSize = checked((int)ReadVarint(header, ref at));
            if (at + propertiesSize > header.Length - 4) throw new InvalidDataException("damaged xz filter flags");
            var properties = header.Slice(at, propertiesSize);
            at += propertiesSize;
            bool last = i == filterCount - 1;
            if (id == FilterX86 && !last && propertiesSize is 0 or 4 && x86StartOffset is null)
                x86StartOffset = propertiesSize == 0 ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(properties);
            else if (id == FilterLzma2 && last && propertiesSize == 1)
                dictionary = properties[0];
            else
                throw new InvalidDataException($"unsupported xz filter 0x{id:x2} (only x86 BCJ followed by LZMA2, as kernels use)");
        }
        if (header[at..^4].ContainsAnyExcept((byte)0)) throw new InvalidDataException("damaged xz block header padding");

        var compressed = block[headerSize..];
        using var input = new MemoryStream(compressed.ToArray(), writable: false);
        using var lzma2 = LzmaStream.Create([dictionary!.Value], input, compressed.Length, uncompressedSize, null, isLzma2: true, leaveOpen: false);
        int filled = 0;
        while (filled < target.Length)
        {
            int read = lzma2.Read(target[filled..]);
            if (read == 0) throw new InvalidDataException($"the xz block's LZMA2 data ended after {filled} of {target.Length} bytes");
            filled += read;
        }
        if (x86StartOffset is { } start) X86BranchConverter.Decode(target, start);
    }

    private static List<IndexRecord> ReadIndex(ReadOnlySpan<byte> index)
    {
        if (index.Length < 8 || index[0] != 0) throw new InvalidDataException("damaged xz index");
        RequireCrc32(index[..^4], index[^4..], "index");
        int at = 1;
        ulong count = ReadVarint(index, ref at);
        var records = new List<IndexRecord>();
        for (ulong i = 0; i < count; i++)
        {
            ulong unpadded = ReadVarint(index, ref at);
            ulong uncompressed = ReadVarint(index, ref at);
            if (unpadded is 0 or > int.MaxValue || uncompressed > int.MaxValue) throw new InvalidDataException("damaged xz index record");
            records.Add(new IndexRecord((long)unpadded, (long)uncompressed));
        }
        if (index[at..^4].ContainsAnyExcept((byte)0)) throw new InvalidDataException("damaged xz index padding");
        return records;
    }

    /// <summary>xz's multibyte integer: 7 bits a byte, least significant first, at most 9 bytes.</summary>
    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            if (at >= bytes.Length) throw new InvalidDataException("an xz integer runs past its field");
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("an xz integer is longer than 9 bytes");
    }

    private static void RequireCrc32(ReadOnlySpan<byte> covered, ReadOnlySpan<byte> stored, string what)
    {
        if (Crc32.HashToUInt32(covered) != BinaryPrimitives.ReadUInt32LittleEndian(stored))
            throw new InvalidDataException($"the xz {what} fails its CRC32");
    }

    /// <summary>Bytes of the block check for check ID <paramref name="check"/> (spec 2.1.1.2).</summary>
    private static int CheckSize(byte check) => check == 0 ? 0 : 4 << ((check - 1) / 3);
}
