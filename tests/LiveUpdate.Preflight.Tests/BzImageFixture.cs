// BzImageFixture: builds a bzImage-shaped file around a new payload — the real setup header
// and decompressor stub of a built kernel, its payload replaced and payload_length updated —
// so each compressor and each patched ABI string can be tested on a real kernel layout.
using System.Buffers.Binary;
using System.Text;

namespace LiveUpdate.Preflight.Tests;

public static class BzImageFixture
{
    public static string Wrap(string templateBzImage, byte[] payload, string destination)
    {
        var template = BzImage.Read(templateBzImage);
        var bytes = new byte[template.PayloadStart + payload.Length + 4096];
        template.Bytes.AsSpan(0, template.PayloadStart).CopyTo(bytes);
        payload.CopyTo(bytes, template.PayloadStart);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0x24C), (uint)payload.Length);
        File.WriteAllBytes(destination, bytes);
        return destination;
    }

    /// <summary>A copy of <paramref name="kernel"/> with every NUL-terminated <paramref name="from"/> replaced by <paramref name="to"/> (same length).</summary>
    public static byte[] Patch(byte[] kernel, string from, string to)
    {
        byte[] needle = Encoding.ASCII.GetBytes(from + "\0"), replacement = Encoding.ASCII.GetBytes(to + "\0");
        Assert.Equal(needle.Length, replacement.Length);
        var copy = (byte[])kernel.Clone();
        int patched = 0;
        for (int at = copy.AsSpan().IndexOf(needle); at >= 0; at = copy.AsSpan().IndexOf(needle))
        {
            replacement.CopyTo(copy, at);
            patched++;
        }
        Assert.True(patched > 0, $"{from} is not in the kernel");
        return copy;
    }
}
