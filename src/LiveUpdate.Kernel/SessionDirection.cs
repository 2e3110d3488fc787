// SessionDirection: whether a session was created in this boot (outgoing: files can be
// preserved into it) or retrieved from the previous kernel (incoming: files can be
// retrieved from it and it can be finished). The kernel enforces the same split.
namespace LiveUpdate.Kernel;

public enum SessionDirection
{
    Outgoing,
    Incoming,
}
