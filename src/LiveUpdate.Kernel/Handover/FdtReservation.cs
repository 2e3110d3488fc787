// FdtReservation: one entry of a flattened device tree's memory reservation map (a physical
// range the next kernel must not use). KHO writes none; shown when present.
namespace LiveUpdate.Kernel.Handover;

public sealed record FdtReservation(ulong Address, ulong Size);
