// PageStamps: the benchmark's data: every 4 KiB page of a memfd carries a 16-byte stamp
// (page index ^ seed, and its complement ^ seed) in its first bytes. Writing a stamp touches
// every page, so the whole size is really allocated and really preserved, at a cost TCG can
// afford for 2 GiB (a full pseudo-random fill of 2 GiB takes minutes there); checking every
// stamp after the kexec proves every page came back in its place. Mapped in 64 MiB windows.
using System.Buffers.Binary;
using LiveUpdate.Kernel;

namespace LiveUpdate.Guest.Scenarios;

public static class PageStamps
{
    public const int PageSize = 4096;
    private const int Window = 64 << 20;

    /// <summary>Sizes <paramref name="memfd"/> to <paramref name="bytes"/> and stamps every page.</summary>
    public static void Stamp(MemFd memfd, long bytes, ulong seed)
    {
        memfd.SetSize(bytes);
        ForEachWindow(bytes, (offset, size) =>
        {
            using var mapping = memfd.Map(offset, size, writable: true);
            Span<byte> span = mapping.GetSpan();
            long firstPage = offset / PageSize;
            for (int at = 0; at < size; at += PageSize)
            {
                ulong page = (ulong)(firstPage + at / PageSize);
                BinaryPrimitives.WriteUInt64LittleEndian(span[at..], page ^ seed);
                BinaryPrimitives.WriteUInt64LittleEndian(span[(at + 8)..], ~page ^ seed);
            }
        });
    }

    /// <summary>Checks the stamp of every page; returns how many are wrong and a description of the first.</summary>
    public static (long Pages, long Bad, string? FirstBad) Verify(MemFd memfd, long bytes, ulong seed)
    {
        long bad = 0;
        string? first = null;
        if (memfd.Size != bytes)
            return (bytes / PageSize, bytes / PageSize, $"size {memfd.Size} != {bytes}");
        ForEachWindow(bytes, (offset, size) =>
        {
            using var mapping = memfd.Map(offset, size, writable: false);
            ReadOnlySpan<byte> span = mapping.GetSpan();
            long firstPage = offset / PageSize;
            for (int at = 0; at < size; at += PageSize)
            {
                ulong page = (ulong)(firstPage + at / PageSize);
                ulong a = BinaryPrimitives.ReadUInt64LittleEndian(span[at..]);
                ulong b = BinaryPrimitives.ReadUInt64LittleEndian(span[(at + 8)..]);
                if (a != (page ^ seed) || b != (~page ^ seed))
                {
                    bad++;
                    first ??= $"page {page} holds {a:x16}/{b:x16}, expected {page ^ seed:x16}/{~page ^ seed:x16}";
                }
            }
        });
        return (bytes / PageSize, bad, first);
    }

    /// <summary>Calls <paramref name="body"/> with (offset, length) of each window of at most 64 MiB.</summary>
    public static void ForEachWindow(long bytes, Action<long, int> body)
    {
        for (long offset = 0; offset < bytes; offset += Window)
            body(offset, (int)Math.Min(Window, bytes - offset));
    }
}
