// FuzzTargets: the name of every fuzz target (fuzz/corpus/<name>/ holds its seeds) and the entry point it runs.
namespace LiveUpdate.Fuzzing;

public static class FuzzTargets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>
    {
        ["varlink-framing"] = VarlinkFramingTarget.Run,
        ["protocol-parameters"] = ProtocolParametersTarget.Run,
        ["daemon-abi"] = DaemonAbiTarget.Run,
        ["preflight"] = PreflightTarget.Run,
        ["telemetry"] = TelemetryTarget.Run,
        ["lucache-text"] = LuCacheTextTarget.Run,
        ["kho-handover"] = KhoHandoverTarget.Run,
    };
}
