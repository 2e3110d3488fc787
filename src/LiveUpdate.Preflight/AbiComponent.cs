// AbiComponent: one party to the handover whose serialized format is versioned by a
// compatibility string "<name>-v<N>" in the kernel source: KHO (KHO_FDT_COMPATIBLE "kho-v4",
// include/linux/kho/abi/kexec_handover.h), LUO (LUO_ABI_COMPATIBLE "luo-v5", .../kho/abi/luo.h)
// and each LUO file handler (MEMFD_LUO_FH_COMPATIBLE "memfd-v2", .../kho/abi/memfd.h).
namespace LiveUpdate.Preflight;

public enum AbiRole
{
    /// <summary>Kexec HandOver: a mismatch makes the next kernel ignore the whole handover.</summary>
    Kho,

    /// <summary>Live Update Orchestrator: a mismatch panics the next kernel (luo_restore_fail).</summary>
    Luo,

    /// <summary>A LUO file handler: a mismatch fails session retrieval on /dev/liveupdate with EIO.</summary>
    FileHandler,
}

public sealed record AbiComponent(string Name, AbiRole Role)
{
    public static readonly AbiComponent Kho = new("kho", AbiRole.Kho);
    public static readonly AbiComponent Luo = new("luo", AbiRole.Luo);

    public static AbiComponent Handler(string kind) => new(kind.Trim().ToLowerInvariant(), AbiRole.FileHandler);

    public string Display => Role switch
    {
        AbiRole.Kho => "KHO",
        AbiRole.Luo => "LUO",
        _ => $"{Name} file handler",
    };
}
