// KhoScratchArea: one KHO scratch area (kho/out/scratch_phys and scratch_len, one hex line per
// area): physically contiguous memory the next kernel boots in and allocates from until it has
// read the handover, so nothing it does early can land on preserved pages. Reserved at cold
// boot (kho_scratch=), inherited unchanged across kexecs.
namespace LiveUpdate.Kernel.Handover;

public sealed record KhoScratchArea(int Index, ulong PhysicalAddress, ulong Length);
