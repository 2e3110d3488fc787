// VarlinkServiceErrors: the names of the standard errors of the org.varlink.service
// interface every Varlink service implements, plus the one error this implementation adds
// for a method handler that failed unexpectedly.
namespace LiveUpdate.Varlink;

public static class VarlinkServiceErrors
{
    /// <summary>Parameters: <c>interface</c>.</summary>
    public const string InterfaceNotFound = "org.varlink.service.InterfaceNotFound";

    /// <summary>Parameters: <c>method</c> (fully qualified).</summary>
    public const string MethodNotFound = "org.varlink.service.MethodNotFound";

    /// <summary>The interface declares the method but the service has no handler for it. Parameters: <c>method</c>.</summary>
    public const string MethodNotImplemented = "org.varlink.service.MethodNotImplemented";

    /// <summary>Parameters: <c>parameter</c> (its name; <see cref="FileDescriptorsParameter"/> for unwanted descriptors).</summary>
    public const string InvalidParameter = "org.varlink.service.InvalidParameter";

    public const string PermissionDenied = "org.varlink.service.PermissionDenied";

    /// <summary>The method streams its replies and must be called with <c>"more": true</c>.</summary>
    public const string ExpectedMore = "org.varlink.service.ExpectedMore";

    /// <summary>
    /// Not part of org.varlink.service: a method handler failed with an unexpected exception or
    /// returned without replying. Parameters: <c>message</c>.
    /// </summary>
    public const string InternalError = "io.liveupdate.varlink.InternalError";

    /// <summary>
    /// The pseudo parameter name an InvalidParameter error carries when a call brought file
    /// descriptors the method does not accept (they are closed, the method is not run).
    /// </summary>
    public const string FileDescriptorsParameter = "fileDescriptors";
}
