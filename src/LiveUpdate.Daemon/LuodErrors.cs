// LuodErrors: the io.liveupdate errors (see io.liveupdate.varlink), built in one place so
// every error name and its parameters match the interface definition clients read.
using System.Text.Json.Nodes;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Varlink;

namespace LiveUpdate.Daemon;

public static class LuodErrors
{
    public const string Interface = "io.liveupdate";

    public static VarlinkErrorException SessionNotFound(string session) =>
        Error("SessionNotFound", new() { ["session"] = session });

    public static VarlinkErrorException SessionExists(string session) =>
        Error("SessionExists", new() { ["session"] = session });

    public static VarlinkErrorException InvalidName(string name, string reason) =>
        Error("InvalidName", new() { ["name"] = name, ["reason"] = reason });

    public static VarlinkErrorException PermissionDenied(string reason) =>
        Error("PermissionDenied", new() { ["reason"] = reason });

    public static VarlinkErrorException QuotaExceeded(long limitBytes, long requestedBytes) =>
        Error("QuotaExceeded", new() { ["limitBytes"] = limitBytes, ["requestedBytes"] = requestedBytes });

    public static VarlinkErrorException UnsupportedFile(string reason) =>
        Error("UnsupportedFile", new() { ["reason"] = reason });

    public static VarlinkErrorException WrongState(string session, string state, string expected) =>
        Error("WrongState", new() { ["session"] = session, ["state"] = state, ["expected"] = expected });

    public static VarlinkErrorException CustodyLost(string session, string reason) =>
        Error("CustodyLost", new() { ["session"] = session, ["reason"] = reason });

    public static VarlinkErrorException MetadataTooLarge(long bytes, long limitBytes) =>
        Error("MetadataTooLarge", new() { ["bytes"] = bytes, ["limitBytes"] = limitBytes });

    public static VarlinkErrorException Kernel(LiveUpdateException error) =>
        Error("KernelError", new() { ["operation"] = error.Operation.ToString(), ["errno"] = error.Errno, ["message"] = error.Message });

    public static VarlinkErrorException UpdateInProgress(string updateId, string phase) =>
        Error("UpdateInProgress", new() { ["updateId"] = updateId, ["phase"] = phase });

    public static VarlinkErrorException PreflightFailed(IEnumerable<string> findings) =>
        Error("PreflightFailed", new() { ["findings"] = new JsonArray([.. findings.Select(f => (JsonNode)f)]) });

    public static VarlinkErrorException UpdateCancelled(string updateId, string reason) =>
        Error("UpdateCancelled", new() { ["updateId"] = updateId, ["reason"] = reason });

    public static VarlinkErrorException NoUpdateInProgress(string reason) =>
        Error("NoUpdateInProgress", new() { ["reason"] = reason });

    private static VarlinkErrorException Error(string name, JsonObject parameters) => new($"{Interface}.{name}", parameters);
}
