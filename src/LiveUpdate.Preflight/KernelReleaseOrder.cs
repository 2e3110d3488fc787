// KernelReleaseOrder: which of two kernel releases (uname -r, or the part after "vmlinuz-") is
// newer, in Debian's version order (dpkg's verrevcmp): runs of digits compare as numbers, so
// 7.10 is newer than 7.9 and 6.1.0-18-amd64 newer than 6.1.0-9-amd64; letters sort before
// other characters and '~' before everything, even the end (7.3.0~rc1 is older than 7.3.0).
// `luoctl reboot-required` uses it to pick the newest /boot/vmlinuz-* and to compare it with
// the running kernel.
namespace LiveUpdate.Preflight;

public sealed class KernelReleaseOrder : IComparer<string>
{
    public static KernelReleaseOrder Instance { get; } = new();

    /// <summary>Negative when <paramref name="x"/> is older than <paramref name="y"/>, zero when equal, positive when newer.</summary>
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int a = 0, b = 0;
        while (a < x.Length || b < y.Length)
        {
            while ((a < x.Length && !char.IsAsciiDigit(x[a])) || (b < y.Length && !char.IsAsciiDigit(y[b])))
            {
                int left = Weight(x, a), right = Weight(y, b);
                if (left != right) return left - right;
                a++;
                b++;
            }
            while (a < x.Length && x[a] == '0') a++;
            while (b < y.Length && y[b] == '0') b++;
            int firstDifference = 0;
            while (a < x.Length && char.IsAsciiDigit(x[a]) && b < y.Length && char.IsAsciiDigit(y[b]))
            {
                if (firstDifference == 0) firstDifference = x[a] - y[b];
                a++;
                b++;
            }
            if (a < x.Length && char.IsAsciiDigit(x[a])) return 1;
            if (b < y.Length && char.IsAsciiDigit(y[b])) return -1;
            if (firstDifference != 0) return firstDifference;
        }
        return 0;
    }

    /// <summary>True when <paramref name="candidate"/> is strictly newer than <paramref name="running"/>.</summary>
    public static bool IsNewer(string candidate, string running) => Instance.Compare(candidate, running) > 0;

    /// <summary>dpkg's order of one character: the end and digits 0, '~' below everything, letters by code, the rest above letters.</summary>
    private static int Weight(string text, int at)
    {
        if (at >= text.Length) return 0;
        char c = text[at];
        if (char.IsAsciiDigit(c)) return 0;
        if (char.IsAsciiLetter(c)) return c;
        return c == '~' ? -1 : c + 256;
    }
}
