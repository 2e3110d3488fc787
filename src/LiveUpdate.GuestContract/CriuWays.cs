// CriuWays: how criu-memcached carries the cache across the kernel change, and what the host and
// the guest tell each other through the cache itself (memcached keys): the host loads the items and
// verifies them after, over QEMU's port forward, as any client would; the guest waits for its keys.
namespace LiveUpdate.GuestContract;

/// <summary>criu-memcached's ways and the memcached keys the host and the guest signal each other with.</summary>
public static class CriuWays
{
    public const string Memory = "memory";
    public const string Disk = "disk";
    public const string Lucache = "lucache";
    public static readonly IReadOnlyList<string> All = [Memory, Disk, Lucache];
    /// <summary>Set by the host when its load is done (value: the item count).</summary>
    public const string LoadedKey = "lu:loaded";
    /// <summary>Set by the host after its verify (value: "COUNT VERIFIED MISSING WRONG").</summary>
    public const string VerifiedKey = "lu:verified";
    public const int Port = 11211;
    public const ulong Seed = 7;
    /// <summary>lucriu's participant name (and luod session) for memcached; lucache's is "cache".</summary>
    public const string MemcachedParticipant = "memcached";
    public const string LucacheParticipant = "cache";
}
