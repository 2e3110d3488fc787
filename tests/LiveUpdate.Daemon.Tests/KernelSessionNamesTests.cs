// KernelSessionNamesTests: kernel names derived from (owner, client name) never collide
// across owners, always fit LUO's 63 bytes, are stable, and bad client names are refused.
using System.Text;
using LiveUpdate.Kernel;

namespace LiveUpdate.Daemon.Tests;

public sealed class KernelSessionNamesTests
{
    [Fact]
    public void Two_owners_of_one_name_get_different_kernel_names()
    {
        Assert.NotEqual(KernelSessionNames.For(1000, "db"), KernelSessionNames.For(1001, "db"));
        Assert.Equal("luod.u1000.db", KernelSessionNames.For(1000, "db"));
    }

    [Theory]
    [InlineData(200, "a")]
    [InlineData(200, "é")]
    [InlineData(80, "日")]
    [InlineData(60, "🦀")]
    public void Long_names_fit_stable_and_distinct(int count, string unit)
    {
        string name = string.Concat(Enumerable.Repeat(unit, count));
        string other = name + "x";
        string derived = KernelSessionNames.For(4294967295, name);
        Assert.True(Encoding.UTF8.GetByteCount(derived) <= SessionName.MaxBytes, derived);
        Assert.True(SessionName.TryValidate(derived, out _));
        Assert.Equal(derived, KernelSessionNames.For(4294967295, name));
        Assert.NotEqual(derived, KernelSessionNames.For(4294967295, other));
        Assert.NotEqual(derived, KernelSessionNames.For(4294967294, name));
        Assert.DoesNotContain('\uFFFD', derived);
    }

    [Fact]
    public void Names_that_fit_exactly_are_kept_whole()
    {
        string head = "luod.u1.";
        string name = new('n', SessionName.MaxBytes - head.Length);
        Assert.Equal(head + name, KernelSessionNames.For(1, name));
        Assert.NotEqual(head + name + "m", KernelSessionNames.For(1, name + "m"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("a/b")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("line\n")]
    public void Validate_refuses_bad_names(string? name) => Assert.NotNull(KernelSessionNames.Validate(name));

    [Fact]
    public void Validate_refuses_names_over_255_bytes_and_accepts_ordinary_ones()
    {
        Assert.NotNull(KernelSessionNames.Validate(new string('é', 128)));
        Assert.Null(KernelSessionNames.Validate("postgres-main.shared_buffers"));
        Assert.Null(KernelSessionNames.Validate(new string('é', 127)));
    }
}
