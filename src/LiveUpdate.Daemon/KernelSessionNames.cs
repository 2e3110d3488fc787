// KernelSessionNames: derives the kernel's session name from an owner (uid) and the name
// the client chose, so two owners can use the same name without colliding and every
// derived name fits LUO's 63 bytes. Long names are shortened with a hash of the whole.
using System.Security.Cryptography;
using System.Text;
using LiveUpdate.Kernel;

namespace LiveUpdate.Daemon;

public static class KernelSessionNames
{
    public const string Prefix = "luod.";

    /// <summary>luod's own session holding the catalog memfd.</summary>
    public const string Catalog = "luod.catalog";

    /// <summary>The most bytes a client-chosen name may have (it is shortened in the kernel name when needed).</summary>
    public const int MaxClientNameBytes = 255;

    public static string For(uint uid, string clientName)
    {
        string full = $"{Prefix}u{uid}.{clientName}";
        if (Encoding.UTF8.GetByteCount(full) <= SessionName.MaxBytes)
            return full;
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(full)))[..12];
        string head = $"{Prefix}u{uid}.";
        int room = SessionName.MaxBytes - Encoding.UTF8.GetByteCount(head) - 1 - hash.Length;
        var shortened = new StringBuilder();
        foreach (var rune in clientName.EnumerateRunes())
        {
            if (Encoding.UTF8.GetByteCount(shortened.ToString()) + rune.Utf8SequenceLength > room) break;
            shortened.Append(rune.ToString());
        }
        return $"{head}{shortened}~{hash}";
    }

    /// <summary>Checks a client-chosen name; returns the problem or null.</summary>
    public static string? Validate(string? clientName)
    {
        if (string.IsNullOrEmpty(clientName)) return "a session name must not be empty";
        if (Encoding.UTF8.GetByteCount(clientName) > MaxClientNameBytes) return $"a session name may have at most {MaxClientNameBytes} bytes";
        foreach (char c in clientName)
            if (char.IsControl(c) || c == '/') return "a session name must not contain control characters or '/'";
        return null;
    }
}
