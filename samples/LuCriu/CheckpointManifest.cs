// CheckpointManifest: what lucriu preserves beside criu's images, as one more memfd
// (lucriu-manifest.json): which program was dumped, how, and every image's name and length,
// so restore checks it got back exactly what was dumped. JSON, source-generated (AOT-safe).
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LuCriu;

internal sealed record CheckpointManifest(
    int FormatVersion,
    string Name,
    int Pid,
    IReadOnlyList<string> Cmdline,
    IReadOnlyList<string> CriuArguments,
    string? CriuRoot,
    DateTimeOffset DumpedAt,
    IReadOnlyList<ManifestImage> Images,
    ManifestTimings Timings)
{
    public const int CurrentFormatVersion = 1;

    /// <summary>The manifest's file name in the session (criu's own files end in .img, or are logs and stats).</summary>
    public const string FileName = "lucriu-manifest.json";

    /// <summary>The session's metadata, shown by `luoctl sessions`.</summary>
    public static readonly byte[] SessionMetadata = System.Text.Encoding.UTF8.GetBytes($"lucriu checkpoint, manifest format {CurrentFormatVersion}");

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJsonContext.Default.CheckpointManifest);

    /// <summary>Reads a manifest; throws <see cref="CheckpointDamagedException"/> when it is not one this lucriu understands.</summary>
    public static CheckpointManifest FromJson(ReadOnlySpan<byte> json)
    {
        CheckpointManifest? manifest;
        try { manifest = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.CheckpointManifest); }
        catch (JsonException error) { throw new CheckpointDamagedException($"{FileName} is not a lucriu manifest: {error.Message}"); }
        if (manifest is null) throw new CheckpointDamagedException($"{FileName} is empty (null)");
        if (manifest.FormatVersion != CurrentFormatVersion)
            throw new CheckpointDamagedException($"{FileName} has format version {manifest.FormatVersion}; this lucriu reads version {CurrentFormatVersion}");
        foreach (var image in manifest.Images)
        {
            if (image.Name is null || image.Name.Length == 0 || image.Name is "." or ".." || image.Name.Contains('/') || image.Name == FileName)
                throw new CheckpointDamagedException($"{FileName} names an image '{image.Name}', which is not a plain file name");
        }
        return manifest;
    }
}

internal sealed record ManifestImage(string Name, long Length);

/// <summary>The freeze's steps: criu dump, copying into memfds, and the bytes copied.</summary>
internal sealed record ManifestTimings(double DumpMs, double CopyMs, long Bytes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(CheckpointManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

/// <summary>The claimed session is not a checkpoint lucriu can restore (no manifest, a missing or resized image).</summary>
internal sealed class CheckpointDamagedException(string message) : Exception(message);
