// DebianVersion: dpkg's version ordering ([epoch:]upstream[-revision], '~' sorts before
// everything), so the fetcher can pick the highest linux-source-<series> across suites.
namespace LiveUpdate.VmHarness.Kernels;

public sealed class DebianVersion : IComparable<DebianVersion>
{
    private readonly long epoch;
    private readonly string upstream;
    private readonly string revision;

    public DebianVersion(string text)
    {
        Text = text.Trim();
        var rest = Text;
        var colon = rest.IndexOf(':');
        epoch = colon > 0 && long.TryParse(rest[..colon], out var e) ? e : 0;
        if (colon > 0)
        {
            rest = rest[(colon + 1)..];
        }
        var dash = rest.LastIndexOf('-');
        upstream = dash >= 0 ? rest[..dash] : rest;
        revision = dash >= 0 ? rest[(dash + 1)..] : string.Empty;
    }

    public string Text { get; }

    public int CompareTo(DebianVersion? other)
    {
        if (other is null)
        {
            return 1;
        }
        var byEpoch = epoch.CompareTo(other.epoch);
        if (byEpoch != 0)
        {
            return byEpoch;
        }
        var byUpstream = CompareParts(upstream, other.upstream);
        return byUpstream != 0 ? byUpstream : CompareParts(revision, other.revision);
    }

    public override string ToString() => Text;

    /// <summary>dpkg's verrevcmp: alternate non-digit runs (by Order) and digit runs (numerically).</summary>
    private static int CompareParts(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            while ((i < a.Length && !char.IsAsciiDigit(a[i])) || (j < b.Length && !char.IsAsciiDigit(b[j])))
            {
                var ac = i < a.Length ? Order(a[i]) : 0;
                var bc = j < b.Length ? Order(b[j]) : 0;
                if (ac != bc)
                {
                    return ac - bc;
                }
                i++;
                j++;
            }
            while (i < a.Length && a[i] == '0')
            {
                i++;
            }
            while (j < b.Length && b[j] == '0')
            {
                j++;
            }
            var firstDiff = 0;
            while (i < a.Length && char.IsAsciiDigit(a[i]) && j < b.Length && char.IsAsciiDigit(b[j]))
            {
                if (firstDiff == 0)
                {
                    firstDiff = a[i] - b[j];
                }
                i++;
                j++;
            }
            if (i < a.Length && char.IsAsciiDigit(a[i]))
            {
                return 1;
            }
            if (j < b.Length && char.IsAsciiDigit(b[j]))
            {
                return -1;
            }
            if (firstDiff != 0)
            {
                return firstDiff;
            }
        }
        return 0;
    }

    private static int Order(char c) => c switch
    {
        '~' => -1,
        _ when char.IsAsciiDigit(c) => 0,
        _ when char.IsAsciiLetter(c) => c,
        _ => c + 256,
    };
}
