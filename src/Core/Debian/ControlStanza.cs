using System.Text;

namespace TinyImage.Core.Debian;

/// <summary>
/// One deb822 stanza as strings: its fields in file order with their line numbers, looked up by case-insensitive
/// name. For small files (Release, apt sources, a .deb's control, the lock); the Packages index has its own reader.
/// </summary>
public sealed class ControlStanza
{
    private readonly List<(string Name, string Value, int Line)> _fields;

    private ControlStanza(int line, List<(string Name, string Value, int Line)> fields)
    {
        Line = line;
        _fields = fields;
    }

    /// <summary>Line is the 1-based line of the stanza's first field.</summary>
    public int Line { get; }

    /// <summary>Fields are the stanza's fields in file order.</summary>
    public IReadOnlyList<(string Name, string Value, int Line)> Fields => _fields;

    /// <summary>The value of field <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? this[string name] => Find(name) is { } field ? field.Value : null;

    /// <summary>Find returns the field named <paramref name="name"/> (case-insensitive), or null.</summary>
    public (string Name, string Value, int Line)? Find(string name)
    {
        foreach (var field in _fields)
            if (string.Equals(field.Name, name, StringComparison.OrdinalIgnoreCase)) return field;
        return null;
    }

    /// <summary>ToText writes the stanza back as deb822 text (<c>Name: value</c> lines, continuation lines as read), ending in a newline.</summary>
    public string ToText()
    {
        var text = new StringBuilder();
        foreach (var (name, value, _) in _fields)
            text.Append(name).Append(':').Append(value.Length > 0 && value[0] != '\n' ? " " : "").Append(value).Append('\n');
        return text.ToString();
    }

    /// <summary>ReadAll parses every stanza of <paramref name="text"/>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="TinyImageException">A malformed line, or a field given twice in one stanza.</exception>
    public static IReadOnlyList<ControlStanza> ReadAll(string text, string sourceName)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);
        return ReadAll(stream, sourceName);
    }

    /// <summary>ReadAll parses every stanza of <paramref name="input"/>; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="TinyImageException">A malformed line, or a field given twice in one stanza.</exception>
    public static IReadOnlyList<ControlStanza> ReadAll(Stream input, string sourceName)
    {
        var collector = new Collector(sourceName);
        ControlFileReader.Read(input, sourceName, collector);
        return collector.Stanzas;
    }

    private sealed class Collector(string sourceName) : IControlFieldSink
    {
        private List<(string Name, string Value, int Line)> _fields = [];

        public List<ControlStanza> Stanzas { get; } = [];

        public void StartStanza(int line) => _fields = [];

        public void Field(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int line)
        {
            var fieldName = Encoding.UTF8.GetString(name);
            foreach (var field in _fields)
                if (string.Equals(field.Name, fieldName, StringComparison.OrdinalIgnoreCase))
                    throw new TinyImageException($"{sourceName}({line}): field '{fieldName}' given twice in one stanza (first on line {field.Line})");
            _fields.Add((fieldName, Encoding.UTF8.GetString(value), line));
        }

        public void EndStanza(int line) => Stanzas.Add(new ControlStanza(line, _fields));
    }
}
