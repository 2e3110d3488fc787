// SystemdGuest: lu-guest when real systemd is PID 1 (the systemd scenarios; /init switched to
// the Debian root and lu-guest.service runs this hop). What those scenarios ask of systemd
// goes through its own tools — systemctl, busctl, journalctl — as an operator's would, and the
// run ends with an immediate reboot(2) (QEMU exits: -no-reboot) since no /init follows us.
using LiveUpdate.Guest.Scenarios;

namespace LiveUpdate.Guest;

public static class SystemdGuest
{
    /// <summary>True when systemd started this process as a service (it sets $INVOCATION_ID).</summary>
    public static bool IsUnderSystemd => Environment.GetEnvironmentVariable("INVOCATION_ID") is { Length: > 0 };

    /// <summary>Runs systemctl; fails with its output unless it exits 0.</summary>
    public static Task<string> SystemctlAsync(params string[] arguments) => RunOkAsync("systemctl", arguments);

    /// <summary>`systemctl show UNIT -p P1,P2...` as a dictionary.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ShowAsync(string unit, params string[] properties)
    {
        string output = await SystemctlAsync("show", unit, "-p", string.Join(',', properties));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2).ToDictionary(pair => pair[0], pair => pair[1]);
    }

    /// <summary>One property of PID 1's manager object over D-Bus (busctl's "TYPE VALUE" text), e.g. KExecsCount → "u 1".</summary>
    public static Task<string> ManagerPropertyAsync(string property) =>
        RunOkAsync("busctl", ["get-property", "org.freedesktop.systemd1", "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", property]);

    /// <summary>
    /// PID 1's count of kexecs it came through (v262), as "NAME TYPE VALUE": 262.1 names the D-Bus
    /// property KExecCount (its libsystemd-core), systemd's own LUO test KexecsCount, the issue
    /// KExecsCount; whichever this build has.
    /// </summary>
    public static async Task<string> KexecsCountAsync()
    {
        var problems = new List<string>();
        foreach (var name in new[] { "KExecCount", "KExecsCount", "KexecsCount" })
        {
            try { return $"{name} {await ManagerPropertyAsync(name)}"; }
            catch (InvalidOperationException error) { problems.Add(error.Message); }
        }
        throw new InvalidOperationException("systemd has no kexec count: " + string.Join("; ", problems));
    }

    /// <summary>The lines of the journal matching <paramref name="arguments"/> (journalctl -o cat --no-pager ...).</summary>
    public static async Task<IReadOnlyList<string>> JournalAsync(params string[] arguments)
    {
        var outcome = await GuestCommand.RunAsync("journalctl", ["--no-pager", "-o", "short-monotonic", .. arguments]);
        return outcome.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Runs <paramref name="program"/>; returns its trimmed output, or fails naming the command, exit code and output.</summary>
    public static async Task<string> RunOkAsync(string program, params string[] arguments)
    {
        var outcome = await GuestCommand.RunAsync(program, arguments);
        if (outcome.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {outcome.ExitCode}: {outcome.Combined.Trim()}");
        return outcome.Output.Trim();
    }

    /// <summary>Ends the run: sync and reboot(2) at once (`systemctl reboot --force --force`); QEMU exits.</summary>
    public static async Task PowerOffNowAsync()
    {
        await GuestCommand.RunAsync("systemctl", "reboot", "--force", "--force");
        await Task.Delay(TimeSpan.FromSeconds(30));
    }
}
