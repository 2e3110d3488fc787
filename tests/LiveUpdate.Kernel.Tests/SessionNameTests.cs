// SessionNameTests: names are checked before the ioctl exactly as luo_session_create
// checks them (1..63 bytes, counted in UTF-8 bytes, no NUL).
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel.Tests;

public class SessionNameTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    public void Accepts_names_of_1_to_63_bytes(int length) =>
        Assert.Equal(length, SessionName.Parse(new string('a', length)).Value.Length);

    [Fact]
    public void Rejects_a_64_byte_name_without_calling_the_kernel()
    {
        var error = Assert.Throws<InvalidLiveUpdateArgumentException>(() => SessionName.Parse(new string('a', 64)));
        Assert.Equal(0, error.Errno);
        Assert.Contains("64 bytes", error.Message);
        Assert.Contains("at most 63", error.Message);
    }

    [Fact]
    public void Counts_bytes_not_characters()
    {
        // 32 × 'é' is 64 UTF-8 bytes.
        Assert.Throws<InvalidLiveUpdateArgumentException>(() => SessionName.Parse(new string('é', 32)));
        Assert.Equal("ééé", SessionName.Parse("ééé").Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\0b")]
    public void Rejects_empty_names_and_embedded_nul(string name) =>
        Assert.Throws<InvalidLiveUpdateArgumentException>(() => SessionName.Parse(name));

    [Fact]
    public void Round_trips_through_the_uapi_buffer_with_nul_termination()
    {
        var buffer = new SessionNameBytes();
        Span<byte> span = buffer;
        span.Fill(0xFF);
        SessionName.Parse("vm-42").CopyTo(ref buffer);
        Assert.Equal("vm-42", SessionName.FromBytes(buffer));
        Assert.Equal(0, ((Span<byte>)buffer)[5]);
    }
}
