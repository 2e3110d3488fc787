// FakeCriu: a stand-in for criu (which cannot run on this host: Debian 12's criu 3.17 fails on
// kernels >= 6.13), written as a bash script into a temporary directory and given to lucriu
// with --criu. Its dump checks it got --leave-stopped, writes image files (one of 8 MiB,
// several small, an empty one, dump.log), SIGSTOPs the program as --leave-stopped leaves it, and
// records each file's SHA-256 outside the images directory; its restore checks every file is
// back byte for byte. Its behaviour (Mode) is read from a file at each run, so a test can
// switch it between runs.
using System.Diagnostics;

namespace LuCriu.Tests;

internal enum FakeCriuMode { Works, DumpFails, RestoreFails, ManyImages }

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class FakeCriu : IDisposable
{
    /// <param name="workOnTmpfs">The work directory on /dev/shm (tmpfs: lucriu adopts the images without copying) instead of beside the script.</param>
    public FakeCriu(FakeCriuMode mode = FakeCriuMode.Works, int extraImages = 0, bool workOnTmpfs = false)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"lucriu-test-{Guid.NewGuid():N}");
        StateDirectory = Path.Combine(Directory, "state");
        WorkDirectory = workOnTmpfs ? Path.Combine("/dev/shm", $"lucriu-test-{Guid.NewGuid():N}") : Path.Combine(Directory, "work");
        System.IO.Directory.CreateDirectory(StateDirectory);
        ScriptPath = Path.Combine(Directory, "criu");
        File.WriteAllText(ScriptPath, Script.Replace("@STATE@", StateDirectory).Replace("@EXTRA@", extraImages.ToString()));
        File.SetUnixFileMode(ScriptPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Mode = mode;
    }

    public string Directory { get; }

    /// <summary>Where the fake keeps what it saw (outside the images): its arguments, the SHA-256 list, markers.</summary>
    public string StateDirectory { get; }

    /// <summary>A work directory for lucriu (--work).</summary>
    public string WorkDirectory { get; }

    public string ScriptPath { get; }

    public FakeCriuMode Mode
    {
        set => File.WriteAllText(Path.Combine(StateDirectory, "mode"), value switch
        {
            FakeCriuMode.Works => "works",
            FakeCriuMode.DumpFails => "dump-fails",
            FakeCriuMode.RestoreFails => "restore-fails",
            FakeCriuMode.ManyImages => "many-images",
            _ => throw new ArgumentOutOfRangeException(nameof(value)),
        });
    }

    public bool Dumped => File.Exists(Path.Combine(StateDirectory, "dumped"));

    public bool Restored => File.Exists(Path.Combine(StateDirectory, "restored"));

    /// <summary>The arguments criu was given for <paramref name="action"/> (dump or restore), after the action.</summary>
    public IReadOnlyList<string> Arguments(string action) => File.ReadAllLines(Path.Combine(StateDirectory, $"{action}.args")).Skip(1).ToArray();

    /// <summary>"sha256  name" lines of every file the dump wrote.</summary>
    public IReadOnlyList<string> DumpedSums => File.ReadAllLines(Path.Combine(StateDirectory, "sums"));

    /// <summary>The file names restore found in its images directory (before it wrote restore.log).</summary>
    public IReadOnlyList<string> RestoredFiles => File.ReadAllLines(Path.Combine(StateDirectory, "restore-files"));

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        try { if (System.IO.Directory.Exists(WorkDirectory)) System.IO.Directory.Delete(WorkDirectory, recursive: true); } catch (IOException) { }
    }

    private const string Script = """
        #!/bin/bash
        # fake criu for lucriu's tests
        set -u
        state='@STATE@'
        extra=@EXTRA@
        mode=$(cat "$state/mode")
        action="$1"
        printf '%s\n' "$@" > "$state/$action.args"
        shift
        pid=''; images=''; log=''; leave_stopped=no
        while [ $# -gt 0 ]; do
          case "$1" in
            -t) pid="$2"; shift 2;;
            -D) images="$2"; shift 2;;
            -o) log="$2"; shift 2;;
            --leave-stopped) leave_stopped=yes; shift;;
            *) shift;;
          esac
        done
        [ -d "$images" ] || { echo "fake criu: no images directory '$images'" >&2; exit 65; }
        case "$action" in
        dump)
          if [ "$leave_stopped" != yes ]; then echo "fake criu: dump without --leave-stopped" > "$images/$log"; exit 9; fi
          [ -d "/proc/$pid" ] || { echo "fake criu: no pid $pid" > "$images/$log"; exit 8; }
          if [ "$mode" = dump-fails ]; then
            for i in $(seq 1 30); do echo "(00.00$i) fake criu: dump log line $i" >> "$images/$log"; done
            echo "Error (criu/cr-dump.c:2100): fake dump failure for pid $pid" >> "$images/$log"
            exit 1
          fi
          head -c 8388608 /dev/urandom > "$images/pages-1.img"
          for f in inventory.img "core-$pid.img" "mm-$pid.img" "pagemap-$pid.img" fdinfo-2.img files.img pstree.img; do
            head -c $((RANDOM % 6000 + 1)) /dev/urandom > "$images/$f"
          done
          : > "$images/empty.img"
          if [ "$mode" = many-images ]; then
            for i in $(seq 1 "$extra"); do echo "image $i" > "$images/extra-$i.img"; done
          fi
          kill -STOP "$pid"
          echo "Dumping finished successfully" > "$images/$log"
          (cd "$images" && sha256sum -- * > "$state/sums")
          touch "$state/dumped"
          exit 0;;
        restore)
          (cd "$images" && ls -1) > "$state/restore-files"
          if ! (cd "$images" && sha256sum --quiet -c "$state/sums") > "$state/verify.out" 2>&1; then
            echo "fake criu: images differ from the dump" > "$images/$log"; cat "$state/verify.out" >> "$images/$log"; exit 7
          fi
          if [ "$mode" = restore-fails ]; then
            echo "(00.001) fake criu: restoring" > "$images/$log"
            echo "Error (criu/cr-restore.c:1234): fake restore failure" >> "$images/$log"
            exit 1
          fi
          echo "Restore finished successfully" > "$images/$log"
          touch "$state/restored"
          exit 0;;
        esac
        echo "fake criu: unknown action $action" >&2
        exit 64
        """;
}

/// <summary>A real program for lucriu to keep: `sleep 60`, killed at the end of the test.</summary>
internal sealed class SleepingProgram : IDisposable
{
    private readonly Process _process;

    public SleepingProgram()
    {
        _process = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
    }

    public int Pid => _process.Id;

    public void Dispose()
    {
        try { _process.Kill(); _process.WaitForExit(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
