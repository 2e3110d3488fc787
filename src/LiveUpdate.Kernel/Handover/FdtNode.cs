// FdtNode: a node of a flattened device tree — its name (unit address included, "" for the
// root), its properties in blob order and its child nodes.
namespace LiveUpdate.Kernel.Handover;

public sealed record FdtNode(string Name, IReadOnlyList<FdtProperty> Properties, IReadOnlyList<FdtNode> Children)
{
    public FdtProperty? Property(string name) => Properties.FirstOrDefault(p => p.Name == name);

    public FdtNode? Child(string name) => Children.FirstOrDefault(c => c.Name == name);

    /// <summary>The first string of "compatible", null when the node has none.</summary>
    public string? Compatible => Property("compatible")?.Strings?[0];
}
