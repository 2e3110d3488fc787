// KernelSelftests (scenario kernel-selftests): runs the kernel's own LUO selftests, built from the same
// source tree as the kernel, inside the harness. Hop 0 runs `liveupdate` and stage 1 of
// `luo_kexec_simple` and `luo_multi_session` (each leaves a child holding its sessions);
// lu-guest then kexecs and hop 1 runs their stage 2. Passing proves the harness itself.
using System.Diagnostics;
using LiveUpdate.GuestContract;

namespace LiveUpdate.Guest.Scenarios;

public sealed class KernelSelftests(GuestPlan plan, ResultChannel results)
{
    private static readonly string[] TwoStageTests = ["luo_kexec_simple", "luo_multi_session"];

    public async Task<bool> RunAsync()
    {
        string directory = $"/opt/selftests/{plan.CurrentTag}";
        bool ok = true;
        if (plan.IsFirstHop)
        {
            ok &= await RunTestAsync(directory, "liveupdate", []);
            foreach (string test in TwoStageTests)
                ok &= await RunTestAsync(directory, test, ["-s", "1"]);
        }
        else
        {
            foreach (string test in TwoStageTests)
                ok &= await RunTestAsync(directory, test, ["-s", "2"]);
        }
        return ok;
    }

    private Task<bool> RunTestAsync(string directory, string test, string[] arguments) =>
        results.StepAsync(StepNames.KernelSelftests.Test(test, arguments.Length > 0 ? arguments[^1] : null), async () =>
        {
            var start = new ProcessStartInfo(Path.Combine(directory, test))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory,
            };
            foreach (string argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start)
                ?? throw new InvalidOperationException($"could not start {test}");
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            string output = (await stdout + await stderr).Trim();
            string tail = string.Join(" | ", output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(6));
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{test} {string.Join(' ', arguments)} exited with {process.ExitCode} (kselftest: 4 = skip, 1 = fail): {tail}");
            return $"exit 0: {tail}";
        });
}
