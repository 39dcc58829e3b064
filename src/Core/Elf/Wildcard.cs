namespace TinyImage.Core.Elf;

/// <summary>fnmatch-style matching of one path component: '*', '?', and '[...]' classes with ranges and '!' or '^' negation.</summary>
internal static class Wildcard
{
    public static bool IsMatch(string name, string pattern) => Match(name.AsSpan(), pattern.AsSpan());

    private static bool Match(ReadOnlySpan<char> name, ReadOnlySpan<char> pattern)
    {
        while (pattern.Length > 0)
        {
            switch (pattern[0])
            {
                case '*':
                    pattern = pattern.TrimStart('*');
                    if (pattern.Length == 0) return true;
                    for (var i = 0; i <= name.Length; i++)
                        if (Match(name[i..], pattern)) return true;
                    return false;
                case '?':
                    if (name.Length == 0) return false;
                    break;
                case '[':
                    if (name.Length == 0) return false;
                    var end = ClassEnd(pattern);
                    if (end < 0)
                    {
                        if (name[0] != '[') return false;
                        break;
                    }
                    if (!InClass(name[0], pattern[1..end])) return false;
                    name = name[1..];
                    pattern = pattern[(end + 1)..];
                    continue;
                default:
                    if (name.Length == 0 || name[0] != pattern[0]) return false;
                    break;
            }
            name = name[1..];
            pattern = pattern[1..];
        }
        return name.Length == 0;
    }

    private static int ClassEnd(ReadOnlySpan<char> pattern)
    {
        var i = 1;
        if (i < pattern.Length && pattern[i] is '!' or '^') i++;
        if (i < pattern.Length && pattern[i] == ']') i++;
        for (; i < pattern.Length; i++)
            if (pattern[i] == ']') return i;
        return -1;
    }

    private static bool InClass(char c, ReadOnlySpan<char> set)
    {
        var negate = set.Length > 0 && set[0] is '!' or '^';
        if (negate) set = set[1..];
        var found = false;
        for (var i = 0; i < set.Length; i++)
        {
            if (i + 2 < set.Length && set[i + 1] == '-')
            {
                if (c >= set[i] && c <= set[i + 2]) found = true;
                i += 2;
            }
            else if (set[i] == c)
            {
                found = true;
            }
        }
        return found != negate;
    }
}
