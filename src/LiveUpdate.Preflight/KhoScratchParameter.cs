// KhoScratchParameter: the kho_scratch= boot parameter as kernel/liveupdate/kexec_handover.c
// parses it: "N%" scales the scratch areas to N% of the memory the kernel reserved at boot
// (default 200%), "lowmem,global,pernode" with K/M/G suffixes gives explicit sizes.
using System.Globalization;

namespace LiveUpdate.Preflight;

public sealed record KhoScratchParameter(uint? ScalePercent, ulong LowMem, ulong Global, ulong PerNode)
{
    /// <summary>The kernel's default when kho_scratch= is absent: scratch_scale = 200.</summary>
    public static readonly KhoScratchParameter Default = new(200, 0, 0, 0);

    /// <summary>Explicit total for <paramref name="nodes"/> NUMA nodes, null when the size is a scale of reserved memory.</summary>
    public ulong? ExplicitTotal(int nodes) => ScalePercent is null ? LowMem + Global + PerNode * (ulong)Math.Max(1, nodes) : null;

    /// <summary>Parses a kho_scratch= value; null when the kernel would reject it.</summary>
    public static KhoScratchParameter? TryParse(string value)
    {
        if (value.Length == 0) return null;
        if (value[^1] == '%')
            return value.Length <= 11 && uint.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint scale)
                ? new KhoScratchParameter(scale, 0, 0, 0) : null;
        string[] parts = value.Split(',');
        if (parts.Length != 3) return null;
        var sizes = new ulong[3];
        for (int i = 0; i < 3; i++)
            if (!TryMemparse(parts[i], out sizes[i])) return null;
        if (sizes.All(s => s == 0)) return null;
        return new KhoScratchParameter(null, sizes[0], sizes[1], sizes[2]);
    }

    /// <summary>The kernel's memparse(): a number with an optional K, M, G, T, P or E suffix.</summary>
    private static bool TryMemparse(string text, out ulong bytes)
    {
        bytes = 0;
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits])) digits++;
        if (digits == 0 || !ulong.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out ulong number)) return false;
        string suffix = text[digits..].ToUpperInvariant();
        int shift = suffix switch { "" => 0, "K" => 10, "M" => 20, "G" => 30, "T" => 40, "P" => 50, "E" => 60, _ => -1 };
        if (shift < 0) return false;
        bytes = number << shift;
        return true;
    }
}
