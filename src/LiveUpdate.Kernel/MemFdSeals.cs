// MemFdSeals: the F_SEAL_* flags of include/uapi/linux/fcntl.h. The 7.2/7.3 memfd LUO
// handler preserves exactly these (MEMFD_LUO_ALL_SEALS); a memfd with any other seal is
// refused with EOPNOTSUPP.
namespace LiveUpdate.Kernel;

[Flags]
public enum MemFdSeals
{
    None = 0,
    Seal = 0x0001,
    Shrink = 0x0002,
    Grow = 0x0004,
    Write = 0x0008,
    FutureWrite = 0x0010,
    Exec = 0x0020,
}
