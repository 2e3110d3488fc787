// KernelLogTests: /dev/kmsg records parse into priority, sequence, boot-time microseconds
// and text, including the KHO/LUO lines the telemetry and VM reports rely on.
namespace LiveUpdate.Kernel.Tests;

public class KernelLogTests
{
    [Fact]
    public void Parses_a_kmsg_record_with_continuation_lines()
    {
        Assert.True(KernelLog.TryParse("6,339,5140900,-;luo: Retrieved live update data, liveupdate number: 1\n SUBSYSTEM=x\n", out var record));
        Assert.Equal(6, record.Priority);
        Assert.Equal(339, record.Sequence);
        Assert.Equal(5_140_900, record.TimestampMicroseconds);
        Assert.Equal("luo: Retrieved live update data, liveupdate number: 1", record.Message);
    }

    [Fact]
    public void Facility_bits_are_stripped_from_the_priority()
    {
        Assert.True(KernelLog.TryParse("12,1,2,c;user message", out var record)); // facility 1 (user), level 4
        Assert.Equal(4, record.Priority);
    }

    [Theory]
    [InlineData("no header")]
    [InlineData("a,b,c;text")]
    public void Rejects_malformed_records(string raw) => Assert.False(KernelLog.TryParse(raw, out _));
}
