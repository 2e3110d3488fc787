// VmHandover: what luqemu leaves for the next kernel's luqemu beside the two memfds, as JSON in a
// third preserved memfd ("handover"): the VM's definition, when its vCPUs stopped (QMP STOP),
// how long the device state is, and — with --verify-ram — the RAM's SHA-256 taken after the stop.
// Version 1; a reader refuses a version it does not know rather than guess.
using System.Text.Json;
using System.Text.Json.Serialization;
using LiveUpdate.Kernel;

namespace LuQemu;

public sealed record VmHandover(int Version, VmDefinition Definition, DateTimeOffset StoppedAt, long StateBytes, string? RamSha256, string QemuVersion)
{
    public const int CurrentVersion = 1;

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, VmHandoverJson.Default.VmHandover);

    public static VmHandover Read(MemFd memfd)
    {
        var bytes = new byte[memfd.Size];
        int read = memfd.Read(bytes, 0);
        var handover = JsonSerializer.Deserialize(bytes.AsSpan(0, read), VmHandoverJson.Default.VmHandover)
            ?? throw new InvalidDataException("the VM handover is empty");
        if (handover.Version != CurrentVersion)
            throw new InvalidDataException($"the VM handover has version {handover.Version}; this luqemu reads version {CurrentVersion} only (run the luqemu that wrote it, or cold-boot the VM)");
        return handover;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VmHandover))]
internal sealed partial class VmHandoverJson : JsonSerializerContext;
