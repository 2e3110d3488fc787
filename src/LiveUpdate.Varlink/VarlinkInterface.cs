// VarlinkInterface: one interface a service offers — its definition text in the Varlink
// interface description language (returned verbatim by GetInterfaceDescription) and the
// handlers of its methods. The name and the declared methods are read from the text, so
// the two cannot disagree: registering a handler for a method the text does not declare
// is refused, and a declared method without a handler answers MethodNotImplemented.
using System.Text.RegularExpressions;

namespace LiveUpdate.Varlink;

public sealed partial class VarlinkInterface
{
    private readonly Dictionary<string, VarlinkMethod> _methods = new(StringComparer.Ordinal);
    private readonly HashSet<string> _declaredMethods;

    /// <param name="description">The interface definition, starting (after comments) with <c>interface reverse.domain.name</c>.</param>
    public VarlinkInterface(string description)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        var names = InterfaceLine().Matches(description);
        if (names.Count != 1)
            throw new ArgumentException(names.Count == 0
                ? "The interface description has no 'interface <name>' line; it must declare its name, e.g. 'interface io.liveupdate.Daemon'."
                : "The interface description declares more than one interface; give each interface its own description.", nameof(description));
        string name = names[0].Groups[1].Value;
        if (!ValidName().IsMatch(name))
            throw new ArgumentException(
                $"'{name}' is not a valid Varlink interface name: it must be a reverse domain name of at least two dot-separated labels of letters, digits and dashes, e.g. 'io.liveupdate.Daemon'.", nameof(description));
        Name = name;
        Description = description;
        _declaredMethods = new HashSet<string>(MethodLine().Matches(description).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    /// <summary>The interface name, e.g. <c>io.liveupdate.Daemon</c>.</summary>
    public string Name { get; }

    /// <summary>The definition text, as given.</summary>
    public string Description { get; }

    /// <summary>The methods the description declares (with or without a handler).</summary>
    public IReadOnlyCollection<string> DeclaredMethods => _declaredMethods;

    /// <summary>The methods that have a handler.</summary>
    public IReadOnlyCollection<string> ImplementedMethods => _methods.Keys;

    /// <summary>Registers the handler of <paramref name="method"/> (its short name, e.g. <c>GetInfo</c>, or its qualified name).</summary>
    public VarlinkInterface AddMethod(string method, VarlinkMethodHandler handler, VarlinkMethodOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        if (method.Length > Name.Length + 1 && method.StartsWith(Name, StringComparison.Ordinal) && method[Name.Length] == '.')
            method = method[(Name.Length + 1)..];
        ArgumentNullException.ThrowIfNull(handler);
        if (!_declaredMethods.Contains(method))
            throw new ArgumentException(
                $"Interface {Name} does not declare a method '{method}'; add 'method {method}(...) -> (...)' to its description first.", nameof(method));
        options ??= VarlinkMethodOptions.Default;
        if (options.MaxFileDescriptors is < 0 or > Kernel.UnixSocketMessaging.MaxFileDescriptorsPerMessage)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxFileDescriptors,
                $"MaxFileDescriptors must be between 0 and {Kernel.UnixSocketMessaging.MaxFileDescriptorsPerMessage}.");
        if (!_methods.TryAdd(method, new VarlinkMethod(method, handler, options)))
            throw new ArgumentException($"Method {Name}.{method} already has a handler.", nameof(method));
        return this;
    }

    internal bool TryGetMethod(string method, out VarlinkMethod? implementation) => _methods.TryGetValue(method, out implementation);

    internal bool Declares(string method) => _declaredMethods.Contains(method);

    [GeneratedRegex(@"^[ \t]*interface[ \t]+(\S+)[ \t]*(?:#.*)?\r?$", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex InterfaceLine();

    [GeneratedRegex(@"^[ \t]*method[ \t]+([A-Z][A-Za-z0-9]*)[ \t]*\(", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex MethodLine();

    [GeneratedRegex(@"^[A-Za-z]([-]*[A-Za-z0-9])*(\.[A-Za-z0-9]([-]*[A-Za-z0-9])*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();
}
