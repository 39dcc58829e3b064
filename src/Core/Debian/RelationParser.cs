namespace TinyImage.Core.Debian;

/// <summary>
/// Parses package relation fields (Depends, Pre-Depends, Recommends, Provides) into groups of alternatives:
/// <c>a (&gt;= 1) | b, c:any</c> is two groups. Architecture restrictions (<c>[amd64 !i386]</c>) keep an alternative
/// only for the matching architecture; build profiles (<c>&lt;!nocheck&gt;</c>) are dropped, as they only concern builds.
/// </summary>
internal static class RelationParser
{
    /// <summary>Parse reads <paramref name="field"/> for <paramref name="architecture"/>.</summary>
    /// <param name="context">Names the field in errors, e.g. "hello 2.10-3 Depends".</param>
    /// <exception cref="TinyImageException">A malformed relation.</exception>
    public static IReadOnlyList<IReadOnlyList<PackageRelation>> Parse(string? field, string architecture, string context)
    {
        if (string.IsNullOrWhiteSpace(field)) return [];
        var groups = new List<IReadOnlyList<PackageRelation>>();
        var rest = field.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            var groupText = comma >= 0 ? rest[..comma] : rest;
            if (!groupText.IsWhiteSpace()) // an empty group is a trailing comma, as dpkg allows
            {
                List<PackageRelation>? group = null;
                while (true)
                {
                    var bar = groupText.IndexOf('|');
                    if (ParseAlternative(bar >= 0 ? groupText[..bar] : groupText, architecture, context, field) is { } relation)
                        (group ??= new List<PackageRelation>(1)).Add(relation);
                    if (bar < 0) break;
                    groupText = groupText[(bar + 1)..];
                }
                if (group is not null) groups.Add(group);
            }
            if (comma < 0) break;
            rest = rest[(comma + 1)..];
        }
        return groups;
    }

    private static PackageRelation? ParseAlternative(ReadOnlySpan<char> text, string architecture, string context, string field)
    {
        var s = text.Trim(" \t\r\n");
        var nameEnd = 0;
        while (nameEnd < s.Length && IsNameChar(s[nameEnd])) nameEnd++;
        if (nameEnd == 0) throw Error(context, field, "a relation without a package name");
        var name = s[..nameEnd].ToString();
        s = s[nameEnd..];
        string? qualifier = null;
        if (s.Length > 0 && s[0] == ':')
        {
            var end = 1;
            while (end < s.Length && (char.IsAsciiLetterOrDigit(s[end]) || s[end] == '-')) end++;
            if (end == 1) throw Error(context, field, $"'{name}:' without an architecture");
            qualifier = s[1..end].ToString();
            s = s[end..];
        }
        s = s.TrimStart(" \t\r\n");
        var op = RelationOperator.Any;
        DebianVersion version = default;
        if (s.Length > 0 && s[0] == '(')
        {
            var close = s.IndexOf(')');
            if (close < 0) throw Error(context, field, $"'{name} (' without ')'");
            var inner = s[1..close].Trim(" \t\r\n");
            var opLength = 0;
            while (opLength < inner.Length && inner[opLength] is '<' or '>' or '=') opLength++;
            op = inner[..opLength] switch
            {
                "<<" => RelationOperator.Earlier,
                "<=" or "<" => RelationOperator.EarlierOrEqual,
                "=" => RelationOperator.Equal,
                ">=" or ">" => RelationOperator.LaterOrEqual,
                ">>" => RelationOperator.Later,
                _ => throw Error(context, field, $"'{inner.ToString()}' is not a version constraint"),
            };
            if (!DebianVersion.TryParse(inner[opLength..].ToString(), out version))
                throw Error(context, field, $"'{inner[opLength..].Trim().ToString()}' is not a Debian version");
            s = s[(close + 1)..].TrimStart(" \t\r\n");
        }
        var applies = true;
        if (s.Length > 0 && s[0] == '[')
        {
            var close = s.IndexOf(']');
            if (close < 0) throw Error(context, field, $"'{name} [' without ']'");
            applies = ArchitectureListApplies(s[1..close], architecture);
            s = s[(close + 1)..].TrimStart(" \t\r\n");
        }
        while (s.Length > 0 && s[0] == '<')
        {
            var close = s.IndexOf('>');
            if (close < 0) throw Error(context, field, $"'{name} <' without '>'");
            s = s[(close + 1)..].TrimStart(" \t\r\n");
        }
        if (s.Length > 0) throw Error(context, field, $"unexpected '{s.ToString()}' after '{name}'");
        return applies ? new PackageRelation(name, qualifier, op, version) : null;
    }

    /// <summary>dpkg's rule: a list of names applies when it names the architecture, or when it is all negations and none names it.</summary>
    private static bool ArchitectureListApplies(ReadOnlySpan<char> list, string architecture)
    {
        bool any = false, allNegated = true, named = false;
        foreach (var range in list.SplitAny(" \t\n"))
        {
            var name = list[range];
            if (name.IsEmpty) continue;
            any = true;
            var negated = name[0] == '!';
            allNegated &= negated;
            named |= (negated ? name[1..] : name).SequenceEqual(architecture);
        }
        return any && (allNegated ? !named : named);
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.' or '_';

    private static TinyImageException Error(string context, string field, string what) =>
        new($"{context}: {what} in '{(field.Length > 200 ? field[..200] + "..." : field)}'");
}
