// KernelReleaseOrderTests: kernel releases compare in Debian's version order (dpkg's
// verrevcmp), as `luoctl reboot-required` needs to pick the newest /boot/vmlinuz-* and to tell
// whether it is newer than the running kernel: numbers as numbers, '~' before the end.
namespace LiveUpdate.Preflight.Tests;

public sealed class KernelReleaseOrderTests
{
    [Theory]
    [InlineData("7.10.0", "7.9.0")]
    [InlineData("7.3.1", "7.2.13")]
    [InlineData("6.1.0-18-amd64", "6.1.0-9-amd64")]
    [InlineData("7.3.0", "7.3.0~rc1")]
    [InlineData("7.3.0-1", "7.3.0")]
    [InlineData("7.3.5", "7.3")]
    [InlineData("7.2.13-1-cloud", "7.2.13-1-amd64")]
    [InlineData("7.2.010", "7.2.9")]
    public void The_first_is_newer(string newer, string older)
    {
        Assert.True(KernelReleaseOrder.IsNewer(newer, older));
        Assert.False(KernelReleaseOrder.IsNewer(older, newer));
        Assert.True(KernelReleaseOrder.Instance.Compare(newer, older) > 0);
        Assert.True(KernelReleaseOrder.Instance.Compare(older, newer) < 0);
    }

    [Theory]
    [InlineData("7.2.13", "7.2.13")]
    [InlineData("7.2.013", "7.2.13")]
    public void Equal_releases_are_not_newer(string a, string b)
    {
        Assert.Equal(0, KernelReleaseOrder.Instance.Compare(a, b));
        Assert.False(KernelReleaseOrder.IsNewer(a, b));
    }

    [Fact]
    public void Sorting_puts_the_newest_last()
    {
        string[] releases = ["7.10.0", "7.2.13-1-amd64", "7.9.2", "7.3.0~rc1", "7.3.0"];
        Assert.Equal(["7.2.13-1-amd64", "7.3.0~rc1", "7.3.0", "7.9.2", "7.10.0"], releases.Order(KernelReleaseOrder.Instance));
    }
}
