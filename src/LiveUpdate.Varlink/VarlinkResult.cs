// VarlinkResult: a successful reply as the client hands it out — its parameters, whether
// more replies follow, and the file descriptors that came with it. Dispose it to close
// the descriptors you did not take.
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

public sealed class VarlinkResult(JsonObject parameters, bool continues, VarlinkFileDescriptors fileDescriptors) : IDisposable
{
    public JsonObject Parameters { get; } = parameters;

    /// <summary>More replies to the same call follow (streaming calls only).</summary>
    public bool Continues { get; } = continues;

    public VarlinkFileDescriptors FileDescriptors { get; } = fileDescriptors;

    public void Dispose() => FileDescriptors.Dispose();
}
