// Kexec: loads the next kernel with kexec_file_load (the in-kernel loader, the only one
// KHO works with) and jumps into it with reboot(LINUX_REBOOT_CMD_KEXEC). Between the two,
// every LUO session whose fd is still open is serialized and handed over.
using System.Runtime.InteropServices;
using System.Text;
using LiveUpdate.Kernel.Errors;
using LiveUpdate.Kernel.Interop;

namespace LiveUpdate.Kernel;

public static unsafe class Kexec
{
    private const nint KEXEC_FILE_UNLOAD = 0x1;
    private const nint KEXEC_FILE_NO_INITRAMFS = 0x4;

    public const string LoadedFlagPath = "/sys/kernel/kexec_loaded";

    /// <summary>Loads <paramref name="kernel"/> (a bzImage) with an optional initrd and the given command line.</summary>
    public static void Load(SafeHandle kernel, SafeHandle? initrd, string commandLine, string kernelDescription = "kernel image")
    {
        byte[] cmdline = Encoding.ASCII.GetBytes(commandLine + "\0");
        bool kernelRef = false, initrdRef = false;
        kernel.DangerousAddRef(ref kernelRef);
        try
        {
            initrd?.DangerousAddRef(ref initrdRef);
            nint initrdFd = initrd is null ? -1 : initrd.DangerousGetHandle();
            nint flags = initrd is null ? KEXEC_FILE_NO_INITRAMFS : 0;
            fixed (byte* cmdlinePtr = cmdline)
            {
                long result = LibC.Syscall5(LibC.SYS_kexec_file_load, kernel.DangerousGetHandle(), initrdFd,
                    cmdline.Length, (nint)cmdlinePtr, flags);
                if (result < 0)
                    throw ErrnoTranslator.Translate(KernelOperation.KexecLoad, LibC.LastErrno, kernelDescription);
            }
        }
        finally
        {
            if (initrdRef) initrd!.DangerousRelease();
            if (kernelRef) kernel.DangerousRelease();
        }
    }

    /// <summary>Loads a kernel and initrd from files.</summary>
    public static void Load(string kernelPath, string? initrdPath, string commandLine)
    {
        using var kernel = KexecImageFile.Open(kernelPath, KexecFileRole.Kernel);
        using var initrd = initrdPath is null ? null : KexecImageFile.Open(initrdPath, KexecFileRole.Initrd);
        Load(kernel, initrd, commandLine, kernelPath);
    }

    /// <summary>Unloads a loaded kexec image.</summary>
    public static void Unload()
    {
        long result = LibC.Syscall5(LibC.SYS_kexec_file_load, -1, -1, 0, 0, KEXEC_FILE_UNLOAD);
        if (result < 0)
            throw ErrnoTranslator.Translate(KernelOperation.KexecUnload, LibC.LastErrno, "loaded kexec image");
    }

    /// <summary>Whether a kexec image is loaded (/sys/kernel/kexec_loaded).</summary>
    public static bool IsLoaded(string flagPath = LoadedFlagPath) =>
        File.Exists(flagPath) && File.ReadAllText(flagPath).Trim() == "1";

    /// <summary>Syncs filesystems and boots the loaded kernel. Returns only on failure.</summary>
    public static void RebootIntoLoadedKernel()
    {
        if (!IsLoaded())
            throw new KexecLoadException(KernelOperation.RebootKexec, 0,
                "No kernel is loaded for kexec; load one first (kexec_file_load) — rebooting now would do nothing.");
        LibC.Sync();
        if (LibC.Reboot(LibC.LINUX_REBOOT_CMD_KEXEC) < 0)
            throw ErrnoTranslator.Translate(KernelOperation.RebootKexec, LibC.LastErrno, "reboot(LINUX_REBOOT_CMD_KEXEC)");
    }
}
