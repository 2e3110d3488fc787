// VarlinkServiceInterface: org.varlink.service, the interface every Varlink service
// implements — GetInfo (who the service is and which interfaces it offers) and
// GetInterfaceDescription (the definition text of one of them), with the standard errors.
// The definition text is the one of the Varlink specification (varlink.org).
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

internal static class VarlinkServiceInterface
{
    public const string Name = "org.varlink.service";

    public const string Description = """
        # The Varlink Service Interface is provided by every varlink service. It
        # describes the service and the interfaces it implements.
        interface org.varlink.service

        # Get a list of all the interfaces a service provides and information
        # about the implementation.
        method GetInfo() -> (
          vendor: string,
          product: string,
          version: string,
          url: string,
          interfaces: []string
        )

        # Get the description of an interface that is implemented by this service.
        method GetInterfaceDescription(interface: string) -> (description: string)

        # The requested interface was not found.
        error InterfaceNotFound (interface: string)

        # The requested method was not found
        error MethodNotFound (method: string)

        # The interface defines the requested method, but the service does not
        # implement it.
        error MethodNotImplemented (method: string)

        # One of the passed parameters is invalid.
        error InvalidParameter (parameter: string)

        # Client is denied access
        error PermissionDenied ()

        # Method is expected to be called with 'more' set to true, but wasn't
        error ExpectedMore ()

        """;

    public static VarlinkInterface Create(VarlinkServer server) =>
        new VarlinkInterface(Description)
            .AddMethod("GetInfo", call =>
            {
                var interfaces = new JsonArray([.. server.InterfaceNames.Select(name => (JsonNode)name)]);
                return call.ReplyAsync(new JsonObject
                {
                    ["vendor"] = server.Info.Vendor,
                    ["product"] = server.Info.Product,
                    ["version"] = server.Info.Version,
                    ["url"] = server.Info.Url,
                    ["interfaces"] = interfaces,
                });
            })
            .AddMethod("GetInterfaceDescription", call =>
            {
                if (!call.Parameters.TryGetPropertyValue("interface", out var node) || node is not JsonValue value
                    || !value.TryGetValue(out string? name))
                    throw VarlinkErrorException.InvalidParameter("interface");
                if (server.FindInterface(name) is not { } found)
                    throw new VarlinkErrorException(VarlinkServiceErrors.InterfaceNotFound, new JsonObject { ["interface"] = name });
                return call.ReplyAsync(new JsonObject { ["description"] = found.Description });
            });
}
