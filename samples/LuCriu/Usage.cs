// Usage: lucriu's help texts (`lucriu --help`, `lucriu keep --help`, `lucriu restore --help`),
// with the exit codes scripts and the VM scenario rely on.
namespace LuCriu;

internal static class Usage
{
    public const string Overview = """
        lucriu: carries an unmodified program across a kernel live update with CRIU; criu's image
        files are kept in memfds that luod preserves through the kexec (RAM only, no disk).

        usage:
          lucriu keep    --name NAME --pid PID [--criu-root DIR] [--criu PATH] [--work DIR] [--luod-socket PATH] [--criu-arg ARG]...
          lucriu restore --name NAME [--criu-root DIR] [--criu PATH] [--work DIR] [--luod-socket PATH] [--criu-arg ARG]... [--no-resumed]
          lucriu keep --help | lucriu restore --help

        Every timed step prints one line: `lucriu: <step>: <ms> ms[, <details>]`
        (steps prepare, dump, copy-into-memfds, manifest, resume; claim, copy-back, restore, resumed, finish).
        """;

    private const string Common = """
          --name NAME          luod participant and managed session name
          --criu PATH          criu to run (default /usr/sbin/criu)
          --criu-root DIR      run criu as `chroot DIR PATH ...` (criu of a distribution root with a newer libc; the
                               program runs chrooted in DIR too). --work is then a path inside DIR, which lucriu
                               reaches as DIR/<work>
          --work DIR           work directory (default /run/lucriu/NAME); images go to DIR/images. Put it on tmpfs:
                               the images pass through it on their way into memfds (a warning says when statfs
                               finds another file system)
          --luod-socket PATH   luod's socket (default $LUOD_SOCKET or /run/luod/io.liveupdate)
          --criu-arg ARG       one more argument for criu, after lucriu's own (repeat it), e.g.
                               --criu-arg --tcp-established --criu-arg --shell-job
        """;

    public const string Keep = """
        lucriu keep --name NAME --pid PID [options]

        Takes part in luod's live updates as participant NAME and stays until SIGTERM/SIGINT.
          prepare  PID must exist; session NAME is created (one left open in this boot is released; one
                   from the previous boot that was not restored refuses the update); images dir emptied
          freeze   criu dump -t PID -D <work>/images -o dump.log -v2 --leave-stopped [criu-args]; then every
                   image file into a memfd of its own, preserved in the session, and deleted from the work
                   dir right after; lucriu-manifest.json (program, criu arguments, files, timings) last.
                   A failed dump refuses the update (criu's exit code and the last lines of dump.log are
                   the reason luod reports); criu resumes the program. At most 252 images (253 files).
          resume   the update was cancelled: SIGCONT to the stopped program (every process of its tree),
                   the session released, the images deleted (dump.log kept in the work dir)

        options:
          --pid PID            the program to carry (criu dumps it and its children)

        """ + Common + "\n" + """

        exit codes: 0 stopped by SIGTERM/SIGINT, 2 usage, 3 PID does not exist or is lucriu, 4 luod unreachable
        """;

    public const string Restore = """
        lucriu restore --name NAME [options]

        In the next kernel: claims session NAME, copies each image back into <work>/images, runs
        criu restore -D <work>/images -d -o restore.log -v2 [criu-args], tells luod the participant
        resumed (the end of its blackout), finishes the session and deletes the images (restore.log
        is kept in the work dir). Use the same --work, --criu-root and --criu-arg values as keep.

        options:
          --no-resumed         do not call luod's Resumed (someone else reports the end of the blackout)

        """ + Common + "\n" + """

        exit codes:
          0  restored, session finished
          1  the images could not be written back (work dir); session kept, run again
          2  usage
          3  criu restore failed (log tail printed); session kept (claimed, not finished) and the images left
             in <work>/images: fix the cause and run the same command again
          4  luod unreachable, or no session NAME to claim
          5  the session is not a lucriu checkpoint (no manifest, a missing or resized image); session kept
          6  restored, but luod could not finish the session (do not restore again; `luoctl finish`)
        """;
}
