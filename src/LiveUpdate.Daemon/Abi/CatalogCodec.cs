// CatalogCodec: encode a catalog in the current format, decode one of any readable
// version — the two calls the rest of luod uses (CatalogFormat has the bytes, CatalogReader
// the versions). A catalog luod cannot read (other magic, newer version, bad length or hash)
// is reported with the cause and the fix, never guessed at.
namespace LiveUpdate.Daemon.Abi;

public static class CatalogCodec
{
    public const int FormatVersion = CatalogFormat.CurrentVersion;
    public const int HeaderSize = CatalogFormat.HeaderSize;

    public static byte[] Encode(CatalogDocument catalog) => CatalogFormat.Encode(catalog);

    public static CatalogDocument Decode(ReadOnlyMemory<byte> bytes) => CatalogReader.Read(bytes);

    /// <summary>
    /// Encodes and decodes a catalog that uses every part of the format (a session with a file,
    /// a pending update with an event, a finished update), so the serializer's metadata and the
    /// code behind it are ready before the real catalog is read. luod runs this on another
    /// thread while its host starts: under TCG, first use cost seconds inside the restore.
    /// </summary>
    public static void WarmUp()
    {
        var timeline = new CatalogTimeline("warm-up", null, null, 0,
            new CatalogClockInfo("warm-up", 1, CatalogTscFrequencySource.KernelRefinedCalibration, false, "tsc"), null,
            [new CatalogTimelineEvent("luod.start", CatalogUpdatePhase.Restore, CatalogKernelSide.Next, null, new CatalogClockSample(1, 1, 1), null, CatalogEventSource.Daemon, null)],
            CatalogClockBasis.RealtimeApproximate);
        var sample = new CatalogDocument(1, 1, "warm-up",
            [new CatalogSession(0, "warm-up", "warm-up", CatalogSessionMode.Managed, 1, "m", [new CatalogFile("f", 1, 1)])],
            timeline, [timeline]);
        Decode(Encode(sample));
    }
}
