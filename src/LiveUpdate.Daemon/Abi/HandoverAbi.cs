// HandoverAbi: what one luod leaves for the next — the catalog (a memfd in luod's own LUO
// session, read by the next kernel's luod) and the custody record (/run/luod/custody.json,
// read by a restarted luod of the same boot). The types of this namespace are that format
// and nothing else: they reference no Telemetry or Kernel type, so a rename there cannot
// change the bytes; their JSON names are spelled out, not derived from C# names.
//
// Versioning rule (as the kernel's include/linux/kho/abi/luo.h): this interface is a
// contract between two builds of luod that never run together. Any change of the bytes —
// a field added, removed, renamed or retyped, an enum value spelled differently, the header
// changed — requires incrementing CatalogFormat.CurrentVersion and keeping a reader for the
// previous version in CatalogReader, so the luod of the next kernel still reads what the
// luod of this one wrote. The golden samples in tests/LiveUpdate.Daemon.Tests/Golden hold
// every version's bytes; they are never regenerated.
namespace LiveUpdate.Daemon.Abi;

public static class HandoverAbi
{
    /// <summary>The catalog format this luod writes; CatalogReader reads it and every version it lists.</summary>
    public const int CatalogVersion = CatalogFormat.CurrentVersion;
}
