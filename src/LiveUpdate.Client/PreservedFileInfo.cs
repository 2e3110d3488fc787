// PreservedFileInfo: one file preserved in a session (io.liveupdate File) — the name the
// client gave it, the kernel token it is preserved under, and its size in bytes.
using Wire = LiveUpdate.Protocol;

namespace LiveUpdate.Client;

public sealed record PreservedFileInfo(string Name, ulong Token, long Bytes)
{
    /// <summary>The file as the io.liveupdate record luod sent.</summary>
    public Wire.File ToProtocol() => new() { Name = Name, Token = (long)Token, Bytes = Bytes };

    internal static PreservedFileInfo From(Wire.File file) => new(file.Name, (ulong)file.Token, file.Bytes);
}
