// FaultCatalogDamaged (scenario fault-catalog-damaged, 7.2 → 7.3): the fault matrix's cell
// "the catalog memfd damaged before the reboot". luod holds two sessions; the scenario, as
// root, opens luod's catalog memfd through /proc/<luod>/fd (no hook in luod), flips one byte
// of its payload, and kexecs directly (lu-guest, not luod, so luod writes no fresh catalog on
// top of the damage — what memory corruption after luod's last write would leave). The next
// kernel's luod must say the catalog cannot be read and why (its SHA-256), report custody
// lost, list no session it cannot prove the owner of (it guesses nothing), and answer a claim
// with an error rather than someone's bytes.
using System.Text.Json.Nodes;
using LiveUpdate.GuestContract;
using Steps = LiveUpdate.GuestContract.StepNames.FaultCatalogDamaged;

namespace LiveUpdate.Guest.Scenarios;

public sealed class FaultCatalogDamaged(GuestPlan plan, ResultChannel results)
{
    /// <summary>The catalog header (magic, version, length, SHA-256) is 48 bytes: a byte past it is payload.</summary>
    private const int PayloadByte = 48 + 2;

    public async Task<bool> RunAsync()
    {
        LuodProcess? luod = null;
        if (!await results.StepAsync(Steps.LuodStart, async () =>
            {
                (luod, var ready) = await LuodProcess.StartAsync();
                return $"luod pid {luod.Process.Id} ready in {ready.TotalMilliseconds:F0} ms";
            }))
            return false;
        return plan.IsFirstHop ? await BeforeKexecAsync(luod!) : await AfterKexecAsync();
    }

    private async Task<bool> BeforeKexecAsync(LuodProcess luod)
    {
        bool ok = await results.StepAsync(Steps.Preserve, async () =>
        {
            string a = await ReferenceClients.LuoctlPreserveAsync("cat-a", "data", 0x2201, 1 << 20);
            string b = await ReferenceClients.LuoctlPreserveAsync("cat-b", "data", 0x2202, 1 << 20);
            return $"{a}; {b}";
        });
        ok = ok && await results.StepAsync(Steps.Damage, () =>
        {
            string fdDirectory = $"/proc/{luod.Process.Id}/fd";
            string? catalog = Directory.EnumerateFiles(fdDirectory)
                .FirstOrDefault(fd => (new FileInfo(fd).LinkTarget ?? "").StartsWith("/memfd:luod-catalog", StringComparison.Ordinal));
            if (catalog is null) throw new InvalidOperationException($"luod (pid {luod.Process.Id}) holds no memfd named luod-catalog");
            using var memfd = new FileStream(catalog, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            var one = new byte[1];
            memfd.Position = PayloadByte;
            if (memfd.Read(one) != 1) throw new InvalidOperationException($"luod's catalog memfd is shorter than {PayloadByte + 1} bytes");
            byte before = one[0];
            one[0] ^= 0x20;
            memfd.Position = PayloadByte;
            memfd.Write(one);
            return Task.FromResult($"{catalog} → {new FileInfo(catalog).LinkTarget}: byte {PayloadByte} 0x{before:x2} → 0x{one[0]:x2}");
        });
        if (!ok) return false;
        await NextKernelHop.KexecAsync(plan, results); // returns only if the kexec failed
        return false;
    }

    private async Task<bool> AfterKexecAsync()
    {
        bool ok = await results.StepAsync(Steps.ReportedUnreadable, async () =>
        {
            string json = await LuodProcess.LuoctlOkAsync("sessions", "--all", "--json");
            var reply = JsonNode.Parse(json)!;
            var status = reply["status"]!;
            string reason = status["custodyLostReason"]?.GetValue<string>() ?? "";
            if (status["custodyLost"]!.GetValue<bool>() != true || !reason.Contains("SHA-256", StringComparison.Ordinal))
                throw new InvalidOperationException($"luod does not say the catalog is damaged: {json}");
            if (reply["sessions"]!.AsArray().Count != 0)
                throw new InvalidOperationException($"luod lists sessions it cannot prove the owner of: {json}");
            return $"custodyLost=true; reason: {reason}; sessions listed: 0";
        });
        ok &= await results.StepAsync(Steps.ClaimRefused, async () =>
        {
            var (code, _, error) = await LuodProcess.LuoctlAsync(null, "retrieve", "--session", "cat-a", "--name", "data", "--output", "/tmp/cat-a.out");
            if (code == 0 || File.Exists("/tmp/cat-a.out") && new FileInfo("/tmp/cat-a.out").Length > 0)
                throw new InvalidOperationException($"a claim of cat-a after the damaged catalog succeeded (exit {code})");
            string table = await LuodProcess.LuoctlOkAsync("sessions", "--all");
            return $"retrieve exit {code}: {error.Trim()}; luoctl sessions: {table.Trim().Replace('\n', '/')}";
        });
        return ok;
    }
}
