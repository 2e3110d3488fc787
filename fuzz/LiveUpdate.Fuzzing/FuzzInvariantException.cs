// FuzzInvariantException: thrown by a fuzz target when the parser returned normally but broke a
// promise the target checks (a reply that is not a protocol answer, a loop that would spin).
// It escapes like any unexpected exception, so AFL records the input as a crash.
namespace LiveUpdate.Fuzzing;

public sealed class FuzzInvariantException(string message) : Exception(message);
