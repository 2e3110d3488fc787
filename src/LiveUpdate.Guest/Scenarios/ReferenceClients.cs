// ReferenceClients: the two clients the luod custody scenarios (luod-custody, fd-store-restart) hand state to luod
// with, one each way. The luoctl client is managed: `luoctl preserve --file` with a file of
// seeded bytes, `luoctl retrieve` after the kexec. The SDK client is delegated: it gets the
// session fd from luod and preserves its own memfd with PRESERVE_FD, then claims the session
// fd back after the kexec. Each after-kexec call checks SHA-256 against the seed and says
// "sha256=… — match" in its result, which the VM tests look for.
using LiveUpdate.Client;

namespace LiveUpdate.Guest.Scenarios;

public static class ReferenceClients
{
    /// <summary>`luoctl preserve` of <paramref name="bytes"/> seeded bytes as file <paramref name="name"/> of a managed session.</summary>
    public static async Task<string> LuoctlPreserveAsync(string session, string name, ulong seed, long bytes)
    {
        string path = $"/tmp/{session}-{name}.bin";
        byte[] content = new byte[bytes];
        new SeededPattern(seed).Fill(content);
        await File.WriteAllBytesAsync(path, content);
        string output = await LuodProcess.LuoctlOkAsync("preserve", "--session", session, "--name", name, "--file", path);
        File.Delete(path);
        return $"luoctl (exited): {output}; expected sha256={SeededPattern.Sha256Of(seed, bytes)}";
    }

    /// <summary>After the kexec: `luoctl retrieve` of file <paramref name="name"/>, checked against its seed.</summary>
    public static async Task<string> LuoctlRetrieveAndCheckAsync(string session, string name, ulong seed, long bytes)
    {
        string path = $"/tmp/{session}-{name}.out";
        string output = await LuodProcess.LuoctlOkAsync("retrieve", "--session", session, "--name", name, "--output", path);
        string expected = SeededPattern.Sha256Of(seed, bytes);
        string actual = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path)));
        File.Delete(path);
        if (actual != expected) throw new InvalidOperationException($"'{session}/{name}' sha256 {actual} != {expected}");
        return $"'{name}': {output}; sha256={actual} — match";
    }

    /// <summary>The SDK client: a delegated session from luod, its own memfd of seeded bytes preserved under <paramref name="token"/>; then it closes everything.</summary>
    public static async Task<string> DelegatedPreserveAsync(string session, ulong token, ulong seed, long bytes)
    {
        await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
        using var delegated = await client.CreateDelegatedSessionAsync(session);
        using var memory = PreservedMemory.Create($"{session}-memfd", (int)bytes);
        new SeededPattern(seed).Fill(memory.Memory.Span);
        string sha = MemFdContent.Sha256(memory.MemFd);
        delegated.Preserve(memory, token);
        return $"SDK: delegated session '{delegated.KernelName}' from luod; preserved {bytes} bytes sha256={sha} as token {token}; client closed its fds";
    }

    /// <summary>After the kexec: the SDK client claims its session fd, retrieves its memfd, checks it and finishes.</summary>
    public static async Task<string> DelegatedClaimCheckFinishAsync(string session, ulong token, ulong seed, long bytes)
    {
        await using var client = await LiveUpdateClient.ConnectAsync(LuodProcess.Socket);
        using var claimed = await client.ClaimDelegatedAsync(session);
        using var memfd = claimed.Retrieve(token);
        string expected = SeededPattern.Sha256Of(seed, bytes);
        string actual = MemFdContent.Sha256(memfd);
        if (actual != expected) throw new InvalidOperationException($"delegated session '{session}' sha256 {actual} != {expected}");
        await claimed.FinishAsync();
        return $"SDK: claimed delegated session '{claimed.KernelName}', token {token}: {memfd.Size} bytes sha256={actual} — match; finished";
    }
}
