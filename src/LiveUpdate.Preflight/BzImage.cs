// BzImage: the x86 boot protocol setup header of a kernel image (bzImage / vmlinuz) —
// "HdrS" magic, protocol version, setup_sects, the kernel_version string and the
// compressed payload (payload_offset/payload_length, protocol >= 2.08) — plus whether
// the PE/COFF wrapper carries an Authenticode signature, which kexec_file_load checks.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Preflight;

public sealed class BzImage
{
    private const int SetupSectsOffset = 0x1F1;
    private const int HeaderMagicOffset = 0x202;
    private const int VersionOffset = 0x206;
    private const int KernelVersionOffset = 0x20E;
    private const int PayloadOffsetOffset = 0x248;
    private const int PayloadLengthOffset = 0x24C;
    private const int InitSizeOffset = 0x260;
    private const uint HdrS = 0x53726448; // "HdrS" little-endian
    public const ushort MinimumProtocol = 0x0208;

    private BzImage(string path, ushort protocol, int setupSectors, string versionString, int payloadStart, int payloadLength,
        uint initSize, bool signed, byte[] bytes)
    {
        Path = path;
        Protocol = protocol;
        SetupSectors = setupSectors;
        VersionString = versionString;
        PayloadStart = payloadStart;
        PayloadLength = payloadLength;
        InitSize = initSize;
        HasSignature = signed;
        Bytes = bytes;
    }

    public string Path { get; }

    /// <summary>Boot protocol version, e.g. 0x020F for 2.15.</summary>
    public ushort Protocol { get; }

    public int SetupSectors { get; }

    /// <summary>The kernel_version string, e.g. "7.3.4 (builder@host) #1 SMP ...".</summary>
    public string VersionString { get; }

    /// <summary>The release: the first word of <see cref="VersionString"/> (what uname -r prints).</summary>
    public string Release => VersionString.Split(' ', 2)[0];

    /// <summary>File offset of the compressed payload.</summary>
    public int PayloadStart { get; }

    public int PayloadLength { get; }

    /// <summary>Memory the kernel needs while it decompresses and starts (init_size).</summary>
    public uint InitSize { get; }

    /// <summary>True when the PE/COFF certificate table is not empty (an Authenticode signature is attached).</summary>
    public bool HasSignature { get; }

    /// <summary>The whole file.</summary>
    public byte[] Bytes { get; }

    public ReadOnlyMemory<byte> Payload => Bytes.AsMemory(PayloadStart, PayloadLength);

    public static BzImage Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KernelImageException(path, $"cannot be read: {e.Message}");
        }
        return Parse(path, bytes);
    }

    public static BzImage Parse(string path, byte[] bytes)
    {
        if (bytes.Length < 0x400)
            throw new KernelImageException(path, $"is {bytes.Length} bytes, too small for an x86 boot image");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(HeaderMagicOffset)) != HdrS)
            throw new KernelImageException(path, "has no \"HdrS\" setup header: it is not an x86 bzImage (pass the vmlinuz/bzImage file, not vmlinux or an initrd)");
        ushort protocol = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(VersionOffset));
        if (protocol < MinimumProtocol)
            throw new KernelImageException(path, $"uses boot protocol {protocol >> 8}.{protocol & 0xFF}; at least 2.08 is needed to locate the payload");
        int setupSects = bytes[SetupSectsOffset] == 0 ? 4 : bytes[SetupSectsOffset];
        int protectedModeStart = (setupSects + 1) * 512;

        int versionPointer = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(KernelVersionOffset));
        string version = versionPointer == 0 ? "" : ReadCString(bytes, versionPointer + 0x200);

        long payloadStart = protectedModeStart + (long)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(PayloadOffsetOffset));
        long payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(PayloadLengthOffset));
        if (payloadLength == 0 || payloadStart + payloadLength > bytes.Length)
            throw new KernelImageException(path, $"has a payload ({payloadLength} bytes at {payloadStart}) outside the {bytes.Length}-byte file: the image is truncated or damaged");
        uint initSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(InitSizeOffset));

        return new BzImage(path, protocol, setupSects, version, (int)payloadStart, (int)payloadLength, initSize, HasPeSignature(bytes), bytes);
    }

    /// <summary>The PE optional header's data directory entry 4 (certificate table) has a non-zero size.</summary>
    private static bool HasPeSignature(byte[] bytes)
    {
        if (bytes[0] != 'M' || bytes[1] != 'Z')
            return false;
        int pe = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(0x3C));
        if (pe <= 0 || pe + 24 + 2 > bytes.Length || BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pe)) != 0x00004550)
            return false;
        int optional = pe + 24;
        ushort magic = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(optional));
        int directories = magic switch { 0x20B => optional + 112, 0x10B => optional + 96, _ => -1 };
        int certificateEntry = directories + 4 * 8;
        if (directories < 0 || certificateEntry + 8 > bytes.Length)
            return false;
        uint numberOfDirectories = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(directories - 4));
        return numberOfDirectories > 4 && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(certificateEntry + 4)) != 0;
    }

    private static string ReadCString(byte[] bytes, int offset)
    {
        if (offset >= bytes.Length)
            return "";
        int end = Array.IndexOf(bytes, (byte)0, offset, Math.Min(512, bytes.Length - offset));
        return Encoding.ASCII.GetString(bytes, offset, (end < 0 ? Math.Min(512, bytes.Length - offset) : end) - offset);
    }
}
