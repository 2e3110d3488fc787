// VarlinkReceivedMessage: one message read from a Varlink connection — its JSON object and
// the file descriptors that belong to it. Dispose it to close the descriptors not taken.
using System.Text.Json.Nodes;

namespace LiveUpdate.Varlink;

public sealed class VarlinkReceivedMessage(JsonObject body, VarlinkFileDescriptors fileDescriptors) : IDisposable
{
    public JsonObject Body { get; } = body;

    public VarlinkFileDescriptors FileDescriptors { get; } = fileDescriptors;

    public void Dispose() => FileDescriptors.Dispose();
}
