// KernelLog: reads the kernel's message buffer from /dev/kmsg without blocking, as
// structured records (sequence, microseconds since boot, text). Scenario reports attach
// the KHO/LUO lines to each step; blackout telemetry will merge them into its timeline.
using System.Text;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public readonly record struct KernelLogRecord(int Priority, long Sequence, long TimestampMicroseconds, string Message);

public static unsafe class KernelLog
{
    public const string DevicePath = "/dev/kmsg";

    private sealed class KmsgHandle : FileDescriptorHandle
    {
        public KmsgHandle(int fd) : base(fd) { }
    }

    /// <summary>Every record currently in the buffer (oldest first). Empty when /dev/kmsg cannot be read.</summary>
    public static IReadOnlyList<KernelLogRecord> ReadAll(string path = DevicePath)
    {
        var records = new List<KernelLogRecord>();
        int fd = LibC.Open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) return records;
        using var handle = new KmsgHandle(fd);
        byte[] buffer = new byte[8192];
        fixed (byte* start = buffer)
        {
            while (true)
            {
                nint count = LibC.Read(handle, start, (nuint)buffer.Length);
                if (count < 0)
                {
                    int errno = LibC.LastErrno;
                    if (errno == Errno.EPIPE) continue; // records were overwritten; the next read resumes
                    if (errno == Errno.EINTR) continue;
                    break; // EAGAIN: nothing more
                }
                if (count == 0) break;
                if (TryParse(Encoding.UTF8.GetString(buffer, 0, (int)count), out var record))
                    records.Add(record);
            }
        }
        return records;
    }

    /// <summary>Parses one /dev/kmsg record: "prio,seq,usec,flags[,...];message\n[ continuation lines]".</summary>
    public static bool TryParse(string raw, out KernelLogRecord record)
    {
        record = default;
        int semicolon = raw.IndexOf(';');
        if (semicolon < 0) return false;
        string[] header = raw[..semicolon].Split(',');
        if (header.Length < 3
            || !int.TryParse(header[0], out int prefix)
            || !long.TryParse(header[1], out long sequence)
            || !long.TryParse(header[2], out long microseconds))
            return false;
        string message = raw[(semicolon + 1)..];
        int newline = message.IndexOf('\n');
        if (newline >= 0) message = message[..newline];
        record = new KernelLogRecord(prefix & 7, sequence, microseconds, message);
        return true;
    }
}
