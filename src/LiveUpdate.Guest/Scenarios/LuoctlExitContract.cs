// LuoctlExitContract: the luoctl exit codes the scenarios expect, as docs/kured.md documents
// them (luoctl's own table is LuoctlExitCodes in src/LiveUpdate.Cli). Written out here rather
// than shared: a scenario checks the documented contract, so a changed number in luoctl fails it.
namespace LiveUpdate.Guest.Scenarios;

public static class LuoctlExitContract
{
    public const int Usage = 2;
    public const int LuodUnreachable = 4;
    public const int NoGo = 11;
    public const int UpdateCancelled = 13;
}
