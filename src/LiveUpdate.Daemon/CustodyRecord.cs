// CustodyRecord: a small file on tmpfs (/run/luod/custody.json) listing the sessions luod
// holds — owner, names, mode, files, state — with the boot id and luod's pid. If luod dies,
// the kernel unpreserves every session whose fds nobody else holds; the restarted luod
// reads the record, sees sessions it no longer holds in the same boot, and reports custody
// as lost instead of "not found". When systemd's fd store kept the fds, the record is what
// lets the restarted luod take the sessions back exactly as they were.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveUpdate.Daemon;

/// <summary>One session luod holds: what the catalog says of it, plus where it is in this boot.</summary>
public sealed record CustodyEntry(CatalogSession Session, CustodyState State, long RestoredNs);

public sealed record CustodyRecord(
    string BootId,
    int Pid,
    long WrittenNs,
    bool BootedByHandover,
    long CatalogGeneration,
    IReadOnlyList<CustodyEntry> Sessions)
{
    public const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    public static string CurrentBootId() =>
        File.Exists(BootIdPath) ? File.ReadAllText(BootIdPath).Trim() : "unknown";

    public static CustodyRecord? TryRead(string path)
    {
        try
        {
            return File.Exists(path)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(path), CustodyJson.Default.CustodyRecord)
                : null;
        }
        catch (JsonException) { return null; }
        catch (IOException) { return null; }
    }

    /// <summary>Writes atomically (temp file + rename) so a crash never leaves half a record.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, CustodyJson.Default.CustodyRecord));
        File.Move(temporary, path, overwrite: true);
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true)]
[JsonSerializable(typeof(CustodyRecord))]
internal sealed partial class CustodyJson : JsonSerializerContext;
