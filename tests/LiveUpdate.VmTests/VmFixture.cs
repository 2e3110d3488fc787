// VmFixture: the xunit collection fixture "vm": one ScenarioHarness (cache from $LIVEUPDATE_CACHE or
// ~/.cache/liveupdate, this checkout) shared by the VM tests, which run one after another.
using LiveUpdate.VmHarness.Runs;
using Xunit.Abstractions;

namespace LiveUpdate.VmTests;

public sealed class VmFixture
{
    public const string CollectionName = "vm";

    public VmFixture()
    {
        Harness = ScenarioHarness.FromEnvironment(Progress);
    }

    public TestProgress Progress { get; } = new();

    public ScenarioHarness Harness { get; }

    /// <summary>Routes harness progress into <paramref name="output"/> for the current test.</summary>
    public IDisposable AttachOutput(ITestOutputHelper output) => Progress.Attach(output);
}

[CollectionDefinition(VmFixture.CollectionName)]
public sealed class VmCollection : ICollectionFixture<VmFixture>
{
}
