// KhoHandoverTarget: the KHO handover readers of LiveUpdate.Kernel/Handover (what `luoctl kho`
// decodes from debugfs). The first byte picks one: 0 the flattened device tree reader
// (FlattenedDeviceTree.Parse, then every property's Display), 1 LUO's struct luo_ser
// (LuoStateHeader.Parse), 2 the kexec-metadata struct (KexecChainMetadata.Parse), 3 the subtree
// decoder under the name "LUO", "kexec-metadata" or another (KhoSubtreeDecoder.Decode, which
// must answer every blob with a result, never throw). Fine: HandoverFormatException.
using LiveUpdate.Kernel.Handover;

namespace LiveUpdate.Fuzzing;

public static class KhoHandoverTarget
{
    private static readonly string[] SubtreeNames = [LuoStateHeader.SubtreeName, KexecChainMetadata.SubtreeName, "vendor"];

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        byte[] rest = input[1..];
        try
        {
            switch (input[0] % 4)
            {
                case 0:
                    Visit(FlattenedDeviceTree.Parse(rest).Root);
                    break;
                case 1:
                    LuoStateHeader.Parse(rest);
                    break;
                case 2:
                    KexecChainMetadata.Parse(rest);
                    break;
                default:
                    var subtree = KhoSubtreeDecoder.Decode(SubtreeNames[(input[0] >> 2) % SubtreeNames.Length], null, (ulong)rest.Length, rest, []);
                    if (subtree.Tree is { } tree) Visit(tree);
                    break;
            }
        }
        catch (HandoverFormatException) { }
    }

    private static void Visit(FdtNode node)
    {
        foreach (var property in node.Properties) _ = property.Display;
        foreach (var child in node.Children) Visit(child);
    }
}
