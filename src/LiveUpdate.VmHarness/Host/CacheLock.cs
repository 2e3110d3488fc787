// CacheLock: an exclusive inter-process lock on a file in the cache (flock via FileShare.None),
// so two test processes never fetch, build or publish the same thing at the same time.
namespace LiveUpdate.VmHarness.Host;

public sealed class CacheLock : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private readonly FileStream stream;

    private CacheLock(FileStream stream)
    {
        this.stream = stream;
    }

    /// <summary>Waits until the lock at <paramref name="path"/> is free and takes it.</summary>
    public static async Task<CacheLock> AcquireAsync(string path, string what, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var started = DateTime.UtcNow;
        var lastReport = DateTime.MinValue;
        while (true)
        {
            try
            {
                return new CacheLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(30))
                {
                    progress?.Report($"waiting for {what}: another process holds {path} ({(DateTime.UtcNow - started).TotalSeconds:0} s)");
                    lastReport = DateTime.UtcNow;
                }
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
