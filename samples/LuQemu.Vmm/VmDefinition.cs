// VmDefinition: what the virtual machine is — RAM size, vCPUs, the kernel and initramfs it boots,
// its command line — and the QEMU arguments that follow from it. Both kernels' QEMUs must be
// started with the same definition (migration needs the same machine), so the definition
// travels across the kexec in the handover (VmHandover) and the next kernel's luqemu checks it.
namespace LuQemu;

public sealed record VmDefinition(int RamMib, int Cpus, string Kernel, string Initrd, string Append, string Qemu = VmDefinition.DebianQemu)
{
    /// <summary>Where Debian's qemu-system-x86 puts QEMU (it finds its modules and firmware relative to itself).</summary>
    public const string DebianQemu = "/usr/bin/qemu-system-x86_64";

    /// <summary>QEMU's arguments: RAM from the memfd QEMU has at descriptor <paramref name="ramDescriptor"/>, paused at start (-S).</summary>
    public IReadOnlyList<string> QemuArguments(int ramDescriptor, string qmpSocket, string consoleSocket, bool incoming) =>
    [
        "-nodefaults", "-no-user-config", "-display", "none", "-S",
        "-machine", "pc,accel=tcg,memory-backend=ram0", "-cpu", "max", "-smp", Cpus.ToString(),
        "-m", $"{RamMib}M",
        // share=on: QEMU maps the memfd MAP_SHARED, so the guest's RAM *is* the preserved memfd's pages.
        "-object", $"memory-backend-file,id=ram0,size={RamMib}M,mem-path=/proc/self/fd/{ramDescriptor},share=on",
        "-kernel", Kernel, "-initrd", Initrd, "-append", Append,
        "-chardev", $"socket,id=console,path={consoleSocket},server=on,wait=off", "-serial", "chardev:console",
        "-qmp", $"unix:{qmpSocket},server=on,wait=off",
        .. incoming ? (string[])["-incoming", "defer"] : [],
    ];
}
