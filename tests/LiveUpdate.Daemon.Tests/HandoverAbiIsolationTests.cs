// HandoverAbiIsolationTests: the handover ABI stands on its own. No type of
// LiveUpdate.Daemon.Abi may expose a Telemetry or Kernel type (a rename there would change
// the catalog's bytes without anyone touching the ABI), and every catalog enum spells its
// JSON value out instead of taking it from the C# name.
// Reflection is what this test is about; it runs under the JIT, never trimmed.
#pragma warning disable IL2026, IL2070, IL2075
using System.Reflection;
using System.Text.Json.Serialization;

namespace LiveUpdate.Daemon.Tests;

public sealed class HandoverAbiIsolationTests
{
    private static readonly Type[] AbiTypes = [.. typeof(CatalogDocument).Assembly.GetTypes()
        .Where(t => t.Namespace == "LiveUpdate.Daemon.Abi" && !t.Name.Contains('<'))];

    [Fact]
    public void Abi_types_reference_no_telemetry_or_kernel_type()
    {
        Assert.Contains(typeof(CatalogTimeline), AbiTypes);
        Assert.Contains(typeof(CustodyRecord), AbiTypes);
        var foreign = new List<string>();
        foreach (var type in AbiTypes)
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var used = type.GetProperties(all).Select(p => p.PropertyType)
                .Concat(type.GetFields(all).Select(f => f.FieldType))
                .Concat(type.GetConstructors(all).SelectMany(c => c.GetParameters()).Select(p => p.ParameterType))
                .Concat(type.GetMethods(all).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)));
            foreach (var usedType in used.SelectMany(Flatten))
                if (usedType.Assembly.GetName().Name is "LiveUpdate.Telemetry" or "LiveUpdate.Kernel")
                    foreign.Add($"{type.Name} uses {usedType.FullName}");
        }
        Assert.Empty(foreign);
    }

    [Fact]
    public void Every_abi_enum_value_has_an_explicit_json_name()
    {
        var unnamed = AbiTypes.Where(t => t.IsEnum)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (t, f)))
            .Where(x => x.f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>() is null)
            .Select(x => $"{x.t.Name}.{x.f.Name}");
        Assert.Empty(unnamed);
    }

    private static IEnumerable<Type> Flatten(Type type)
    {
        yield return type;
        if (type.HasElementType) foreach (var inner in Flatten(type.GetElementType()!)) yield return inner;
        if (type.IsGenericType) foreach (var argument in type.GetGenericArguments().SelectMany(Flatten)) yield return argument;
    }
}
