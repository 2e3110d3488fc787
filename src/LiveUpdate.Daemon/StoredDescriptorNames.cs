// StoredDescriptorNames: the FDNAME under which each descriptor luod parks in systemd's fd
// store is kept, and the reverse. systemd allows printable ASCII without ':' and at most
// 255 characters (fdname_is_valid); kernel session names may hold any UTF-8, so a name
// outside that set is replaced by a hash. The prefix says what the descriptor is, because
// a restarted luod must know before touching it: an outgoing session (created in this
// boot), an incoming one (handed over by the previous kernel), or the memfd inside luod's
// own catalog session that it rewrites in place.
using System.Security.Cryptography;
using System.Text;

namespace LiveUpdate.Daemon;

public enum StoredDescriptorKind
{
    OutgoingSession,
    IncomingSession,
    CatalogMemFd,
}

public static class StoredDescriptorNames
{
    private const string OutgoingPrefix = "luo-out.";
    private const string IncomingPrefix = "luo-in.";
    private const string CatalogMemFdPrefix = "luo-catalog-memfd.";

    public static string For(StoredDescriptorKind kind, string kernelName) => kind switch
    {
        StoredDescriptorKind.OutgoingSession => OutgoingPrefix,
        StoredDescriptorKind.IncomingSession => IncomingPrefix,
        _ => CatalogMemFdPrefix,
    } + Printable(kernelName);

    /// <summary>What a stored descriptor is, from its FDNAME; null for names luod did not give (e.g. the socket's).</summary>
    public static (StoredDescriptorKind Kind, string NameHint)? Parse(string? fdName)
    {
        if (fdName is null) return null;
        if (fdName.StartsWith(OutgoingPrefix, StringComparison.Ordinal)) return (StoredDescriptorKind.OutgoingSession, fdName[OutgoingPrefix.Length..]);
        if (fdName.StartsWith(IncomingPrefix, StringComparison.Ordinal)) return (StoredDescriptorKind.IncomingSession, fdName[IncomingPrefix.Length..]);
        if (fdName.StartsWith(CatalogMemFdPrefix, StringComparison.Ordinal)) return (StoredDescriptorKind.CatalogMemFd, fdName[CatalogMemFdPrefix.Length..]);
        return null;
    }

    /// <summary>The kernel name as it appears in an FDNAME: itself when systemd accepts it, else a hash.</summary>
    public static string Printable(string kernelName)
    {
        bool printable = kernelName.Length is > 0 and <= 200 && kernelName.All(c => c is >= ' ' and < (char)127 and not ':');
        return printable ? kernelName : "~" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kernelName)))[..24];
    }
}
