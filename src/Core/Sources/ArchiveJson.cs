using System.Globalization;
using System.Text.Json;

namespace TinyImage.Core.Sources;

/// <summary>
/// A value in a JSON document of an image archive, read with typed accessors whose errors name the archive, the
/// document and the member, on one line: <c>image.tar: manifest.json: [0].Layers is null, expected an array; …</c>.
/// </summary>
internal readonly struct ArchiveJson
{
    private readonly string _where;
    private readonly string _member;

    private ArchiveJson(JsonElement element, string where, string member)
    {
        Element = element;
        _where = where;
        _member = member;
    }

    /// <summary>The root of <paramref name="document"/> (a member of <paramref name="archive"/>).</summary>
    public static ArchiveJson Root(JsonElement root, string archive, string document) => new(root, $"{archive}: {document}", "");

    public JsonElement Element { get; }

    /// <summary>Absent from its object, or JSON null.</summary>
    public bool IsMissingOrNull => Element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;

    /// <summary>The member <paramref name="name"/> of this object (missing when absent); this must be an object.</summary>
    public ArchiveJson Property(string name)
    {
        Expect(JsonValueKind.Object);
        var child = Element.TryGetProperty(name, out var value) ? value : default;
        return new ArchiveJson(child, _where, _member.Length == 0 ? name : $"{_member}.{name}");
    }

    /// <summary>The items of this array; this must be an array.</summary>
    public IEnumerable<ArchiveJson> Items()
    {
        Expect(JsonValueKind.Array);
        var (element, where, member) = (Element, _where, _member);
        return element.EnumerateArray().Select((item, i) => new ArchiveJson(item, where, $"{member}[{i.ToString(CultureInfo.InvariantCulture)}]"));
    }

    /// <summary>The members of this object, in order; this must be an object whose member names are valid UTF-8.</summary>
    public IReadOnlyList<(string Name, ArchiveJson Value)> Properties()
    {
        Expect(JsonValueKind.Object);
        var properties = new List<(string, ArchiveJson)>();
        try
        {
            foreach (var property in Element.EnumerateObject())
                properties.Add((property.Name, new ArchiveJson(property.Value, _where, _member.Length == 0 ? property.Name : $"{_member}.{property.Name}")));
        }
        catch (InvalidOperationException)
        {
            throw Error("an object whose member names are valid UTF-8");
        }
        return properties;
    }

    public string String()
    {
        Expect(JsonValueKind.String);
        try
        {
            return Element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // Parsing leaves the UTF-8 of strings to be checked when they are read.
            throw Error("a string of valid UTF-8");
        }
    }

    /// <summary>The string, or null when the member is missing or null.</summary>
    public string? OptionalString() => IsMissingOrNull ? null : String();

    public long WholeNumber()
    {
        if (Element.ValueKind == JsonValueKind.Number && Element.TryGetInt64(out var value)) return value;
        throw Error("a whole number");
    }

    /// <summary>This value, checked to be a <paramref name="kind"/> (or, with <paramref name="orNull"/>, missing or null).</summary>
    public ArchiveJson Expect(JsonValueKind kind, bool orNull = false)
    {
        if (Element.ValueKind == kind || (orNull && IsMissingOrNull)) return this;
        throw Error(Name(kind));
    }

    /// <summary>An error about this value: what it is against what was expected.</summary>
    public TinyImageException Error(string expected) =>
        new($"{_where}: {(_member.Length == 0 ? "the whole document" : _member)} is {Found()}, expected {expected}; the archive is damaged or was not written by an image tool");

    private string Found() => Element.ValueKind switch
    {
        JsonValueKind.Undefined => "missing",
        JsonValueKind.Null => "null",
        JsonValueKind.String => StringFound(),
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        var kind => Name(kind),
    };

    private string StringFound()
    {
        try
        {
            return $"the string {Quote(Element.GetString()!)}";
        }
        catch (InvalidOperationException)
        {
            return "a string that is not valid UTF-8";
        }
    }

    /// <summary>An untrusted name for a one-line message: as it is when plain, else quoted with control characters escaped; at most 100 characters.</summary>
    public static string Display(string text) =>
        text.Length <= 100 && text.All(c => c > ' ' && c < '\x7f' && c != '"') ? text : Quote(text);

    private static string Quote(string text) => JsonSerializer.Serialize(text.Length <= 100 ? text : text[..100] + "…");

    private static string Name(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
