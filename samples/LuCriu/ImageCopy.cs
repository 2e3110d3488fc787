// ImageCopy: moves one image file between the images directory and a memfd. The memfd is
// mapped in windows of 64 MiB and the file read straight into (or written straight from)
// the mapping — one copy, large reads, no bounce buffer and no per-byte work.
using LiveUpdate.Kernel;

namespace LuCriu;

internal static class ImageCopy
{
    private const int Window = 64 << 20;

    /// <summary>Sizes <paramref name="memfd"/> to the file at <paramref name="path"/> and fills it; returns the length.</summary>
    public static async Task<long> FileToMemFdAsync(string path, MemFd memfd, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long length = RandomAccess.GetLength(file);
        memfd.SetSize(length);
        for (long offset = 0; offset < length; offset += Window)
        {
            int size = (int)Math.Min(Window, length - offset);
            using var mapping = memfd.Map(offset, size, writable: true);
            int done = 0;
            while (done < size)
            {
                int read = await RandomAccess.ReadAsync(file, mapping.Memory[done..], offset + done, cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new IOException($"{path} shrank while it was copied (at {offset + done} of {length} bytes)");
                done += read;
            }
        }
        return length;
    }

    /// <summary>Writes all of <paramref name="memfd"/> into a new file at <paramref name="path"/>; returns the length.</summary>
    public static async Task<long> MemFdToFileAsync(MemFd memfd, string path, CancellationToken cancellationToken)
    {
        long length = memfd.Size;
        using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: length);
        for (long offset = 0; offset < length; offset += Window)
        {
            int size = (int)Math.Min(Window, length - offset);
            using var mapping = memfd.Map(offset, size, writable: false);
            await RandomAccess.WriteAsync(file, (ReadOnlyMemory<byte>)mapping.Memory, offset, cancellationToken).ConfigureAwait(false);
        }
        return length;
    }
}
