// VarlinkResult: a successful reply as the client hands it out — its parameters, whether
// more replies follow, and the file descriptors that came with it. Dispose it to close
// the descriptors you did not take.
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace LiveUpdate.Varlink;

public sealed class VarlinkResult(JsonObject parameters, bool continues, VarlinkFileDescriptors fileDescriptors) : IDisposable
{
    public JsonObject Parameters { get; } = parameters;

    /// <summary>More replies to the same call follow (streaming calls only).</summary>
    public bool Continues { get; } = continues;

    public VarlinkFileDescriptors FileDescriptors { get; } = fileDescriptors;

    /// <summary>The parameters as a <typeparamref name="T"/>; a reply that does not fit throws <see cref="VarlinkProtocolException"/> naming the field.</summary>
    public T ReadParameters<T>(JsonTypeInfo<T> typeInfo) =>
        VarlinkParameters.TryRead(Parameters, typeInfo, out var value, out string? bad) ? value
            : throw new VarlinkProtocolException($"The reply's parameter '{bad}' is missing or does not have the type {typeof(T).Name} declares.");

    public void Dispose() => FileDescriptors.Dispose();
}
