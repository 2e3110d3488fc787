// UapiLayoutTests: the C# mirrors of include/uapi/linux/liveupdate.h must have the
// kernel's sizes, offsets and ioctl numbers, or every call would be garbage to the kernel.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel.Tests;

public class UapiLayoutTests
{
    [Fact]
    public void Ioctl_numbers_match_the_kernel_IO_macro()
    {
        // _IO(0xBA, nr) == (0xBA << 8) | nr: no direction, no size.
        Assert.Equal(0xBA00u, LiveUpdateUapi.IoctlCreateSession);
        Assert.Equal(0xBA01u, LiveUpdateUapi.IoctlRetrieveSession);
        Assert.Equal(0xBA40u, LiveUpdateUapi.SessionPreserveFd);
        Assert.Equal(0xBA41u, LiveUpdateUapi.SessionRetrieveFd);
        Assert.Equal(0xBA42u, LiveUpdateUapi.SessionFinish);
        Assert.Equal(0xBA43u, LiveUpdateUapi.SessionGetName);
    }

    [Fact]
    public void Ioc_places_direction_size_type_and_number_like_asm_generic_ioctl_h()
    {
        // _IOWR('f', 1, int) on x86_64 is 0xC0046601.
        Assert.Equal(0xC0046601u, IoctlNumber.Ioc(3, 'f', 1, 4));
    }

    [Fact]
    public void Session_struct_is_72_bytes_with_name_at_offset_8()
    {
        Assert.Equal(72, Unsafe.SizeOf<SessionIoctlArgs>());
        Assert.Equal(4, (int)Marshal.OffsetOf<SessionIoctlArgs>(nameof(SessionIoctlArgs.Fd)));
        Assert.Equal(8, (int)Marshal.OffsetOf<SessionIoctlArgs>(nameof(SessionIoctlArgs.Name)));
    }

    [Fact]
    public void Fd_struct_is_16_bytes_with_aligned_token_at_offset_8()
    {
        Assert.Equal(16, Unsafe.SizeOf<SessionFdArgs>());
        Assert.Equal(8, (int)Marshal.OffsetOf<SessionFdArgs>(nameof(SessionFdArgs.Token)));
    }

    [Fact]
    public void Finish_and_get_name_structs_have_kernel_sizes()
    {
        Assert.Equal(8, Unsafe.SizeOf<SessionFinishArgs>());
        Assert.Equal(72, Unsafe.SizeOf<SessionGetNameArgs>());
        Assert.Equal(8, (int)Marshal.OffsetOf<SessionGetNameArgs>(nameof(SessionGetNameArgs.Name)));
    }
}
