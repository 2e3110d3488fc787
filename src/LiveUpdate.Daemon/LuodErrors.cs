// LuodErrors: the io.liveupdate errors luod answers with, as VarlinkErrorExceptions built
// from the generated error records (LiveUpdate.Protocol), so every error's name and
// parameters are the ones io.liveupdate.varlink declares.
using System.Text.Json.Serialization.Metadata;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Protocol;
using LiveUpdate.Varlink;
using Names = LiveUpdate.Protocol.LiveUpdateProtocol.Errors;

namespace LiveUpdate.Daemon;

public static class LuodErrors
{
    private static LiveUpdateProtocolJson Json => LiveUpdateProtocolJson.Default;

    public static VarlinkErrorException SessionNotFound(string session) =>
        Error(Names.SessionNotFound, new SessionNotFoundError { Session = session }, Json.SessionNotFoundError);

    public static VarlinkErrorException SessionExists(string session) =>
        Error(Names.SessionExists, new SessionExistsError { Session = session }, Json.SessionExistsError);

    public static VarlinkErrorException InvalidName(string name, string reason) =>
        Error(Names.InvalidName, new InvalidNameError { Name = name, Reason = reason }, Json.InvalidNameError);

    public static VarlinkErrorException PermissionDenied(string reason) =>
        Error(Names.PermissionDenied, new PermissionDeniedError { Reason = reason }, Json.PermissionDeniedError);

    public static VarlinkErrorException QuotaExceeded(long limitBytes, long requestedBytes) =>
        Error(Names.QuotaExceeded, new QuotaExceededError { LimitBytes = limitBytes, RequestedBytes = requestedBytes }, Json.QuotaExceededError);

    public static VarlinkErrorException UnsupportedFile(string reason) =>
        Error(Names.UnsupportedFile, new UnsupportedFileError { Reason = reason }, Json.UnsupportedFileError);

    public static VarlinkErrorException WrongState(string session, string state, string expected) =>
        Error(Names.WrongState, new WrongStateError { Session = session, State = state, Expected = expected }, Json.WrongStateError);

    public static VarlinkErrorException CustodyLost(string session, string reason) =>
        Error(Names.CustodyLost, new CustodyLostError { Session = session, Reason = reason }, Json.CustodyLostError);

    public static VarlinkErrorException MetadataTooLarge(long bytes, long limitBytes) =>
        Error(Names.MetadataTooLarge, new MetadataTooLargeError { Bytes = bytes, LimitBytes = limitBytes }, Json.MetadataTooLargeError);

    public static VarlinkErrorException Kernel(LiveUpdateException error) =>
        Error(Names.KernelError, new KernelError { Operation = error.Operation.ToString(), Errno = error.Errno, Message = error.Message }, Json.KernelError);

    /// <summary>
    /// CreateSession: the kernel made the session but luod could not record it (its custody record or catalog write
    /// failed), so it was undone. At luod's open-file limit the message explains that limit (FileErrors).
    /// </summary>
    public static VarlinkErrorException CustodyRecordUnwritable(string session, string recordPath, Exception error) =>
        Kernel(FileErrors.Translate(LiveUpdate.Kernel.KernelOperation.CreateSession, error,
            $"session '{session}' was not created: luod could not record it in {recordPath} ({error.Message}); nothing was kept",
            $"Check that {System.IO.Path.GetDirectoryName(recordPath)} is a writable directory on a tmpfs with free space, then create it again."));

    public static VarlinkErrorException UpdateInProgress(string updateId, string phase) =>
        Error(Names.UpdateInProgress, new UpdateInProgressError { UpdateId = updateId, Phase = phase }, Json.UpdateInProgressError);

    public static VarlinkErrorException PreflightFailed(IEnumerable<string> findings) =>
        Error(Names.PreflightFailed, new PreflightFailedError { Findings = [.. findings] }, Json.PreflightFailedError);

    public static VarlinkErrorException UpdateCancelled(string updateId, string reason) =>
        Error(Names.UpdateCancelled, new UpdateCancelledError { UpdateId = updateId, Reason = reason }, Json.UpdateCancelledError);

    public static VarlinkErrorException NoUpdateInProgress(string reason) =>
        Error(Names.NoUpdateInProgress, new NoUpdateInProgressError { Reason = reason }, Json.NoUpdateInProgressError);

    public static VarlinkErrorException InvalidParameter(string parameter, string reason) =>
        Error(Names.InvalidParameter, new InvalidParameterError { Parameter = parameter, Reason = reason }, Json.InvalidParameterError);

    private static VarlinkErrorException Error<T>(string name, T parameters, JsonTypeInfo<T> typeInfo) =>
        new(name, VarlinkParameters.From(parameters, typeInfo));
}
