// LuodProtocolException: luod's reply did not have the shape io.liveupdate declares (or was
// not Varlink at all) — usually luod and this client come from different LiveUpdate versions.
namespace LiveUpdate.Client.Errors;

public sealed class LuodProtocolException(string message, Exception? innerException = null)
    : LiveUpdateClientException(message, innerException: innerException);
