// LuoStateHeader: the "LUO" KHO subtree of Linux 7.2 (include/linux/kho/abi/luo.h, ABI
// luo-v5): not an FDT but the packed struct luo_ser { char compatible[ALIGN(len+1, 8)];
// u64 liveupdate_num; u64 sessions_pa; u64 flbs_pa; } in CPU (little-endian) order. The
// compatible is read generically (its length decides the field offsets, as ALIGN does), so a
// bumped "luo-vN" still decodes and is flagged as unknown. The sessions, their files and the
// memfd folio lists live at sessions_pa and beyond, in preserved physical pages that
// userspace cannot read (no debugfs file shows them): only the addresses are shown.
// sessions_pa stays 0 in the outgoing header until the reboot serializes the sessions
// (luo_session_serialize from liveupdate_reboot), and 0 incoming when no session was preserved.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Kernel.Handover;

public sealed record LuoStateHeader(string Compatible, bool KnownAbi, ulong LiveUpdateNumber,
    ulong SessionsPhysicalAddress, ulong FlbsPhysicalAddress)
{
    public const string SubtreeName = "LUO";
    /// <summary>The LUO ABI this layout was read from in the 7.2 source (LUO_ABI_COMPATIBLE).</summary>
    public const string KnownCompatible = "luo-v5";
    /// <summary>Longest compatible accepted before the header is called damaged.</summary>
    public const int MaxCompatibleLength = 64;

    private const string What = "LUO state (struct luo_ser)";

    public static LuoStateHeader Parse(ReadOnlySpan<byte> blob)
    {
        int end = blob[..Math.Min(blob.Length, MaxCompatibleLength)].IndexOf((byte)0);
        if (end <= 0)
            throw new HandoverFormatException(What, 0, "does not start with a NUL-terminated compatible string");
        foreach (byte b in blob[..end])
            if (b < 0x20 || b > 0x7e)
                throw new HandoverFormatException(What, 0, $"the compatible string holds a non-printable byte 0x{b:x2}");
        string compatible = Encoding.ASCII.GetString(blob[..end]);
        int fields = (end + 1 + 7) & ~7;
        if (blob.Length < fields + 24)
            throw new HandoverFormatException(What, blob.Length,
                $"truncated: '{compatible}' puts three u64 fields at byte {fields}, needing {fields + 24} bytes, the blob has {blob.Length}");
        return new LuoStateHeader(compatible, compatible == KnownCompatible,
            BinaryPrimitives.ReadUInt64LittleEndian(blob[fields..]),
            BinaryPrimitives.ReadUInt64LittleEndian(blob[(fields + 8)..]),
            BinaryPrimitives.ReadUInt64LittleEndian(blob[(fields + 16)..]));
    }
}
