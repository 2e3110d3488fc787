// IoctlNumber: ioctl request numbers computed exactly as the kernel's _IOC/_IO macros do
// (include/uapi/asm-generic/ioctl.h), so the numbers are derived, not copied as magic.
namespace LiveUpdate.Kernel.Interop;

internal static class IoctlNumber
{
    private const int NrBits = 8, TypeBits = 8, SizeBits = 14;
    private const int NrShift = 0;
    private const int TypeShift = NrShift + NrBits;
    private const int SizeShift = TypeShift + TypeBits;
    private const int DirShift = SizeShift + SizeBits;

    public const uint DirectionNone = 0;

    /// <summary>_IOC(dir, type, nr, size).</summary>
    public static uint Ioc(uint direction, uint type, uint number, uint size) =>
        (direction << DirShift) | (type << TypeShift) | (number << NrShift) | (size << SizeShift);

    /// <summary>_IO(type, nr): the form every liveupdate ioctl uses.</summary>
    public static uint Io(uint type, uint number) => Ioc(DirectionNone, type, number, 0);
}
