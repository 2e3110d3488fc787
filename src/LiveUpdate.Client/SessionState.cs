// SessionState: where a luod session is in its life (io.liveupdate Session.state).
namespace LiveUpdate.Client;

public enum SessionState
{
    /// <summary>Created in this boot; files can be preserved into it.</summary>
    Open,
    /// <summary>Handed over by the previous kernel; waiting to be claimed.</summary>
    Restored,
    /// <summary>Claimed by its owner in this boot; waiting for Finish.</summary>
    Claimed,
    /// <summary>Finished; luod is forgetting it.</summary>
    Finished,
    /// <summary>Restored but not claimed within luod's grace period.</summary>
    Orphaned,
    /// <summary>luod lost custody of it (its files are gone).</summary>
    Lost,
}
