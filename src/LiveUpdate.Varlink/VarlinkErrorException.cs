// VarlinkErrorException: a Varlink error reply — an error name such as
// org.varlink.service.InvalidParameter and its parameters. The client throws it when a call
// fails; a method handler may throw it to answer its call with that error.
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

public sealed class VarlinkErrorException : VarlinkException
{
    public VarlinkErrorException(string errorName, JsonObject? parameters = null, string? method = null)
        : base(Describe(errorName, parameters, method))
    {
        ArgumentException.ThrowIfNullOrEmpty(errorName);
        ErrorName = errorName;
        Parameters = parameters ?? [];
        Method = method;
    }

    /// <summary>The fully qualified error name, e.g. <c>org.varlink.service.MethodNotFound</c>.</summary>
    public string ErrorName { get; }

    public JsonObject Parameters { get; }

    /// <summary>The method whose call failed, when known (client side).</summary>
    public string? Method { get; }

    /// <summary>For a handler: answers the call with InvalidParameter naming <paramref name="parameter"/>.</summary>
    public static VarlinkErrorException InvalidParameter(string parameter) =>
        new(VarlinkServiceErrors.InvalidParameter, new JsonObject { ["parameter"] = parameter });

    /// <summary>For a handler: answers the call with PermissionDenied.</summary>
    public static VarlinkErrorException PermissionDenied() => new(VarlinkServiceErrors.PermissionDenied);

    private static string Describe(string errorName, JsonObject? parameters, string? method)
    {
        string details = parameters is { Count: > 0 } ? " " + parameters.ToJsonString() : "";
        return method is null ? $"Varlink error {errorName}{details}" : $"{method} failed: {errorName}{details}";
    }
}
