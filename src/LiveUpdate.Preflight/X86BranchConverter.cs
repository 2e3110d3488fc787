// X86BranchConverter: the xz/BCJ "x86" filter (filter ID 0x04) — the kernel's xz_wrap.sh
// compresses vmlinux with --x86, which rewrites the 32-bit relative targets of CALL (E8) and
// JMP (E9) into absolute ones so LZMA2 finds more repeats; decoding must turn them back. The
// algorithm is liblzma's simple/x86.c (and the kernel's own lib/xz/xz_dec_bcj.c): a 5-byte
// window, a 3-bit mask of recently seen E8/E9 bytes that vetoes conversions in dense opcode
// runs, and operands converted only when their top byte is 0x00 or 0xFF. One pass over a whole
// block gives the same bytes as liblzma's chunked passes (its state carries over between
// chunks; the last 4 bytes of a block are never converted). Encode exists for the tests.
namespace LiveUpdate.Preflight;

public static class X86BranchConverter
{
    private static readonly bool[] MaskToAllowedStatus = [true, true, true, false, true, false, false, false];
    private static readonly int[] MaskToBitNumber = [0, 1, 2, 2, 3, 3, 3, 3];

    /// <summary>Undoes the filter in place over one xz block's output; <paramref name="startOffset"/> is the filter's start offset property.</summary>
    public static void Decode(Span<byte> buffer, uint startOffset = 0) => Convert(buffer, startOffset, encoding: false);

    /// <summary>Applies the filter in place (what `xz --x86` does before LZMA2).</summary>
    public static void Encode(Span<byte> buffer, uint startOffset = 0) => Convert(buffer, startOffset, encoding: true);

    private static bool IsSignByte(byte b) => b is 0x00 or 0xFF;

    private static void Convert(Span<byte> buffer, uint nowPosition, bool encoding)
    {
        if (buffer.Length < 5) return;
        uint previousMask = 0;
        uint previousPosition = nowPosition - 5; // unsigned: "no branch seen yet"
        int limit = buffer.Length - 5;
        int at = 0;
        while (at <= limit)
        {
            byte opcode = buffer[at];
            if (opcode is not (0xE8 or 0xE9))
            {
                at++;
                continue;
            }

            uint position = nowPosition + (uint)at;
            uint distance = position - previousPosition;
            previousPosition = position;
            if (distance > 5)
            {
                previousMask = 0;
            }
            else
            {
                for (uint i = 0; i < distance; i++)
                {
                    previousMask &= 0x77;
                    previousMask <<= 1;
                }
            }

            byte top = buffer[at + 4];
            if (IsSignByte(top) && MaskToAllowedStatus[(previousMask >> 1) & 0x7] && (previousMask >> 1) < 0x10)
            {
                uint source = (uint)top << 24 | (uint)buffer[at + 3] << 16 | (uint)buffer[at + 2] << 8 | buffer[at + 1];
                uint target;
                while (true)
                {
                    target = encoding ? source + (position + 5) : source - (position + 5);
                    if (previousMask == 0) break;
                    int bit = MaskToBitNumber[previousMask >> 1];
                    if (!IsSignByte((byte)(target >> (24 - bit * 8)))) break;
                    source = target ^ ((1u << (32 - bit * 8)) - 1);
                }
                buffer[at + 4] = (byte)~(((target >> 24) & 1) - 1);
                buffer[at + 3] = (byte)(target >> 16);
                buffer[at + 2] = (byte)(target >> 8);
                buffer[at + 1] = (byte)target;
                at += 5;
                previousMask = 0;
            }
            else
            {
                at++;
                previousMask |= 1;
                if (IsSignByte(top)) previousMask |= 0x10;
            }
        }
    }
}
