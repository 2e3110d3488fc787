// KhoDirectionState: one direction of the handover as debugfs shows it — kho/out (what this
// kernel will hand to the next one) or kho/in (what the previous kernel handed to this one):
// the root FDT's compatible ("kho-vN"), the preserved-memory-map address, root properties this
// reader does not know, the subtrees, and (outgoing) the scratch areas. FdtProblem says why the
// root FDT could not be read (absent, or damaged); the subtrees are then listed from sub_fdts/.
namespace LiveUpdate.Kernel.Handover;

public sealed record KhoDirectionState(
    string Directory,
    int? FdtFileLength,
    uint? FdtTotalSize,
    string? Compatible,
    bool? KnownKhoAbi,
    ulong? MemoryMapPhysicalAddress,
    IReadOnlyList<FdtProperty> OtherRootProperties,
    IReadOnlyList<FdtReservation> Reservations,
    string? FdtProblem,
    IReadOnlyList<KhoScratchArea> ScratchAreas,
    string? ScratchProblem,
    IReadOnlyList<KhoSubtree> Subtrees)
{
    public KhoSubtree? Subtree(string name) => Subtrees.FirstOrDefault(s => s.Name == name);
}
