// CustodyWireRecords: a session in luod's custody as the io.liveupdate records clients see
// (LiveUpdate.Protocol, generated from io.liveupdate.varlink): Session and File.
using Wire = LiveUpdate.Protocol;

namespace LiveUpdate.Daemon;

public static class CustodyWireRecords
{
    public static Wire.Session ToWire(CustodySession session) => new()
    {
        Name = session.Name,
        Owner = session.Owner,
        KernelName = session.KernelName,
        Mode = session.Mode == CatalogSessionMode.Delegated ? Wire.SessionMode.Delegated : Wire.SessionMode.Managed,
        State = session.State switch
        {
            CustodyState.Open => Wire.SessionState.Open,
            CustodyState.Restored => Wire.SessionState.Restored,
            CustodyState.Claimed => Wire.SessionState.Claimed,
            CustodyState.Finished => Wire.SessionState.Finished,
            CustodyState.Orphaned => Wire.SessionState.Orphaned,
            CustodyState.Lost => Wire.SessionState.Lost,
            _ => throw new ArgumentOutOfRangeException(nameof(session), session.State, "a custody state io.liveupdate does not declare"),
        },
        Files = [.. session.Files.Select(ToWire)],
        PreservedBytes = session.PreservedBytes,
        CreatedNs = session.CreatedNs,
        Metadata = session.Metadata,
    };

    public static Wire.File ToWire(CatalogFile file) => new() { Name = file.Name, Token = (long)file.Token, Bytes = file.Bytes };
}
