// Samples: the recorded kernel logs under Samples/ (copied next to the test assembly).
//   console-7.2-to-7.2.log   VM run 20261122-043519-s1: 7.2.13 → kexec → 7.2.13
//   console-7.2-to-7.3.log   VM run 20261122-043143-s5: 7.2.13 → kexec → 7.3.4
//   console-7.2-7.3-7.2.log  VM run 20261122-044000-s3: 7.2.13 → 7.3.4 → 7.2.13 (two kexecs)
//   kmsg-host-boot.txt       the first /dev/kmsg records of the test host (6.18, Firecracker)
namespace LiveUpdate.Telemetry.Tests;

internal static class Samples
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name));
}
