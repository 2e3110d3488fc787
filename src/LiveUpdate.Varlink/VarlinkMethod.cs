// VarlinkMethod: one method a service implements — its handler and what it accepts. A
// method takes no file descriptors unless it says how many; a call that brings more is
// refused with InvalidParameter("fileDescriptors") and its descriptors are closed, so a
// client that believes it handed something over learns at once that it did not.
namespace LiveUpdate.Varlink;

/// <summary>Handles one call. Reply through <paramref name="call"/>; throw <see cref="VarlinkErrorException"/> to reply with an error.</summary>
public delegate Task VarlinkMethodHandler(VarlinkCallContext call);

public sealed record VarlinkMethodOptions
{
    public static VarlinkMethodOptions Default { get; } = new();

    /// <summary>How many file descriptors a call may bring (default 0: none).</summary>
    public int MaxFileDescriptors { get; init; }

    /// <summary>The method streams its replies: a call without <c>"more": true</c> is answered with ExpectedMore.</summary>
    public bool RequiresMore { get; init; }
}

internal sealed record VarlinkMethod(string Name, VarlinkMethodHandler Handler, VarlinkMethodOptions Options);
