using System.Reflection;
using System.Text.RegularExpressions;

namespace TinyImage.Runner;

/// <summary>
/// "Did you mean" for a recipe calling a DSL member that does not exist (CS1061 on an instance, CS0117 on a type, e.g.
/// <c>.WithLib()</c>): the public members of the DSL type nearest by edit distance, or the one the typed name starts.
/// </summary>
internal static partial class MemberSuggestion
{
    /// <summary>
    /// When the diagnostic is a missing member of a DSL type with a near one: its first clause and <c>; did you mean
    /// `WithLibs`?</c>. Otherwise the message as it is.
    /// </summary>
    public static string Add(string id, string message, Assembly dsl)
    {
        if (id is not ("CS1061" or "CS0117") || MissingMember().Match(message) is not { Success: true } match) return message;
        var typeName = match.Groups["type"].Value;
        var type = dsl.GetExportedTypes().FirstOrDefault(t => t.FullName == typeName || t.Name == typeName);
        if (type is null) return message;
        var names = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Where(m => m is MethodInfo { IsSpecialName: false } or PropertyInfo or FieldInfo && m.DeclaringType != typeof(object))
            .Select(m => m.Name).Distinct(StringComparer.Ordinal).ToList();
        var nearest = Nearest(match.Groups["member"].Value, names);
        // Roslyn's advice about using directives and assembly references is beside the point for a DSL type: dropped.
        return nearest.Count == 0 ? message : $"{match.Value}; did you mean {string.Join(" or ", nearest.Select(n => $"`{n}`"))}?";
    }

    /// <summary>The names at the smallest edit distance from <paramref name="typed"/> (at most a third of its length, at least 2), ignoring case.</summary>
    public static IReadOnlyList<string> Nearest(string typed, IEnumerable<string> names)
    {
        var limit = Math.Max(2, typed.Length / 3);
        var scored = names.Select(n => (Name: n, Distance: Distance(typed.ToLowerInvariant(), n.ToLowerInvariant())))
            .Where(s => s.Distance <= limit).ToList();
        if (scored.Count == 0) return [];
        var best = scored.Min(s => s.Distance);
        return [.. scored.Where(s => s.Distance == best).Select(s => s.Name).Order(StringComparer.Ordinal).Take(3)];
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }

    // "'ImageBuilder' does not contain a definition for 'WithLib' and no accessible extension method ..." (CS1061),
    // "'From' does not contain a definition for 'Scratc'" (CS0117).
    [GeneratedRegex(@"^'(?<type>[\w.]+)' does not contain a definition for '(?<member>\w+)'")]
    private static partial Regex MissingMember();
}
