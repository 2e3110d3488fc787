// OpenMetricsFile: luoctl's metrics text written where node_exporter's textfile collector reads it
// (--collector.textfile.directory, *.prom): to a temporary file beside the target whose name the
// collector ignores (a leading dot, no .prom), flushed to disk, then renamed over the target — so
// a scrape sees the old file or the new one, never half of one.
namespace LiveUpdate.Cli;

internal static class OpenMetricsFile
{
    public static async Task WriteAtomicallyAsync(string target, string text, CancellationToken cancellationToken)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(target))!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
