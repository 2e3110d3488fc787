// LuoctlExitCodes: every exit code luoctl returns, in one place, each with what it means.
// Scripts and kured (which runs `luoctl update` as its --reboot-command and retries later on
// any non-zero code) tell the outcomes apart by these numbers, so each outcome has its own
// and a number never means two things. `luoctl update --help` and docs/kured.md print this table.
namespace LiveUpdate.Cli;

internal static class LuoctlExitCodes
{
    /// <summary>Done (for `update`: never seen — on success the kernel is replaced and luoctl does not return).</summary>
    public const int Success = 0;

    /// <summary>Anything else went wrong (a local file, the kernel); the message says what.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage: a missing, unknown or conflicting option. Nothing was done.</summary>
    public const int Usage = 2;

    /// <summary>luod refused the request with an io.liveupdate error (printed with its parameters).</summary>
    public const int LuodRefused = 3;

    /// <summary>luod cannot be reached at its socket (not running, wrong --socket, or gone mid-call).</summary>
    public const int LuodUnreachable = 4;

    /// <summary>`report`: luod has no live update on record yet.</summary>
    public const int NoReport = 5;

    /// <summary>`status`: this machine cannot do a live update now (each missing piece is printed with its fix).</summary>
    public const int NotReady = 6;

    /// <summary>`check`: GO, with warnings to read.</summary>
    public const int GoWithWarnings = 10;

    /// <summary>NO-GO: the next kernel cannot take over this one's state (`check`, `update`, `reboot-required`). Nothing staged, no reboot.</summary>
    public const int NoGo = 11;

    /// <summary>A kernel image cannot be read (`check`, `reboot-required`; `update` reports it as NO-GO, 11).</summary>
    public const int UnreadableImage = 12;

    /// <summary>`update`: cancelled before the reboot — by the operator (`luoctl cancel`), a participant's refusal or timeout, or the kernel refusing to load the image. Everyone resumed, nothing staged, no reboot.</summary>
    public const int UpdateCancelled = 13;

    /// <summary>`update`: luod said it was rebooting, yet this kernel is still running (the reboot call returned). No kexec happened.</summary>
    public const int RebootReturned = 14;

    /// <summary>Each code, its name and meaning, in order: the table `luoctl update --help` prints and docs/kured.md shows.</summary>
    public static readonly IReadOnlyList<(int Code, string Name, string Meaning)> Table =
    [
        (Success, "success", "done; for update never seen: on success the kernel is replaced and luoctl does not return"),
        (Failed, "failed", "anything else (a local file, the kernel); the message says what"),
        (Usage, "usage", "bad usage: a missing, unknown or conflicting option; nothing was done"),
        (LuodRefused, "luod-refused", "luod refused with an io.liveupdate error (printed with its parameters)"),
        (LuodUnreachable, "luod-unreachable", "luod cannot be reached at its socket (not running, wrong --socket, gone mid-call)"),
        (NoReport, "no-report", "report: luod has no live update on record yet"),
        (NotReady, "not-ready", "status: this machine cannot do a live update now"),
        (GoWithWarnings, "go-with-warnings", "check: GO, with warnings to read"),
        (NoGo, "no-go", "NO-GO: the next kernel cannot take over this one's state; nothing staged, no reboot"),
        (UnreadableImage, "unreadable-image", "a kernel image cannot be read (check, reboot-required; update says NO-GO)"),
        (UpdateCancelled, "cancelled", "update cancelled before the reboot (operator, participant refusal or timeout, kexec load refused); everyone resumed, no reboot"),
        (RebootReturned, "reboot-returned", "update: luod said it was rebooting, yet this kernel still runs; no kexec happened"),
    ];

    /// <summary>The table as help text: one "  N  name  meaning" line per code.</summary>
    public static string HelpText() =>
        "Exit codes (docs/kured.md):\n" + string.Join("\n", Table.Select(row => $"  {row.Code,2}  {row.Name,-16}  {row.Meaning}"));
}
