// ReferenceKernel: the side that hands state over — the running kernel (its release, config,
// command line, /boot image, what debugfs says it wrote to KHO, lockdown and memory) or, for
// offline qualification of a pair A → B, another kernel image A (then host facts are unknown).
using System.Globalization;
using LiveUpdate.Kernel;

namespace LiveUpdate.Preflight;

public sealed class ReferenceKernel
{
    private ReferenceKernel(string description, string? release, bool isRunningHost, KernelConfig? config, KernelImage? image)
    {
        Description = description;
        Release = release;
        IsRunningHost = isRunningHost;
        Config = config;
        Image = image;
    }

    public string Description { get; }

    public string? Release { get; }

    /// <summary>True for the running kernel; false for an image qualified offline.</summary>
    public bool IsRunningHost { get; }

    public KernelConfig? Config { get; }

    /// <summary>The reference kernel's image (--from, or /boot/vmlinuz-&lt;release&gt;), when there is one.</summary>
    public KernelImage? Image { get; }

    /// <summary>Why the running kernel's /boot image could not be used, when it could not.</summary>
    public string? ImageProblem { get; private init; }

    public KhoDebugfsState? Debugfs { get; private init; }

    public KernelCommandLine? CommandLine { get; private init; }

    /// <summary>The selected lockdown mode (none, integrity, confidentiality), null when unknown.</summary>
    public string? Lockdown { get; private init; }

    public ulong? MemTotalBytes { get; private init; }

    public int NumaNodes { get; private init; } = 1;

    public static ReferenceKernel FromImage(KernelImage image) =>
        new($"kernel image {image.Path} ({image.Release})", image.Release, isRunningHost: false, image.Config, image);

    public static ReferenceKernel FromRunningSystem(RunningSystemPaths? paths = null, IEnumerable<string>? handlers = null)
    {
        paths ??= new RunningSystemPaths();
        string? release = ReadTrimmed(paths.OsRelease);
        KernelConfig? config = null;
        try { config = KernelConfig.TryReadRunning(paths.Config); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException) { }

        KernelImage? image = null;
        string? imageProblem = null;
        string bootImage = Path.Combine(paths.BootDirectory, $"vmlinuz-{release}");
        if (release is null)
            imageProblem = $"{paths.OsRelease} could not be read";
        else if (!File.Exists(bootImage))
            imageProblem = $"{bootImage} does not exist";
        else
        {
            try { image = KernelImage.Read(bootImage, handlers); }
            catch (KernelImageException e) { imageProblem = e.Message; }
        }

        string? cmdline = ReadTrimmed(paths.CommandLine);
        return new ReferenceKernel($"running kernel {release ?? "(unknown release)"}", release, isRunningHost: true, config ?? image?.Config, image)
        {
            ImageProblem = imageProblem,
            Debugfs = KhoDebugfsState.TryRead(paths.KhoDebugfs),
            CommandLine = cmdline is null ? null : new KernelCommandLine(cmdline),
            Lockdown = ReadLockdown(paths.Lockdown),
            MemTotalBytes = ReadMemTotal(paths.MemInfo),
            NumaNodes = CountNodes(paths.NodeDirectory),
        };
    }

    /// <summary>"[none] integrity confidentiality" → "none".</summary>
    public static string? ParseLockdown(string text)
    {
        int open = text.IndexOf('['), close = text.IndexOf(']');
        return open >= 0 && close > open ? text[(open + 1)..close] : null;
    }

    private static string? ReadLockdown(string path) => ReadTrimmed(path) is { } text ? ParseLockdown(text) : null;

    private static ulong? ReadMemTotal(string path)
    {
        foreach (string line in (ReadTrimmed(path) ?? "").Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == "MemTotal:" && ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong kib))
                return kib * 1024;
        }
        return null;
    }

    internal static int CountNodes(string directory)
    {
        try
        {
            int count = Directory.Exists(directory)
                ? Directory.EnumerateDirectories(directory, "node*").Count(d => Path.GetFileName(d)[4..].All(char.IsAsciiDigit))
                : 0;
            return Math.Max(1, count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 1; }
    }

    private static string? ReadTrimmed(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
