// LiveUpdateProtocol.Description: the text of io.liveupdate.varlink, embedded in this
// assembly — what luod answers to org.varlink.service.GetInterfaceDescription, and the
// file the rest of this project is generated from, so the two cannot drift apart.
namespace LiveUpdate.Protocol;

public static partial class LiveUpdateProtocol
{
    /// <summary>The interface definition, verbatim.</summary>
    public static string Description { get; } = ReadDescription();

    private static string ReadDescription()
    {
        using var stream = typeof(LiveUpdateProtocol).Assembly.GetManifestResourceStream("io.liveupdate.varlink")
            ?? throw new InvalidOperationException("io.liveupdate.varlink is not embedded in LiveUpdate.Protocol");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
