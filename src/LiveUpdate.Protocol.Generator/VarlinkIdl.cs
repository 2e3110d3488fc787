// VarlinkIdl: the model of a Varlink interface definition (varlink.org "Interface
// Definition") as the parser reads it — the interface, its named types, methods and errors,
// each with the comment lines above it, and the type expressions fields use.
namespace LiveUpdate.Protocol.Generator;

/// <summary>A type expression: a primitive, a named type, an array, a map, a nullable, or an inline enum or struct.</summary>
public abstract record IdlType;

/// <summary><c>bool</c>, <c>int</c>, <c>float</c>, <c>string</c> or <c>object</c>.</summary>
public sealed record IdlPrimitive(string Name) : IdlType;

/// <summary>A reference to a <c>type</c> declared in the interface.</summary>
public sealed record IdlNamed(string Name) : IdlType;

/// <summary><c>[]T</c>.</summary>
public sealed record IdlArray(IdlType Element) : IdlType;

/// <summary><c>[string]T</c>.</summary>
public sealed record IdlMap(IdlType Value) : IdlType;

/// <summary><c>?T</c>: the field may be absent or null.</summary>
public sealed record IdlNullable(IdlType Inner) : IdlType;

/// <summary><c>(a, b, c)</c>: one of the names, as a JSON string.</summary>
public sealed record IdlEnum(IReadOnlyList<string> Values) : IdlType
{
    public bool SameValues(IdlEnum other) => Values.SequenceEqual(other.Values, StringComparer.Ordinal);
}

/// <summary><c>(name: T, …)</c>: a JSON object.</summary>
public sealed record IdlStruct(IReadOnlyList<IdlField> Fields) : IdlType;

public sealed record IdlField(string Name, IdlType Type);

/// <summary><c>type Name (…)</c>; <see cref="Type"/> is an <see cref="IdlStruct"/> or an <see cref="IdlEnum"/>.</summary>
public sealed record IdlTypeDeclaration(string Name, IdlType Type, string? Doc);

public sealed record IdlMethod(string Name, IdlStruct Input, IdlStruct Output, string? Doc);

public sealed record IdlError(string Name, IdlStruct Parameters, string? Doc);

public sealed record IdlInterface(
    string Name,
    string? Doc,
    IReadOnlyList<IdlTypeDeclaration> Types,
    IReadOnlyList<IdlMethod> Methods,
    IReadOnlyList<IdlError> Errors);
