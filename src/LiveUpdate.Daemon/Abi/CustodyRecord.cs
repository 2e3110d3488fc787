// CustodyRecord: a small file on tmpfs (/run/luod/custody.json) listing the sessions luod
// holds — owner, names, mode, files, state — with the boot id and luod's pid. If luod dies,
// the kernel unpreserves every session whose fds nobody else holds; the restarted luod
// reads the record, sees sessions it no longer holds in the same boot, and reports custody
// as lost instead of "not found". When systemd's fd store kept the fds, the record is what
// lets the restarted luod take the sessions back exactly as they were. Part of the handover
// ABI (HandoverAbi.cs): a restarted luod may be a newer build than the one that wrote it.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LiveUpdate.Daemon.Abi;

/// <summary>Where a session luod holds is in its life (CustodySession has the meanings).</summary>
public enum CustodyState
{
    [JsonStringEnumMemberName("Open")] Open,
    [JsonStringEnumMemberName("Restored")] Restored,
    [JsonStringEnumMemberName("Claimed")] Claimed,
    [JsonStringEnumMemberName("Finished")] Finished,
    [JsonStringEnumMemberName("Orphaned")] Orphaned,
    [JsonStringEnumMemberName("Lost")] Lost,
}

/// <summary>One session luod holds: what the catalog says of it, plus where it is in this boot.</summary>
public sealed record CustodyEntry(
    [property: JsonPropertyName("session")] CatalogSession Session,
    [property: JsonPropertyName("state")] CustodyState State,
    [property: JsonPropertyName("restoredNs")] long RestoredNs);

public sealed record CustodyRecord(
    [property: JsonPropertyName("bootId")] string BootId,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("writtenNs")] long WrittenNs,
    [property: JsonPropertyName("bootedByHandover")] bool BootedByHandover,
    [property: JsonPropertyName("catalogGeneration")] long CatalogGeneration,
    [property: JsonPropertyName("sessions")] IReadOnlyList<CustodyEntry> Sessions)
{
    public const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>This boot's id, read once: it cannot change while the process runs, and a luod at its open-file limit must still be able to write its record.</summary>
    public static string CurrentBootId() => ThisBootId.Value;

    private static readonly Lazy<string> ThisBootId = new(() => File.Exists(BootIdPath) ? File.ReadAllText(BootIdPath).Trim() : "unknown");

    public static CustodyRecord? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? Decode(File.ReadAllBytes(path)) : null;
        }
        catch (JsonException) { return null; }
        catch (IOException) { return null; }
    }

    public static CustodyRecord? Decode(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, HandoverJson.Default.CustodyRecord);

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, HandoverJson.Default.CustodyRecord);

    /// <summary>Writes atomically (temp file + rename) so a crash never leaves half a record.</summary>
    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = path + ".tmp";
        File.WriteAllBytes(temporary, Encode());
        File.Move(temporary, path, overwrite: true);
    }
}
