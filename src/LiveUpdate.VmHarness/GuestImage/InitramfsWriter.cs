// InitramfsWriter: writes an uncompressed cpio "newc" (070701) archive, the format the kernel
// unpacks as initramfs. Entries are streamed straight to the output (host files are copied, not
// buffered); missing parent directories are added automatically; Finish writes TRAILER!!!.
using System.Text;

namespace LiveUpdate.VmHarness.GuestImage;

public sealed class InitramfsWriter : IAsyncDisposable
{
    public const int DirectoryType = 0x4000;     // S_IFDIR
    public const int RegularFileType = 0x8000;   // S_IFREG
    public const int SymlinkType = 0xA000;       // S_IFLNK
    public const int CharacterDeviceType = 0x2000; // S_IFCHR

    private const string Magic = "070701";
    private const string TrailerName = "TRAILER!!!";
    private const int HeaderLength = 110;

    private readonly Stream output;
    private readonly bool ownsOutput;
    private readonly long modificationTime;
    private readonly HashSet<string> entries = new(StringComparer.Ordinal);
    private long position;
    private int nextInode = 1;
    private bool finished;

    /// <param name="modificationTime">mtime stamped on every entry (fixed, so archives are reproducible).</param>
    public InitramfsWriter(Stream output, bool ownsOutput = false, DateTimeOffset? modificationTime = null)
    {
        this.output = output;
        this.ownsOutput = ownsOutput;
        this.modificationTime = (modificationTime ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds();
    }

    /// <summary>Creates (or truncates) <paramref name="path"/> and writes the archive into it.</summary>
    public static InitramfsWriter Create(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20, useAsync: true), ownsOutput: true);

    /// <summary>Bytes written so far.</summary>
    public long Length => position;

    public int EntryCount => entries.Count;

    public async Task AddDirectoryAsync(string path, int permissions = 0x1ED /* 0755 */, CancellationToken cancellationToken = default)
    {
        var name = Normalize(path);
        if (name.Length == 0 || entries.Contains(name))
        {
            return;
        }
        await EnsureParentsAsync(name, cancellationToken).ConfigureAwait(false);
        await WriteHeaderAsync(name, DirectoryType | permissions, 0, nlink: 2, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddFileAsync(string path, ReadOnlyMemory<byte> content, int permissions, CancellationToken cancellationToken = default)
    {
        var name = await BeginEntryAsync(path, cancellationToken).ConfigureAwait(false);
        await WriteHeaderAsync(name, RegularFileType | permissions, content.Length, nlink: 1, cancellationToken).ConfigureAwait(false);
        await WriteDataAsync(content, cancellationToken).ConfigureAwait(false);
        await PadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the host file <paramref name="hostPath"/> (symlinks followed) as a regular file.</summary>
    public async Task AddFileFromHostAsync(string path, string hostPath, int permissions, CancellationToken cancellationToken = default)
    {
        var name = await BeginEntryAsync(path, cancellationToken).ConfigureAwait(false);
        await using var source = new FileStream(hostPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20, useAsync: true);
        var length = source.Length;
        await WriteHeaderAsync(name, RegularFileType | permissions, length, nlink: 1, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 20];
        long copied = 0;
        int read;
        while (copied < length && (read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - copied)), cancellationToken).ConfigureAwait(false)) > 0)
        {
            await WriteDataAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            copied += read;
        }
        if (copied != length)
        {
            throw new HarnessException($"{hostPath} shrank from {length} to {copied} bytes while it was packed into the initramfs; rerun when nothing rewrites it.");
        }
        await PadAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task AddSymlinkAsync(string path, string target, CancellationToken cancellationToken = default)
    {
        var name = await BeginEntryAsync(path, cancellationToken).ConfigureAwait(false);
        var bytes = Encoding.UTF8.GetBytes(target);
        await WriteHeaderAsync(name, SymlinkType | 0x1FF /* 0777 */, bytes.Length, nlink: 1, cancellationToken).ConfigureAwait(false);
        await WriteDataAsync(bytes, cancellationToken).ConfigureAwait(false);
        await PadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a character device node (e.g. /dev/console 5:1, which the kernel opens before /init runs).</summary>
    public async Task AddCharacterDeviceAsync(string path, int permissions, int major, int minor, CancellationToken cancellationToken = default)
    {
        var name = await BeginEntryAsync(path, cancellationToken).ConfigureAwait(false);
        await WriteHeaderAsync(name, CharacterDeviceType | permissions, 0, nlink: 1, cancellationToken, major, minor).ConfigureAwait(false);
    }

    /// <summary>Writes the TRAILER!!! entry and flushes. No entries can be added afterwards.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken = default)
    {
        if (finished)
        {
            return;
        }
        await WriteHeaderAsync(TrailerName, 0, 0, nlink: 1, cancellationToken, track: false).ConfigureAwait(false);
        finished = true;
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (ownsOutput)
        {
            await output.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<string> BeginEntryAsync(string path, CancellationToken cancellationToken)
    {
        var name = Normalize(path);
        if (name.Length == 0)
        {
            throw new ArgumentException("An initramfs entry needs a name.", nameof(path));
        }
        if (entries.Contains(name))
        {
            throw new InvalidOperationException($"/{name} is already in the initramfs; each path may be added once.");
        }
        await EnsureParentsAsync(name, cancellationToken).ConfigureAwait(false);
        return name;
    }

    private async Task EnsureParentsAsync(string name, CancellationToken cancellationToken)
    {
        var slash = name.LastIndexOf('/');
        if (slash > 0 && !entries.Contains(name[..slash]))
        {
            await AddDirectoryAsync(name[..slash], cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteHeaderAsync(string name, int mode, long fileSize, int nlink, CancellationToken cancellationToken, int rdevMajor = 0, int rdevMinor = 0, bool track = true)
    {
        if (finished)
        {
            throw new InvalidOperationException("The initramfs archive is already finished.");
        }
        if (fileSize > uint.MaxValue)
        {
            throw new HarnessException($"/{name} is larger than 4 GiB, which cpio newc cannot store.");
        }
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder(HeaderLength);
        header.Append(Magic);
        foreach (var field in new long[] { track ? nextInode++ : 0, mode, 0, 0, nlink, modificationTime, fileSize, 0, 0, rdevMajor, rdevMinor, nameBytes.Length + 1, 0 })
        {
            header.Append(field.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
        }
        await WriteDataAsync(Encoding.ASCII.GetBytes(header.ToString()), cancellationToken).ConfigureAwait(false);
        await WriteDataAsync(nameBytes, cancellationToken).ConfigureAwait(false);
        await WriteDataAsync(new byte[1], cancellationToken).ConfigureAwait(false);
        await PadAsync(cancellationToken).ConfigureAwait(false);
        if (track)
        {
            entries.Add(name);
        }
    }

    private async Task WriteDataAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        position += data.Length;
    }

    /// <summary>newc aligns every header and every file body to 4 bytes.</summary>
    private Task PadAsync(CancellationToken cancellationToken)
    {
        var padding = (int)((4 - position % 4) % 4);
        return padding == 0 ? Task.CompletedTask : WriteDataAsync(new byte[padding], cancellationToken);
    }

    private static string Normalize(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or ".."))
        {
            throw new ArgumentException($"Initramfs path {path} must not contain . or .. components.", nameof(path));
        }
        return string.Join('/', parts);
    }
}
