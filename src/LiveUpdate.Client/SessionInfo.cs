// SessionInfo: a luod session as io.liveupdate describes it (type Session) — its name,
// owner uid, kernel session name, mode, state, files, size, creation time and metadata,
// with the metadata decoded and the creation time as a DateTime. Mode and State are the
// generated io.liveupdate enums (LiveUpdate.Protocol.SessionMode / SessionState).
using LiveUpdate.Client.Errors;
using Wire = LiveUpdate.Protocol;

namespace LiveUpdate.Client;

public sealed record SessionInfo(
    string Name,
    uint Owner,
    string KernelName,
    SessionMode Mode,
    SessionState State,
    IReadOnlyList<PreservedFileInfo> Files,
    long PreservedBytes,
    long CreatedNs,
    byte[]? Metadata)
{
    /// <summary>When luod created the session (UTC).</summary>
    public DateTime CreatedUtc => DateTime.UnixEpoch.AddTicks(CreatedNs / 100);

    /// <summary>The session as the io.liveupdate record luod sent (metadata base64 again).</summary>
    public Wire.Session ToProtocol() => new()
    {
        Name = Name,
        Owner = Owner,
        KernelName = KernelName,
        Mode = Mode,
        State = State,
        Files = [.. Files.Select(f => f.ToProtocol())],
        PreservedBytes = PreservedBytes,
        CreatedNs = CreatedNs,
        Metadata = Metadata is null ? null : Convert.ToBase64String(Metadata),
    };

    internal static SessionInfo From(Wire.Session session)
    {
        byte[]? metadata;
        try { metadata = session.Metadata is null ? null : Convert.FromBase64String(session.Metadata); }
        catch (FormatException) { throw new LuodProtocolException($"luod's session '{session.Name}' has metadata that is not base64; is luod a different version of LiveUpdate than this client?"); }
        return new SessionInfo(session.Name, checked((uint)session.Owner), session.KernelName, session.Mode, session.State,
            [.. session.Files.Select(PreservedFileInfo.From)], session.PreservedBytes, session.CreatedNs, metadata);
    }
}
