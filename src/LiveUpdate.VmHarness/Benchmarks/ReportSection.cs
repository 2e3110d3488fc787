// ReportSection: a part of docs/benchmarks.md that another command writes (`luvm bench-vm`,
// `luvm bench-criu`), between two HTML comments, replaced in place when that command runs again
// and kept when `luvm bench` rewrites the rest of the file.
namespace LiveUpdate.VmHarness.Benchmarks;

public sealed record ReportSection(string Start, string End)
{
    /// <summary>Puts <paramref name="section"/> into <paramref name="existing"/> in place of an earlier one (or at the end).</summary>
    public string Merge(string existing, string section)
    {
        int start = existing.IndexOf(Start, StringComparison.Ordinal);
        int end = existing.IndexOf(End, StringComparison.Ordinal);
        if (start >= 0 && end > start)
            return existing[..start] + section.TrimEnd('\n') + existing[(end + End.Length)..];
        return existing.TrimEnd('\n') + "\n\n" + section;
    }

    /// <summary>The section of <paramref name="existing"/>, if any.</summary>
    public string? Of(string existing)
    {
        int start = existing.IndexOf(Start, StringComparison.Ordinal);
        int end = existing.IndexOf(End, StringComparison.Ordinal);
        return start >= 0 && end > start ? existing[start..(end + End.Length)] + "\n" : null;
    }
}
