// VarlinkIdlParser: reads a Varlink interface definition into the VarlinkIdl model — the
// grammar of varlink.org: `interface a.b`, then `type`, `method` and `error` declarations;
// `#` comments to the end of the line (those above a declaration become its Doc); types
// bool, int, float, string, object, named types, []T, [string]T, ?T, inline (a, b) enums
// and (f: T) structs. A malformed file fails with its line and what was expected.
using System.Text;

namespace LiveUpdate.Protocol.Generator;

public sealed class VarlinkIdlParser
{
    private static readonly HashSet<string> Primitives = new(StringComparer.Ordinal) { "bool", "int", "float", "string", "object" };

    private readonly string _text;
    private readonly StringBuilder _comment = new();
    private int _position;
    private int _line = 1;

    private VarlinkIdlParser(string text) => _text = text;

    public static IdlInterface Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new VarlinkIdlParser(text).ParseInterface();
    }

    private IdlInterface ParseInterface()
    {
        Expect("interface");
        string? interfaceDoc = TakeDoc();
        string name = Word("an interface name");
        var types = new List<IdlTypeDeclaration>();
        var methods = new List<IdlMethod>();
        var errors = new List<IdlError>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (!AtEnd())
        {
            string keyword = Word("'type', 'method' or 'error'");
            string? doc = TakeDoc();
            string member = Word($"a name after '{keyword}'");
            if (!char.IsUpper(member[0])) throw Error($"'{member}' must start with an upper-case letter");
            if (!names.Add(member)) throw Error($"'{member}' is declared twice");
            switch (keyword)
            {
                case "type":
                    types.Add(new IdlTypeDeclaration(member, ParseParenthesized(), doc));
                    break;
                case "method":
                    var input = ParseStruct();
                    Expect("->");
                    methods.Add(new IdlMethod(member, input, ParseStruct(), doc));
                    break;
                case "error":
                    errors.Add(new IdlError(member, ParseStruct(), doc));
                    break;
                default:
                    throw Error($"expected 'type', 'method' or 'error', found '{keyword}'");
            }
        }
        foreach (var reference in types.Select(t => t.Type).Concat(methods.SelectMany(m => new IdlType[] { m.Input, m.Output }))
                     .Concat(errors.Select(e => e.Parameters)).SelectMany(NamedReferences))
            if (!types.Any(t => t.Name == reference))
                throw new FormatException($"The interface uses type '{reference}' but declares no 'type {reference}'.");
        return new IdlInterface(name, interfaceDoc, types, methods, errors);
    }

    private static IEnumerable<string> NamedReferences(IdlType type) => type switch
    {
        IdlNamed named => [named.Name],
        IdlArray array => NamedReferences(array.Element),
        IdlMap map => NamedReferences(map.Value),
        IdlNullable nullable => NamedReferences(nullable.Inner),
        IdlStruct structure => structure.Fields.SelectMany(f => NamedReferences(f.Type)),
        _ => [],
    };

    private IdlStruct ParseStruct() => ParseParenthesized() as IdlStruct ?? throw Error("expected a parameter list (name: type, …), not an enum");

    /// <summary>(a, b) is an enum, (a: T, …) a struct, () an empty struct.</summary>
    private IdlType ParseParenthesized()
    {
        Expect("(");
        if (TryTake(")")) return new IdlStruct([]);
        string first = Word("a field name or enum value");
        if (Peek() == ':')
        {
            var fields = new List<IdlField>();
            string name = first;
            while (true)
            {
                Expect(":");
                if (fields.Any(f => f.Name == name)) throw Error($"field '{name}' appears twice");
                fields.Add(new IdlField(name, ParseType()));
                if (TryTake(")")) return new IdlStruct(fields);
                Expect(",");
                name = Word("a field name");
            }
        }
        var values = new List<string> { first };
        while (!TryTake(")"))
        {
            Expect(",");
            string value = Word("an enum value");
            if (values.Contains(value)) throw Error($"enum value '{value}' appears twice");
            values.Add(value);
        }
        return new IdlEnum(values);
    }

    private IdlType ParseType()
    {
        SkipSpace();
        if (TryTake("?"))
        {
            if (Peek() == '?') throw Error("'??' is not a type");
            return new IdlNullable(ParseLastType());
        }
        return ParseLastType();

        IdlType ParseLastType()
        {
            if (TryTake("[]")) return new IdlArray(ParseType());
            if (TryTake("["))
            {
                Expect("string");
                Expect("]");
                return new IdlMap(ParseType());
            }
            if (Peek() == '(') return ParseParenthesized();
            string word = Word("a type");
            return Primitives.Contains(word) ? new IdlPrimitive(word)
                : char.IsUpper(word[0]) ? new IdlNamed(word)
                : throw Error($"'{word}' is not a type (bool, int, float, string, object, or a declared type name)");
        }
    }

    private string? TakeDoc()
    {
        if (_comment.Length == 0) return null;
        string doc = _comment.ToString().TrimEnd('\n');
        _comment.Clear();
        return doc;
    }

    private void SkipSpace()
    {
        while (_position < _text.Length)
        {
            char c = _text[_position];
            if (c == '\n') { _line++; _position++; }
            else if (char.IsWhiteSpace(c)) _position++;
            else if (c == '#')
            {
                int end = _text.IndexOf('\n', _position);
                if (end < 0) end = _text.Length;
                string line = _text[(_position + 1)..end].TrimEnd('\r');
                _comment.Append(line.StartsWith(' ') ? line[1..] : line).Append('\n');
                _position = end;
            }
            else return;
        }
    }

    private bool AtEnd()
    {
        SkipSpace();
        return _position >= _text.Length;
    }

    private char Peek()
    {
        SkipSpace();
        return _position < _text.Length ? _text[_position] : '\0';
    }

    private bool TryTake(string token)
    {
        SkipSpace();
        if (string.CompareOrdinal(_text, _position, token, 0, token.Length) != 0) return false;
        if (char.IsLetter(token[0]) && _position + token.Length < _text.Length && IsWordChar(_text[_position + token.Length])) return false;
        _position += token.Length;
        return true;
    }

    private void Expect(string token)
    {
        if (!TryTake(token)) throw Error($"expected '{token}'");
    }

    private string Word(string what)
    {
        SkipSpace();
        int start = _position;
        while (_position < _text.Length && IsWordChar(_text[_position])) _position++;
        if (_position == start) throw Error($"expected {what}");
        return _text[start.._position];
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';

    private FormatException Error(string message)
    {
        string found = _position < _text.Length ? $"'{_text[_position..Math.Min(_text.Length, _position + 20)].Split('\n')[0]}'" : "the end of the file";
        return new FormatException($"Line {_line}: {message} (at {found}).");
    }
}
