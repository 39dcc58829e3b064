using TinyImage.Core.Elf;

namespace TinyImage.Core.FileSystem;

/// <summary>
/// Which paths of a directory <c>AddDirectory</c> copies: those an include pattern matches (all, when there are none),
/// less those an exclude pattern matches (an excluded directory is not entered). Patterns are matched against the path
/// relative to the directory: <c>*</c>, <c>?</c> and <c>[...]</c> within one name, <c>**</c> for any number of names,
/// and a pattern without a <c>/</c> matches a name at any depth (<c>*.pyc</c>, <c>__pycache__</c>).
/// </summary>
public sealed class PathFilter
{
    private readonly string[][] _include;
    private readonly string[][] _exclude;

    public PathFilter(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        _include = [.. include.Select(Split)];
        _exclude = [.. exclude.Select(Split)];
    }

    /// <summary>Copies everything.</summary>
    public static PathFilter All { get; } = new([], []);

    /// <summary>Whether files are copied only when an include pattern names them.</summary>
    public bool HasIncludes => _include.Length > 0;

    /// <summary>Why <paramref name="pattern"/> cannot be a pattern, or null when it can.</summary>
    public static string? Problem(string pattern) =>
        pattern.Length == 0 ? "a pattern cannot be empty"
        : pattern.StartsWith('/') ? "a pattern is relative to the directory; drop the leading '/'"
        : pattern.Split('/').Any(part => part is "" or "." or "..") ? "a pattern's names cannot be empty, '.' or '..'"
        : pattern.Contains('\0') ? "a pattern cannot hold a NUL"
        : null;

    /// <summary>Whether <paramref name="relative"/> (<c>a/b/c.py</c>) is excluded: not copied, and not entered when a directory.</summary>
    public bool Excludes(string relative) => _exclude.Any(pattern => Matches(relative.Split('/'), pattern));

    /// <summary>Whether the file or link <paramref name="relative"/> is copied, as far as the include patterns go.</summary>
    public bool Includes(string relative) => !HasIncludes || _include.Any(pattern => Matches(relative.Split('/'), pattern));

    private static string[] Split(string pattern) =>
        Problem(pattern) is { } problem ? throw new ArgumentException($"'{pattern}': {problem}", nameof(pattern))
        : pattern.Contains('/') ? pattern.Split('/') : ["**", pattern];

    private static bool Matches(ReadOnlySpan<string> names, ReadOnlySpan<string> pattern)
    {
        while (pattern.Length > 0)
        {
            if (pattern[0] == "**")
            {
                var rest = pattern[1..];
                for (var skip = 0; skip <= names.Length; skip++)
                    if (Matches(names[skip..], rest)) return true;
                return false;
            }
            if (names.Length == 0 || !Wildcard.IsMatch(names[0], pattern[0])) return false;
            names = names[1..];
            pattern = pattern[1..];
        }
        return names.Length == 0;
    }
}
