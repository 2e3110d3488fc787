// PreflightFinding: one result of the preflight check, in operator words: what was found,
// why it matters for the live update, and how to fix it. Severity decides the verdict.
namespace LiveUpdate.Preflight;

public enum FindingSeverity
{
    /// <summary>Checked and fine.</summary>
    Ok,

    /// <summary>Not applicable here (e.g. host-only checks when qualifying a pair of images offline).</summary>
    Info,

    /// <summary>Could not be determined, or risky: the update may still work.</summary>
    Warning,

    /// <summary>The update would lose state or crash the next kernel.</summary>
    Error,
}

public sealed record PreflightFinding(FindingSeverity Severity, string Code, string What, string Why, string? Fix);
